import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript on purpose (it must run on an old Node), so it has no types.
import { nodeProblem } from '../../scripts/require-node.mjs';
import { COMMANDS, STACK_OPTIONS } from '../../local/cli/commands.ts';

const CLI = join(import.meta.dirname, '../../local/cli.ts');
const FIXTURE = join(import.meta.dirname, '../fixtures/console-orchestrations.ts');
const SAMPLE = join(import.meta.dirname, '../../functions/orchestrations/index.ts');

/**
 * Runs `baton <args>` in a fresh BATON_HOME, as a user's shell would: as the installed bin, not under an npm script
 * (whose name its help and hints would show), unless `env` says otherwise.
 */
function baton(args: string[], home: string, env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, npm_lifecycle_event: undefined, BATON_HOME: home, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const freshHome = () => mkdtempSync(join(tmpdir(), 'baton-home-'));
const record = (pid: number, endpoint: string) =>
  JSON.stringify({
    endpoint,
    region: 'us-east-1',
    tableName: 't',
    receiveQueueUrl: `${endpoint}/q/receive`,
    sendQueueUrl: `${endpoint}/q/send`,
    sendPortQueueUrls: { send: `${endpoint}/q/send` },
    workQueueUrl: `${endpoint}/q/work`,
    pid,
    startedAt: '2026-11-25T10:00:00.000Z',
  });

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the first hour', () => {
  it('names the Node version needed, in one line, when Node is too old', () => {
    expect(nodeProblem('20.20.2', '/usr/bin/node')).toBe(
      'Baton needs Node.js 22.22.2 or newer; this is Node 20.20.2 (/usr/bin/node). Install Node 24 (https://nodejs.org, or nvm install 24) and run the command again.',
    );
    expect(nodeProblem('22.17.1')).toMatch(/needs Node.js 22.22.2 or newer; this is Node 22.17.1/);
    expect(nodeProblem('22.22.1')).toMatch(/needs Node.js 22.22.2 or newer; this is Node 22.22.1/);
    expect(nodeProblem('22.22.2')).toBeUndefined();
    expect(nodeProblem('22.23.0')).toBeUndefined();
    expect(nodeProblem('24.9.0')).toBeUndefined();
    expect(nodeProblem('100.0.0')).toBeUndefined();
  });

  it('says "no cluster is running" when none ever started, in one line and with no warning', () => {
    const home = freshHome();
    const { code, stdout, stderr } = baton(['send', '{"orderId":"o-1"}'], home);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `baton: no cluster is running here (no ${join(home, 'endpoints.json')}): start one with "npm start"\n`,
    );
    rmSync(home, { recursive: true });
  });

  it('says "no cluster is running" after its process ended (Ctrl-C, a crash), not a connection error', () => {
    const home = freshHome();
    const ended = spawnSync(process.execPath, ['-e', 'process.pid'], { encoding: 'utf8' }).pid!;
    writeFileSync(join(home, 'endpoints.json'), record(ended, 'http://127.0.0.1:4566'));
    const { code, stderr } = baton(['suspended'], home);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^baton: no cluster is running here: the one started 2026-11-25T10:00:00.000Z \(pid \d+\) has stopped; start one with "npm start"\n$/,
    );
    rmSync(home, { recursive: true });
  });

  it('tells a cluster it cannot reach apart from a missing one', async () => {
    const home = freshHome();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    // A live process owns the file (this test runner), but nothing answers at the endpoint.
    writeFileSync(join(home, 'endpoints.json'), record(process.pid, endpoint));
    const { code, stderr } = baton(['send', '{}'], home);
    expect(code).toBe(2);
    expect(stderr).toContain(`baton: could not reach the cluster at ${endpoint} (pid ${process.pid})`);
    rmSync(home, { recursive: true });
  });

  it('refuses a second cluster in the same BATON_HOME before starting anything, and says how to run both', () => {
    const home = freshHome();
    const file = join(home, 'endpoints.json');
    writeFileSync(file, record(process.pid, 'http://127.0.0.1:4566'));
    const { code, stderr } = baton(['start', '--port', '0', '--in-memory'], home);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /a cluster is already running here \(pid \d+, http:\/\/127.0.0.1:4566\); stop it first, or give this one its own BATON_HOME/,
    );
    expect(readFileSync(file, 'utf8')).toBe(record(process.pid, 'http://127.0.0.1:4566'));
    rmSync(home, { recursive: true });
  });

  it('runs a demo beside a running cluster without touching its endpoints file', async () => {
    const home = freshHome();
    const file = join(home, 'endpoints.json');
    writeFileSync(file, record(process.pid, 'http://127.0.0.1:4566'));
    const demo = spawn(process.execPath, [CLI, 'start', '--demo', '3', '--instances', '1'], {
      env: { ...process.env, BATON_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout.on('data', (chunk) => {
      out += chunk;
    });
    demo.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const code = await new Promise<number | null>((resolve) => demo.on('exit', resolve));
    expect(out).toContain('demo: orchestrations=3 completed=3 lost=0 duplicates=0 unaccounted=0');
    expect(code).toBe(0);
    expect(out).not.toMatch(/ExperimentalWarning/);
    expect(readFileSync(file, 'utf8')).toBe(record(process.pid, 'http://127.0.0.1:4566'));
    rmSync(home, { recursive: true });
  }, 120_000);

  it('drops only the SQLite experimental warning of the embedded stack, and prints every other warning', () => {
    const script = `import { quietSqliteWarning } from ${JSON.stringify(join(import.meta.dirname, '../../local/warnings.ts'))};
      quietSqliteWarning();
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('something else', 'DeprecationWarning');`;
    const { stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(stderr).not.toMatch(/SQLite/);
    expect(stderr).toMatch(/DeprecationWarning: something else/);
  });

  it("drops it in a user's own process too (a test that starts a local cluster), without taking over its warnings", () => {
    // No listener replaced: the user's own 'warning' listener still hears every other warning.
    const script = `import ${JSON.stringify(join(import.meta.dirname, '../../local/warnings.ts'))};
      process.on('warning', (w) => console.log('heard ' + w.name));
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('something else', { type: 'DeprecationWarning' });`;
    const { stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(stderr).not.toMatch(/SQLite/);
    expect(stderr).toMatch(/DeprecationWarning: something else/);
    expect(stdout.trim().split('\n')).toEqual(['heard DeprecationWarning']);
  });
});

/** Help text with its wrapping undone: every run of white space one space. */
const unwrapped = (text: string) => text.replace(/\s+/g, ' ');

describe('a CLI that explains itself: --help, and errors that name the option', () => {
  it('lists every declared command with its summary: baton, baton help, baton --help', () => {
    const home = freshHome();
    for (const args of [[], ['help'], ['--help'], ['-h']]) {
      const { code, stdout, stderr } = baton(args, home);
      expect(code, args.join(' ')).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^Usage: baton <command> \[options\]\n/);
      for (const command of COMMANDS) {
        const term = [command.name, ...(command.arguments ?? []).map((a) => a.name)].join(' ');
        expect(unwrapped(stdout), command.name).toContain(` ${term} ${command.summary} `);
      }
      expect(stdout).toContain('baton <command> --help shows');
    }
    rmSync(home, { recursive: true });
  });

  it('answers --help for every command: its usage, every option it takes with its default, examples; exit 0', () => {
    const home = freshHome();
    for (const command of COMMANDS) {
      const { code, stdout, stderr } = baton([command.name, '--help'], home);
      expect(code, command.name).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^Usage: baton ${command.name} `));
      const text = unwrapped(stdout);
      for (const option of [...command.options, ...(command.onStack ? STACK_OPTIONS : [])]) {
        expect(text, `${command.name} ${option.flags}`).toContain(` ${option.flags} ${unwrapped(option.description)}`);
        if (option.default !== undefined)
          expect(text).toMatch(new RegExp(`${option.flags} [^\n]*\\(default: ${option.default}\\)`));
      }
      if (!command.onStack) expect(stdout, command.name).not.toContain('--stack');
      expect(stdout, command.name).toContain(`\nExamples:\n`);
      expect(stdout, command.name).toContain(`  baton ${command.name}`);
    }
    // `help <command>` is the same page.
    expect(baton(['help', 'receive'], home).stdout).toBe(baton(['receive', '--help'], home).stdout);
    rmSync(home, { recursive: true });
  });

  it("shows start's usage as it was started: the installed bin, npm start, the checkout's npm run baton", () => {
    const home = freshHome();
    const bin = baton(['start', '--help'], home).stdout;
    expect(bin).toMatch(/^Usage: baton start \[options\]\n/);
    expect(bin).toMatch(/\n {2}baton start --demo 200 {2,}# /);
    const npmStart = baton(['start', '--help'], home, { npm_lifecycle_event: 'start' }).stdout;
    expect(npmStart).toMatch(/^Usage: npm start -- \[options\]\n/);
    expect(npmStart).toMatch(/\n {2}npm start {2,}# /);
    expect(npmStart).toMatch(/\n {2}npm start -- --demo 200 /);
    expect(baton(['start', '--help'], home, { npm_lifecycle_event: 'baton' }).stdout).toMatch(
      /^Usage: npm run baton -- start \[options\]\n/,
    );
    rmSync(home, { recursive: true });
  });

  it("names an unknown option, a bad value or a missing one, points to the command's --help, and exits 2", () => {
    const home = freshHome();
    const refused = {
      'receive --wiat 1s': "unknown option '--wiat' (did you mean --wait?); see baton receive --help",
      'trace x --stack S': "unknown option '--stack'; see baton trace --help",
      'send --type': '--type takes a value; see baton send --help',
      'audit --stack --region eu-west-1': '--stack takes a value; see baton audit --help',
      'history i-1 --limit 0': '--limit takes a positive integer (got "0"); see baton history --help',
      'receive --wait soon': '--wait takes a duration such as 500ms, 10s, 2m (got "soon"); see baton receive --help',
      'instances --status done':
        '--status takes one of running, waiting, suspended (got "done"); see baton instances --help',
      'start --console-port 70000':
        '--console-port takes a port number, 0 to 65535 (got "70000"); see baton start --help',
      send: 'send needs its <body>; see baton send --help',
      frobnicate: "unknown command 'frobnicate'; see baton --help",
      'help frobnicate': "unknown command 'frobnicate'; see baton --help",
    };
    for (const [args, said] of Object.entries(refused)) {
      const { code, stdout, stderr } = baton(args.split(' '), home);
      expect({ args, code, stdout, stderr }).toEqual({ args, code: 2, stdout: '', stderr: `baton: ${said}\n` });
    }
    rmSync(home, { recursive: true });
  });

  it('reads the queue of any send port, and names the ports there are when there is no such one', () => {
    const home = freshHome();
    const ports = { send: 'http://127.0.0.1:1/q/send', partners: 'http://127.0.0.1:1/q/partners' };
    writeFileSync(
      join(home, 'endpoints.json'),
      JSON.stringify({ ...JSON.parse(record(process.pid, 'http://127.0.0.1:1')), sendPortQueueUrls: ports }),
    );
    const { code, stderr } = baton(['receive', '--port', 'invoices'], home);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'baton: no send port "invoices" in this cluster; its send ports: send, partners (see baton receive --help)\n',
    );
    rmSync(home, { recursive: true });
  });

  it('refuses an empty body before it sends anything (SQS would refuse it in its own words)', async () => {
    const home = freshHome();
    // Nothing answers at the endpoint: a command that tried to send would say it could not reach it.
    writeFileSync(join(home, 'endpoints.json'), record(process.pid, `http://127.0.0.1:${await closedPort()}`));
    const empty = join(home, 'empty.json');
    writeFileSync(empty, ' \n');
    const resubmitted = 'nothing was sent: give the body to send, or leave --body out to send it as it was';
    const refused = {
      'resubmit m-1 --body @/dev/null': `the body is empty (/dev/null holds nothing); ${resubmitted}`,
      [`resubmit m-1 --body @${empty}`]: `the body is empty (${empty} holds only white space); ${resubmitted}`,
      'send @/dev/null':
        'the body is empty (/dev/null holds nothing); nothing was sent: give the message its body, or @file.json',
    };
    for (const [args, said] of Object.entries(refused)) {
      const { code, stderr } = baton(args.split(' '), home);
      expect({ args, code, stderr }).toEqual({ args, code: 2, stderr: `baton: ${said}\n` });
    }
    expect(baton(['send', ''], home).stderr).toMatch(/^baton: the body is empty \(given: nothing\); nothing was sent/);
    rmSync(home, { recursive: true });
  });
});

describe('a deployed stack (--stack NAME): the console and the operator commands', () => {
  it('serves a console only for a stack, and keeps --region and --endpoint for one', () => {
    const home = freshHome();
    const bare = baton(['console'], home);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(
      /^baton: console needs --stack NAME \(a deployed stack\); npm start serves the local cluster's console\nusage: baton console --stack NAME \[--region R\] \[--port P\] \[--endpoint URL\]/,
    );
    expect(baton(['history', 'i-1', '--region', 'eu-west-1'], home).stderr).toBe(
      'baton: --region and --endpoint go with --stack NAME (a deployed stack); the local cluster is found by its endpoints file\n',
    );
    expect(baton(['audit', '--stack'], home).stderr).toBe('baton: --stack takes a value; see baton audit --help\n');
    expect(baton(['console', '--help'], home).stdout).toMatch(/^Usage: baton console --stack NAME/);
    rmSync(home, { recursive: true });
  });

  it('says it cannot reach the endpoint of --endpoint, for the console and the commands alike', async () => {
    const home = freshHome();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [
      ['console'],
      ['history', 'i-1'],
      ['dlq'],
      ['terminate', 'i-1', '--reason', 'r', '--orchestrations', SAMPLE],
      ['console', '--orchestrations', SAMPLE],
    ]) {
      const { code, stderr } = baton(
        [...args, '--stack', 'Baton', '--endpoint', endpoint, '--region', 'us-east-1'],
        home,
      );
      expect(code, args[0]).toBe(2);
      expect(stderr, args[0]).toMatch(new RegExp(`^baton: could not reach ${endpoint}: .*ECONNREFUSED`));
    }
    rmSync(home, { recursive: true });
  });

  it("uses the operator's own credentials against AWS, never the emulators' placeholders: none is said as such", () => {
    const home = freshHome();
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    const result = spawnSync(process.execPath, [CLI, 'console', '--stack', 'Baton', '--region', 'eu-west-1'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...env,
        BATON_HOME: home,
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'baton: no AWS credentials: sign in (aws sso login, aws configure, AWS_PROFILE=…, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and try again\n',
    );
    rmSync(home, { recursive: true });
  });
});

describe('npm start', () => {
  it("runs with the local cluster's Node flags, the ones the soak measures it with", async () => {
    const { LOCAL_NODE_FLAGS } = await import('../../local/node-flags.ts');
    const scripts = (
      JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.start).toContain(`node ${LOCAL_NODE_FLAGS.join(' ')} local/cli.ts start`);
  });
});

describe('EndpointsFile', () => {
  it('lets one process own a BATON_HOME: a second claim is refused, a stale file is replaced, release removes only its own', async () => {
    const { EndpointsFile } = await import('../../local/endpoints-file.ts');
    const home = freshHome();
    const file = new EndpointsFile(home);
    const description = {
      endpoint: 'http://127.0.0.1:1',
      tableName: 't',
      receiveQueueUrl: 'r',
      sendQueueUrl: 's',
      sendPortQueueUrls: { send: 's' },
      workQueueUrl: 'w',
    };
    // Another live process owns it.
    writeFileSync(file.path, record(process.ppid, 'http://127.0.0.1:2'));
    expect(() => file.claim(description)).toThrow(
      /a cluster is already running here \(pid \d+, http:\/\/127.0.0.1:2\)/,
    );
    file.release();
    expect(readFileSync(file.path, 'utf8')).toBe(record(process.ppid, 'http://127.0.0.1:2'));
    // Its process is gone: the file is stale and the claim takes it.
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(file.path, record(ended, 'http://127.0.0.1:2'));
    file.claim(description);
    const read = file.read();
    expect('cluster' in read && read.cluster.pid).toBe(process.pid);
    file.release();
    expect(file.read()).toMatchObject({ none: expect.stringMatching(/no cluster is running here/) });
    rmSync(home, { recursive: true });
  });
});

describe("the operator's commands on a running cluster (the console's twins)", () => {
  it('bulk-terminates by query only with --yes, resubmits a suspended message, and keeps each in the audit trail and the history', async () => {
    const home = freshHome();
    const start = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--port',
        '0',
        '--in-memory',
        '--instances',
        '1',
        '--console-port',
        '0',
        '--cancellation-window',
        '0s',
      ],
      { env: { ...process.env, BATON_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    start.stdout.on('data', (chunk) => {
      out += chunk;
    });
    start.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const cli = (args: string[]) => baton(args, home);
    const until = async (check: () => boolean, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen; npm start said:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    try {
      await until(() => out.includes('Running.'), 'the start');
      // The console's URL with its access token, printed once; the endpoints file has neither, and is its owner's only.
      const token =
        /web console: {4}http:\/\/127\.0\.0\.1:\d+\/\?token=([\w-]{32})\n {18}\(this machine only; the token in it is the key/.exec(
          out,
        )?.[1];
      expect(token, out).toBeDefined();
      const endpointsFile = join(home, 'endpoints.json');
      expect(readFileSync(endpointsFile, 'utf8')).not.toContain(token);
      expect(JSON.parse(readFileSync(endpointsFile, 'utf8')).consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(statSync(endpointsFile).mode & 0o777).toBe(0o600);

      // A bulk action that matches nothing says so (and does nothing).
      const none = cli(['resume', '--status', 'suspended', '--yes']);
      expect({ code: none.code, stdout: none.stdout }).toEqual({
        code: 0,
        stdout: '0 instance(s) match: nothing to resume\n',
      });
      // receive reads past SQS's 10 a receive, up to --max; the rest stays for the next.
      const { sqsClient } = await import('../../functions/adapters/aws-clients.ts');
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      const { useEmulatorCredentials } = await import('../../local/emulator-credentials.ts');
      useEmulatorCredentials();
      const cluster = JSON.parse(readFileSync(endpointsFile, 'utf8')) as { endpoint: string; sendQueueUrl: string };
      const sqs = sqsClient({ endpoint: cluster.endpoint });
      for (let n = 0; n < 13; n++)
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: cluster.sendQueueUrl,
            MessageBody: JSON.stringify({ n }),
            MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Paged' } },
          }),
        );
      const paged = (args: string[]) =>
        cli(['receive', '--wait', '1s', ...args])
          .stdout.trim()
          .split('\n');
      expect(paged(['--max', '12']).filter((line) => line.includes('"Paged"'))).toHaveLength(12);
      expect(paged([])).toEqual(['{"attributes":{"MessageType":"Paged"},"body":{"n":12}}']);
      expect(paged([])).toEqual(['no messages on the send queue']);

      const run = Date.now().toString(36);
      for (const i of [1, 2])
        cli([
          'send',
          JSON.stringify({
            orderId: `cli-${i}-${run}`,
            customerId: 'c-1',
            lines: [{ sku: 'GOLD', qty: 1, unitPrice: 20_000 }],
          }),
        ]);
      await until(
        () => /2 waiting instance/.test(cli(['instances', '--status', 'waiting']).stdout),
        'two waiting orders',
      );

      const asked = cli([
        'terminate',
        '--status',
        'waiting',
        '--orchestration',
        'OrderFulfilment',
        '--reason',
        'test campaign',
      ]);
      expect(asked.code).toBe(3);
      expect(asked.stdout).toContain('2 instance(s) match');
      expect(asked.stdout).toContain('nothing done: add --yes');
      expect(cli(['instances', '--status', 'waiting']).stdout).toContain('2 waiting instance');
      const done = cli([
        'terminate',
        '--status',
        'waiting',
        '--orchestration',
        'OrderFulfilment',
        '--reason',
        'test campaign',
        '--yes',
      ]);
      expect(done.stdout.match(/^done {5}terminate /gm)).toHaveLength(2);
      expect(cli(['instances', '--status', 'waiting']).stdout).toContain('0 waiting instance');
      expect(
        cli(['terminate', '--status', 'waiting', '--orchestration', 'OrderFulfilment', '--reason', 'again', '--yes'])
          .stdout,
      ).toBe('0 instance(s) match: nothing to terminate\n');

      cli(['send', 'not json at all']);
      let suspendedId = '';
      await until(() => {
        const listed = JSON.parse(cli(['suspended', '--json']).stdout) as { messages: { messageId: string }[] };
        suspendedId = listed.messages[0]?.messageId ?? '';
        return suspendedId !== '';
      }, 'a suspended message');
      // An empty body is refused before anything is claimed or sent: the message is resubmitted after it.
      const empty = cli(['resubmit', suspendedId, '--body', '@/dev/null']);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toMatch(/^baton: the body is empty \(\/dev\/null holds nothing\); nothing was sent/);
      const fixed = cli([
        'resubmit',
        suspendedId,
        '--body',
        JSON.stringify({ orderId: `cli-fixed-${run}`, customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 5 }] }),
      ]);
      expect(fixed.stdout).toMatch(/^done resubmit .* resubmitted as /m);
      // Asked again (a retried command): refused, nothing sent twice.
      expect(cli(['resubmit', suspendedId, '--body', '{}']).stdout).toMatch(
        /^refused resubmit \S+ {2}already resubmitted as \S+ by /m,
      );
      expect(JSON.parse(cli(['suspended', '--json']).stdout).messages).toEqual([]);
      await until(
        () => /Invoice/.test(cli(['receive', '--wait', '1s']).stdout),
        'the Invoice of the resubmitted order',
      );

      // A large bad message: its body is kept in the claim check, which the listing names rather than reads.
      const large = `not json ${'x'.repeat(70_000)}`;
      cli(['send', large]);
      let text = '';
      await until(
        () => /Suspended messages \(1\)/.test((text = cli(['suspended']).stdout)),
        'the large suspended message',
      );
      expect(text).toMatch(
        /body: \(large: kept in the claim check as suspended\/\S+; --json or the console shows it\)/,
      );
      const [whole] = JSON.parse(cli(['suspended', '--json']).stdout).messages as { messageId: string; body: string }[];
      expect(whole!.body).toBe(large);
      expect(cli(['discard', whole!.messageId, '--reason', 'test of a large body']).stdout).toMatch(/^done discard /m);

      const trail = cli(['audit']).stdout;
      expect(trail.match(/ terminate .* done {2}test campaign/g)).toHaveLength(2);
      expect(trail).toMatch(/ resubmit .* done /);
      await until(() => /completed/.test(cli(['flow', `cli-fixed-${run}`]).stdout), "the resubmitted order's flow");
      // Sending it again is for a send that failed after the claim: refused once its history shows it arrived.
      expect(cli(['resubmit', suspendedId, '--again']).stdout).toMatch(
        /^refused resubmit \S+ {2}resubmission \S+ arrived \(taken by /m,
      );
      expect(cli(['dlq']).stdout).toMatch(/receive +DLQ 0/);

      // A key's flow names its suspended message (an order its schema refuses still carries its id), resubmittable.
      const badKey = `cli-bad-${run}`;
      const badId = /as message (\S+)/.exec(
        cli(['send', JSON.stringify({ orderId: badKey, customerId: 'c-1', lines: 'none' })]).stdout,
      )![1]!;
      let story = '';
      await until(() => (story = cli(['flow', badKey]).stdout).includes(badId), "the refused order's flow");
      expect(story).toMatch(new RegExp(`^  suspended message  ${badId}  Order  unresolved  SchemaMismatch`, 'm'));
      // Said as this process was run (here the bin's own name; `npm run baton --` under the checkout's script).
      expect(story).toContain(`resubmit: baton resubmit ${badId} [--body '...']`);
      expect(story).toMatch(/^ {2}\S+ +message-suspended +message:/m);
      // Discarded, it stays in the flow, saying so.
      expect(cli(['discard', badId, '--reason', 'test of a key flow']).stdout).toMatch(/^done discard /m);
      expect(cli(['flow', badKey]).stdout).toMatch(new RegExp(`suspended message  ${badId}  Order  discarded by `));
    } finally {
      start.kill('SIGTERM');
      await new Promise((resolve) => start.on('exit', resolve));
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('terminates an instance at a parallel join with its branch instances, and resumes one whose outbox starts an orchestration, on the definitions the cluster runs', async () => {
    const home = freshHome();
    const hold = join(home, 'hold');
    const start = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--port',
        '0',
        '--in-memory',
        '--instances',
        '1',
        '--no-console',
        '--orchestrations',
        FIXTURE,
        '--approval-threshold',
        '500',
      ],
      { env: { ...process.env, BATON_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    start.stdout.on('data', (chunk) => {
      out += chunk;
    });
    start.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const cli = (args: string[]) => baton(args, home);
    const until = async (check: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen; npm start said:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    try {
      await until(async () => out.includes('Running.'), 'the start');
      // What the CLI needs to load the hosts' definitions: the module and the settings the cluster gives it.
      const recorded = JSON.parse(readFileSync(join(home, 'endpoints.json'), 'utf8')) as {
        endpoint: string;
        region?: string;
        tableName: string;
        orchestrations?: unknown;
      };
      expect(recorded.orchestrations).toEqual({ module: FIXTURE, environment: { BATON_APPROVAL_THRESHOLD: '500' } });
      const { DynamoDbInstanceStore } = await import('../../functions/adapters/DynamoDbInstanceStore.ts');
      const { dynamoDbDocumentClient } = await import('../../functions/adapters/aws-clients.ts');
      const { activationInstanceId, branchInstanceId } = await import('../../functions/core/ids.ts');
      const { useEmulatorCredentials } = await import('../../local/emulator-credentials.ts');
      useEmulatorCredentials();
      const store = new DynamoDbInstanceStore(
        dynamoDbDocumentClient({ endpoint: recorded.endpoint, region: recorded.region }),
        recorded.tableName,
      );
      const statusOf = async (id: string) => (await store.load(id))?.status;
      const sentAs = (sent: { stdout: string }) => /as message (\S+)/.exec(sent.stdout)?.[1] ?? '';

      // At its join: one branch instance done, the other waiting an hour.
      const fork = activationInstanceId('SlowFork', sentAs(cli(['send', '--type', 'Fork', '{"id":"f-1"}'])));
      const [fast, slow] = ['fast', 'slow'].map((name) => branchInstanceId(fork, 1, name));
      await until(
        async () =>
          (await statusOf(fast!)) === 'completed' &&
          (await statusOf(slow!)) === 'waiting' &&
          (await statusOf(fork)) === 'waiting',
        'the fork',
      );
      // Given a module without its orchestration, the CLI refuses, and says what to do, rather than leave the branch running.
      const without = cli(['terminate', fork, '--reason', 'no longer needed', '--orchestrations', SAMPLE]);
      expect(without.code).toBe(1);
      expect(without.stdout).toContain(
        `refused  terminate ${fork}  cannot terminate instance ${fork}: it waits at a parallel join of orchestration SlowFork@1, which is not known to console:`,
      );
      expect(without.stdout).toContain(
        `this command loaded the orchestrations of ${SAMPLE}; pass --orchestrations F, the module that defines it`,
      );
      expect(await statusOf(fork)).toBe('waiting');
      const terminated = cli(['terminate', fork, '--reason', 'no longer needed']);
      expect(terminated.stdout).toMatch(/^done {5}terminate /m);
      expect(terminated.code).toBe(0);
      expect(await statusOf(fork)).toBe('terminated');
      const branch = await store.load(slow!);
      expect(branch?.status).toBe('terminated');
      expect(branch?.error?.reason).toContain(`its orchestration ${fork} was terminated: no longer needed`);
      expect(await statusOf(fast!)).toBe('completed');

      // Suspended with the Start of a FlakyJob in its outbox.
      writeFileSync(hold, 'held');
      const starter = activationInstanceId(
        'Starter',
        sentAs(cli(['send', '--type', 'Kick', JSON.stringify({ id: 'k-1', holdWhile: hold })])),
      );
      await until(async () => (await statusOf(starter)) === 'suspended', 'the suspension');
      expect((await store.load(starter))!.outbox.map((e) => e.kind)).toEqual(['start']);
      rmSync(hold);
      const resumed = cli(['resume', starter]);
      expect(resumed.stdout).toMatch(/^done {5}resume /m);
      expect(resumed.code).toBe(0);
      await until(async () => (await statusOf(starter)) === 'completed', 'the resumed Starter to complete');
    } finally {
      start.kill('SIGTERM');
      await new Promise((resolve) => start.on('exit', resolve));
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
