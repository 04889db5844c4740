/**
 * The `baton` commands, declared once: each one's name, summary, arguments, options (with their descriptions,
 * defaults and value checks) and examples. program.ts makes the parser and the --help pages of them; the handlers
 * (start.ts, queues.ts, operator.ts, tracking.ts, web-console.ts) read the values they declare.
 */
import { LISTED } from '../../functions/adapters/dynamodb/DynamoDbListings.ts';
import { OWNERSHIP } from '../../functions/settings.ts';
import { duration, nonNegative, oneOf, portNumber, positiveInt, text, type ValueCheck } from './values.ts';

export interface OptionDeclaration {
  /** As the parser reads them: `--wait <duration>` takes a value, `--json` a switch, `--no-console` turns one off. */
  readonly flags: string;
  readonly description: string;
  /** Its value when not given, as one would type it: shown in --help, checked as a given one is. */
  readonly default?: string;
  /** Checks the text given (or the default) and makes the value the handler reads; its error names the option. */
  readonly check?: ValueCheck;
}

export interface ArgumentDeclaration {
  /** `<body>` is needed, `[queue]` may be left out, `[instanceId...]` takes any number. */
  readonly name: string;
  readonly description: string;
}

export interface CommandDeclaration {
  readonly name: string;
  /** One line, in `baton --help`'s list. */
  readonly summary: string;
  /** More, on the command's own --help page. */
  readonly description?: string;
  readonly arguments?: readonly ArgumentDeclaration[];
  readonly options: readonly OptionDeclaration[];
  /**
   * It takes `--stack NAME [--region R] [--endpoint URL]`: a deployed stack found by its outputs, instead of the local
   * cluster, with the operator's own AWS credentials.
   */
  readonly onStack: boolean;
  /** Its usage line after `baton <command>`, where the parser's (`[options] <args>`) would say less. */
  readonly usage?: string;
  /** What to type after `baton <command>`, and what it does. */
  readonly examples: readonly { readonly args: string; readonly does?: string }[];
}

/** The options of every command that can act on a deployed stack. */
export const STACK_OPTIONS: readonly OptionDeclaration[] = [
  {
    flags: '--stack <name>',
    description: 'the deployed stack (found by its outputs), acted on with your own AWS credentials',
    check: text,
  },
  {
    flags: '--region <region>',
    description: "the stack's region (default: AWS_REGION, or your profile's)",
    check: text,
  },
  {
    flags: '--endpoint <url>',
    description: 'an emulator (LocalStack, MiniStack) instead of AWS (default: AWS_ENDPOINT_URL)',
    check: text,
  },
];

/** The instances `resume` and `terminate` act on when given no ids: every one a query matches, with --yes. */
const QUERY_OPTIONS: readonly OptionDeclaration[] = [
  { flags: '--status <status>', description: 'every instance in this status (running, waiting, suspended)' },
  { flags: '--orchestration <name>', description: 'only instances of this orchestration (name, or name@version)' },
  { flags: '--query <text>', description: 'only those a correlation value, message id or instance id names' },
  { flags: '--message-type <type>', description: 'only those that took a message of this type' },
  { flags: '--yes', description: 'act on them all (without it, the command lists them and does nothing)' },
  {
    flags: '--orchestrations <module>',
    description: "the module of orchestrations the hosts run (default: the local cluster's; for --stack, give it)",
    check: text,
  },
];

const seconds = (ms: number) => (ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`);

const ORDER = `'{"orderId":"o-1","customerId":"c-1","lines":[{"sku":"A","qty":2,"unitPrice":5}]}'`;

export const COMMANDS: readonly CommandDeclaration[] = [
  {
    name: 'start',
    summary: 'start the local cluster: the embedded stack, its host instances, the web console (or a demo run)',
    description:
      'The embedded stack (DynamoDB, SQS and S3 on one endpoint) and host instances running the sample (or your ' +
      'orchestrations) as Lambda would, until Ctrl-C. The other commands find it by <BATON_HOME>/endpoints.json.',
    options: [
      { flags: '--instances <n>', description: 'host instances', default: '2', check: positiveInt },
      {
        flags: '--processes',
        description:
          'run each host instance in an OS process of its own, reaching the endpoint over the AWS SDK (the default ' +
          'runs them in this process, reaching the embedded stack in-process; a demo and --trace use processes)',
      },
      {
        flags: '--demo <n>',
        description: 'send N sample orders, SIGKILL a host instance midway, check the send queue, exit',
        check: positiveInt,
      },
      {
        flags: '--port <port>',
        description: 'port of the embedded DynamoDB + SQS + S3 endpoint (default 4566; a demo takes a free one)',
        check: portNumber,
      },
      {
        flags: '--endpoint <url>',
        description: 'use a running LocalStack-compatible endpoint instead of the embedded stack',
        check: text,
      },
      {
        flags: '--data-dir <dir>',
        description: 'keep state here (default <BATON_HOME>/data; a demo runs in memory unless given)',
        check: text,
      },
      { flags: '--in-memory', description: 'keep no state across restarts' },
      {
        flags: '--lease <duration>',
        description: 'step lease; also the visibility timeout the local pollers use',
        default: seconds(OWNERSHIP.leaseMs),
        check: duration,
      },
      {
        flags: '--step-latency <duration>',
        description: "simulated pricing-service latency in the sample (a demo's: 20ms, else 0)",
        check: duration,
      },
      {
        flags: '--approval-threshold <total>',
        description: "orders at or above this total wait for an Approval (the sample's default: 10000)",
        check: nonNegative,
      },
      {
        flags: '--approval-timeout <duration>',
        description: "how long an order waits for its Approval, e.g. 10s (the sample's default: 48h)",
        check: duration,
      },
      {
        flags: '--cancellation-window <duration>',
        description:
          'how long a fulfilled order can be cancelled before Invoice and Shipment (default 10s; a demo: 0s)',
        check: duration,
      },
      {
        flags: '--orchestrations <module>',
        description: 'run the orchestrations a module exports (export const orchestrations = [...]), not the sample',
        check: text,
      },
      { flags: '--prefix <prefix>', description: 'prefix of the table and queue names', default: 'baton', check: text },
      {
        flags: '--console-port <port>',
        description: 'port of the web console, on 127.0.0.1 only; a free one if it is taken',
        default: '4580',
        check: portNumber,
      },
      { flags: '--no-console', description: 'serve no web console' },
      {
        flags: '--trace',
        description:
          "record the host instances' spans (OTLP JSON) to <BATON_HOME>/traces; the trace command reads them",
      },
    ],
    onStack: false,
    examples: [
      { args: '', does: 'the sample, 2 host instances, on http://127.0.0.1:4566' },
      { args: '--demo 200', does: 'the crash demo: 200 orders, a host instance killed midway' },
      { args: '--orchestrations src/orchestrations.ts', does: 'your orchestrations instead of the sample' },
    ],
  },
  {
    name: 'suspended',
    summary: 'list suspended messages (could not become an instance) and suspended instances (resumable)',
    options: [{ flags: '--json', description: 'all of it as JSON, every body whole (the text shows their start)' }],
    onStack: true,
    examples: [{ args: '', does: 'each with its reason; a schema mismatch lists every issue with its path' }],
  },
  {
    name: 'instances',
    summary: 'list instances by status: running, waiting or suspended',
    options: [
      {
        flags: '--status <status>',
        description: `one of ${[...LISTED].join(', ')}`,
        default: 'running',
        check: oneOf([...LISTED]),
      },
    ],
    onStack: true,
    examples: [{ args: '--status waiting', does: 'dehydrated instances, waiting for a message or a timer' }],
  },
  {
    name: 'send',
    summary: 'send a message to the receive queue, as a producer would',
    arguments: [{ name: '<body>', description: 'the message body (JSON for the sample), or @file to read it from' }],
    options: [
      { flags: '--type <MessageType>', description: 'its MessageType attribute', default: 'Order', check: text },
    ],
    onStack: true,
    examples: [
      { args: ORDER, does: 'an order for the sample' },
      { args: `--type Approval '{"orderId":"o-2","approved":true}'` },
      { args: '@order.json', does: "a file's content" },
    ],
  },
  {
    name: 'receive',
    summary: "read (and delete) messages from a send port's queue: what the orchestrations sent",
    description:
      "It deletes what it reads, so it is for the local cluster: on a deployed stack they are its consumers'. " +
      'SQS gives at most 10 messages a receive: it receives again until it has --max of them or the queue is empty.',
    options: [
      { flags: '--port <name>', description: 'the send port whose queue it reads', default: 'send', check: text },
      { flags: '--max <n>', description: 'read at most this many messages', default: '10', check: positiveInt },
      {
        flags: '--wait <duration>',
        description: 'how long to wait for a first message, at most 20s',
        default: '5s',
        check: duration,
      },
    ],
    onStack: true,
    examples: [
      { args: '--wait 15s', does: 'after the 10 s cancellation window: Invoice and Shipment' },
      { args: '--port send --max 100', does: 'up to 100 messages, 10 a receive' },
    ],
  },
  {
    name: 'resume',
    summary: 'resume suspended instances from their last persistence point (by id, or all a query matches)',
    arguments: [{ name: '[instanceId...]', description: 'the instances to resume (or none, and a query)' }],
    options: [{ flags: '--reason <text>', description: 'why, for the audit trail' }, ...QUERY_OPTIONS],
    onStack: true,
    examples: [
      { args: '<instanceId>', does: 'a suspended instance continues from its last persistence point' },
      { args: '--status suspended', does: 'lists the suspended instances; --yes resumes them all' },
    ],
  },
  {
    name: 'terminate',
    summary: 'end instances that have not finished, with a reason (by id, or all a query matches)',
    arguments: [{ name: '[instanceId...]', description: 'the instances to end (or none, and a query)' }],
    options: [
      { flags: '--reason <text>', description: 'why (needed): kept with the instance and the audit trail' },
      ...QUERY_OPTIONS,
    ],
    onStack: true,
    examples: [
      { args: '<instanceId> --reason "duplicate order"' },
      {
        args: '--status waiting --orchestration OrderFulfilment --reason "test campaign" --yes',
        does: 'every waiting order',
      },
    ],
  },
  {
    name: 'import',
    summary: 'turn BizTalk orchestrations (.odx) into Baton modules, with a report of what was mapped',
    description:
      'Reads each .odx (the designer data and its XLANG/s) and writes, per orchestration, a TypeScript module in the ' +
      'typed designer; messages.ts (a body type and a schema stub per message type), support.ts, and index.ts, which ' +
      'deploys them all. What Baton cannot say yet becomes a step marked TODO(baton import) that fails saying what to ' +
      'port, its XLANG/s above it: a map with functoids, a business rules call, C# that is not a plain assignment. A map ' +
      'whose .btm is near the .odx (in its directory, or below the one above it) and only copies fields is ported. ' +
      'import-report.json, in the output directory, says per orchestration: file, orchestration, shapes (every shape ' +
      'of the file, branches and the parts of a Construct counted), mapped (became Baton shapes or typed code doing ' +
      'what the XLANG/s said), stubbed (became marked steps; never counted as mapped), loads (the module type-checks ' +
      'with tsc and compiles into a deployment as written) and notes (what differs, which rule stopped a shape). ' +
      'A file that cannot be read is reported with the reason; the others go on. Exits 1 when a module does not load.',
    arguments: [{ name: '<file...>', description: '.odx files, or directories to search for them' }],
    options: [
      {
        flags: '--out <dir>',
        description: 'where to write the modules and import-report.json',
        default: 'imported',
        check: text,
      },
      { flags: '--no-check', description: 'write the modules without type-checking and compiling them' },
      { flags: '--json', description: 'print the report as JSON instead of a table' },
    ],
    onStack: false,
    examples: [
      { args: 'Orchestrations/*.odx --out src/imported', does: 'one module per orchestration, and the report' },
      { args: 'BizTalkSolution --out imported --json', does: 'every .odx under a directory, the report as JSON' },
    ],
  },
  {
    name: 'history',
    summary: "an instance's tracked history, a page at a time",
    arguments: [{ name: '<instanceId>', description: 'the instance' }],
    options: [
      { flags: '--limit <n>', description: 'events on a page', default: '100', check: positiveInt },
      { flags: '--after <cursor>', description: 'the next page: the cursor the previous one ended with', check: text },
      { flags: '--json', description: 'the page as JSON' },
    ],
    onStack: true,
    examples: [{ args: '<instanceId>', does: 'activation, each persistence point, what it took in and sent' }],
  },
  {
    name: 'flow',
    summary: "a business key's story: its instances, its suspended messages, and their events in time order",
    arguments: [
      { name: '<subject>', description: 'a correlation value (an order id), a message id or an instance id' },
    ],
    options: [{ flags: '--json', description: 'the flow as JSON' }],
    onStack: true,
    examples: [{ args: 'o-2', does: 'every instance and message of order o-2, across its orchestrations' }],
  },
  {
    name: 'dlq',
    summary: "look into the dead-letter queues: their depths, or one queue's messages (left in place)",
    arguments: [{ name: '[queue]', description: "receive, work, or a send port: its DLQ's messages" }],
    options: [],
    onStack: true,
    examples: [
      { args: '', does: "each queue's DLQ depth" },
      { args: 'receive', does: "the receive queue's dead letters, looked at, not taken" },
    ],
  },
  {
    name: 'redrive',
    summary: "send a dead-letter queue's messages back to their queue",
    arguments: [{ name: '<queue>', description: 'receive, work, or a send port' }],
    options: [],
    onStack: true,
    examples: [{ args: 'receive', does: 'back to the receive queue' }],
  },
  {
    name: 'resubmit',
    summary: 'send a suspended message (edited or not) to the receive queue, once',
    arguments: [{ name: '<messageId>', description: 'the suspended message' }],
    options: [
      { flags: '--body <body>', description: 'the body to send instead (or @file to read it from)' },
      { flags: '--type <MessageType>', description: 'the MessageType to send it as instead', check: text },
      {
        flags: '--again',
        description:
          'send again the resubmission its record names, the same message (after a send that failed; ' +
          'refused once it arrived)',
      },
    ],
    onStack: true,
    examples: [
      { args: '<messageId>', does: 'as it was' },
      { args: '<messageId> --body @fixed.json', does: 'with the body fixed' },
      { args: '<messageId> --again', does: 'the same resubmission, if its send failed' },
    ],
  },
  {
    name: 'discard',
    summary: 'drop a suspended message, with a reason',
    arguments: [{ name: '<messageId>', description: 'the suspended message' }],
    options: [{ flags: '--reason <text>', description: 'why (needed): kept in the audit trail' }],
    onStack: true,
    examples: [{ args: '<messageId> --reason "test message"' }],
  },
  {
    name: 'audit',
    summary: 'what operators did: resumes, terminations, resubmissions, discards, redrives',
    options: [{ flags: '--limit <n>', description: 'the newest this many', default: '50', check: positiveInt }],
    onStack: true,
    examples: [{ args: '' }],
  },
  {
    name: 'trace',
    summary: "one order's spans, as start --trace recorded them, in the order they started",
    arguments: [{ name: '<id>', description: 'a message id the receive host took, or a 32-hex trace id' }],
    options: [],
    onStack: false,
    examples: [{ args: '29779a46-…', does: 'the message id send printed' }],
  },
  {
    name: 'console',
    summary: "serve a deployed stack's web console on this machine (start serves the local cluster's)",
    description: 'It runs with your own AWS credentials and serves on 127.0.0.1 only.',
    usage: '--stack NAME [--region R] [--port P] [--endpoint URL] [--orchestrations F]',
    options: [
      {
        flags: '--port <port>',
        description: 'its port (default 4580, or a free one when it is taken)',
        check: portNumber,
      },
      {
        flags: '--orchestrations <module>',
        description:
          'the module of orchestrations the stack deploys, for resume and terminate (without it, what ' +
          'needs the definitions is refused)',
        check: text,
      },
    ],
    onStack: true,
    examples: [
      { args: '--stack Baton', does: 'the stack BatonStack deploys, in your default region' },
      { args: '--stack Baton --endpoint http://127.0.0.1:4566 --region us-east-1', does: 'on MiniStack or LocalStack' },
    ],
  },
];

/**
 * How this process was started, for the command lines its help and hints show: `npm start --` under the npm start
 * script (the checkout's, or a project's whose start runs `baton start`), `npm run baton -- <command>` under the
 * checkout's baton script, else `baton <command>` (the installed bin, npx baton).
 */
export function invocation(command?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (command === 'start' && env.npm_lifecycle_event === 'start') return 'npm start --';
  const base = env.npm_lifecycle_event === 'baton' ? 'npm run baton --' : 'baton';
  return command ? `${base} ${command}` : base;
}
