/**
 * The `baton` parser and its --help pages, made of the declarations in commands.ts (commander), and the run of a
 * command: its option values checked, where it acts (the local cluster or --stack), its handler, loaded when needed.
 * A command given wrongly (an unknown option, a bad or missing value) says so, names the option and points to its
 * --help, with exit code 2; `baton`, `baton help` and `baton --help` list the commands.
 */
import { Command, type CommanderError, type Help, Option } from 'commander';
import type { StackTarget } from '../../console/stack.ts';
import { useEmulatorCredentials } from '../emulator-credentials.ts';
import { COMMANDS, type CommandDeclaration, invocation, type OptionDeclaration, STACK_OPTIONS } from './commands.ts';
import { type CommandInput, Target } from './target.ts';
import { fail, UsageError } from './values.ts';

type Handler = (input: CommandInput) => Promise<void>;

/** Each declared command's handler, imported when it runs: --help loads none of them. */
const HANDLERS: Readonly<Record<string, () => Promise<Handler>>> = {
  start: async () => (await import('./start.ts')).start,
  suspended: async () => (await import('./operator.ts')).suspended,
  instances: async () => (await import('./operator.ts')).instances,
  send: async () => (await import('./queues.ts')).send,
  receive: async () => (await import('./queues.ts')).receive,
  resume: async () => (await import('./operator.ts')).resume,
  terminate: async () => (await import('./operator.ts')).terminate,
  history: async () => (await import('./tracking.ts')).history,
  flow: async () => (await import('./tracking.ts')).flow,
  dlq: async () => (await import('./queues.ts')).dlq,
  redrive: async () => (await import('./queues.ts')).redrive,
  resubmit: async () => (await import('./operator.ts')).resubmit,
  discard: async () => (await import('./operator.ts')).discard,
  audit: async () => (await import('./operator.ts')).audit,
  trace: async () => (await import('./tracking.ts')).trace,
  console: async () => (await import('./web-console.ts')).webConsole,
  import: async () => (await import('./import.ts')).importCommand,
};

/** The terminal's width, at most 120 (the width of anything not a terminal). */
const HELP_WIDTH = Math.min(process.stdout.columns || 120, 120);

const STACK_HEADING = 'On a deployed stack (instead of the local cluster):';

/** Runs `baton <argv>`. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  // A reader that went away (`baton receive | head`) ends the command, quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const [first, second] = argv;
  if (first === undefined || (first === 'help' && (second === undefined || second === 'help'))) {
    program.outputHelp();
    return;
  }
  if (first === 'help' && !COMMANDS.some((c) => c.name === second)) usageFailure(`unknown command '${second}'`);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    // --help and `help` end here, after printing; anything else was said and exited on.
    if ((error as CommanderError).exitCode !== 0) throw error;
  }
}

/** The parser of every declared command, with its help pages. */
export function buildProgram(): Command {
  const program = new Command('baton')
    .usage('<command> [options]')
    .description("Baton's local cluster, and the operator's commands on it or on a deployed stack.")
    .configureHelp(helpLayout())
    .configureOutput({ outputError: () => undefined })
    .exitOverride(parseFailure(undefined))
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', "list the commands, or show one command's options and examples")
    .showSuggestionAfterError()
    .addHelpText('after', () => {
      const baton = invocation();
      return `
Every command but start and trace acts on the local cluster start runs (its endpoints file in BATON_HOME, default
.baton) or, given --stack NAME [--region R] [--endpoint URL], on a deployed stack, with your own AWS credentials.
${baton} <command> --help shows a command's options and examples.`;
    });
  for (const declared of COMMANDS) addCommand(program, declared);
  return program;
}

function addCommand(program: Command, declared: CommandDeclaration): void {
  const handler = HANDLERS[declared.name];
  if (!handler) throw new Error(`baton ${declared.name} is declared but has no handler`);
  const command = program
    .command(declared.name)
    .summary(declared.summary)
    .description(`${declared.summary}.${declared.description ? ` ${declared.description}` : ''}`)
    .exitOverride(parseFailure(declared.name))
    .addHelpText('after', () => examples(declared));
  if (declared.usage) command.usage(declared.usage);
  for (const argument of declared.arguments ?? []) command.argument(argument.name, argument.description);
  for (const option of [...declared.options, ...(declared.onStack ? STACK_OPTIONS : [])])
    command.addOption(optionOf(option, declared.name));
  command.action(async () => {
    const options = command.opts();
    const stack = declared.onStack ? stackTarget(options) : undefined;
    // The emulators want some credentials and a region; a deployed stack on AWS gets the operator's own, untouched.
    if (!stack || stack.endpoint) useEmulatorCredentials();
    const at = new Target(stack);
    try {
      await (await handler())({ args: command.args, options, at });
    } catch (error) {
      fail(await at.problemOf(error));
    }
  });
}

/** An option as the parser takes it: its value checked as it is read (a bad one named), its default checked too. */
function optionOf(declared: OptionDeclaration, command: string): Option {
  const option = new Option(declared.flags, declared.description);
  const { check } = declared;
  if (STACK_OPTIONS.includes(declared)) option.helpGroup(STACK_HEADING);
  if (!check) return declared.default === undefined ? option : option.default(declared.default, declared.default);
  const checked = (given: string) => {
    try {
      return check(given, option.long!);
    } catch (error) {
      if (error instanceof UsageError) usageFailure(error.message, command);
      throw error;
    }
  };
  option.argParser(checked);
  return declared.default === undefined ? option : option.default(checked(declared.default), declared.default);
}

/** The deployed stack of `--stack NAME [--region R] [--endpoint URL]`, if given. */
function stackTarget(options: Record<string, unknown>): StackTarget | undefined {
  const { stack, region, endpoint } = options as { stack?: string; region?: string; endpoint?: string };
  if (!stack) {
    if (region || endpoint)
      fail(
        '--region and --endpoint go with --stack NAME (a deployed stack); ' +
          'the local cluster is found by its endpoints file',
      );
    return undefined;
  }
  return { stackName: stack, region, endpoint: endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined) };
}

/** A command given wrongly: said on stderr, with where its --help is; exit code 2. */
function usageFailure(message: string, command?: string): never {
  fail(`${message}; see ${invocation(command)} --help`);
}

/** The parser's exits: --help (code 0) goes on to its end; a command given wrongly is said in the CLI's words. */
function parseFailure(command: string | undefined): (error: CommanderError) => never {
  return (error) => {
    if (error.exitCode === 0) throw error;
    const [said = '', hint] = error.message.replace(/^error: /, '').split('\n');
    const quoted = /'([^']+)'/.exec(said)?.[1] ?? '';
    switch (error.code) {
      case 'commander.optionMissingArgument':
        usageFailure(`${/--[\w-]+/.exec(quoted)?.[0] ?? quoted} takes a value`, command);
        break;
      case 'commander.missingArgument':
        usageFailure(`${command} needs its <${quoted}>`, command);
        break;
      default: {
        // "(Did you mean --wait?)" after an unknown option or command, in the same sentence.
        const suggestion = hint?.replace(/^\(Did (.*)\)$/, 'did $1');
        usageFailure(`${said.replace(/\.$/, '')}${suggestion ? ` (${suggestion})` : ''}`, command);
      }
    }
  };
}

/** The help pages' layout: usage lines as this process was started, wrapped to the terminal (at most 120). */
function helpLayout(): Partial<Help> {
  return {
    helpWidth: HELP_WIDTH,
    commandUsage: (cmd) => `${invocation(cmd.parent ? cmd.name() : undefined)} ${cmd.usage()}`,
    // The list of commands names each with its arguments; its options are on its own page.
    subcommandTerm: (cmd) =>
      [
        cmd.name(),
        ...cmd.registeredArguments.map((a) => {
          const name = `${a.name()}${a.variadic ? '...' : ''}`;
          return a.required ? `<${name}>` : `[${name}]`;
        }),
      ].join(' '),
  };
}

/** A command's examples, as one would type them, each with what it does (beside it, or above it when too long). */
function examples(declared: CommandDeclaration): string {
  const lines = declared.examples.map((e) => ({
    typed: [invocation(declared.name), e.args].filter(Boolean).join(' ').replace(/ --$/, ''),
    does: e.does,
  }));
  const width = Math.max(...lines.map((l) => l.typed.length));
  const beside = lines.every(({ does }) => !does || 2 + width + 4 + does.length <= HELP_WIDTH);
  const shown = lines.map(({ typed, does }) =>
    !does ? `  ${typed}` : beside ? `  ${typed.padEnd(width)}  # ${does}` : `  # ${does}\n  ${typed}`,
  );
  return `\nExamples:\n${shown.join('\n')}`;
}
