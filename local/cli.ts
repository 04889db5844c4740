#!/usr/bin/env node
/**
 * `baton`: the local cluster and its admin commands.
 *   start     the embedded stack + N host instances (npm start), optionally a demo run
 *   suspended list suspended messages and suspended instances
 *   instances list instances by status (running, waiting, suspended)
 *   send      send a message to the receive queue
 *   receive   read (and delete) messages from the send queue
 *   resume    resume suspended instances from their last persistence point (by id, or all a query matches)
 *   terminate end instances that have not finished (by id, or all a query matches), with a reason
 *   dlq       look into a dead-letter queue;  redrive  send its messages back to their queue
 *   resubmit  send a suspended message (edited or not) to the receive queue, once (--again: the same, after a
 *             send that failed);  discard  drop it, with a reason
 *   audit     what operators did
 *   history   an instance's tracked history, a page at a time
 *   flow      the message flow of a business key (a correlation value), a message id or an instance id: its
 *             instances and its suspended messages (held for a key no instance had yet, refused), and their events
 *   console   the web console of a deployed stack, on this machine (console --stack NAME)
 * Every command but start acts on the local cluster `npm start` runs, or, given --stack NAME [--region R]
 * [--endpoint URL], on a deployed stack found by its outputs, with the operator's own AWS credentials.
 * resume, terminate and console run the processing host's own resume and terminate, on the definitions the hosts
 * run: the local cluster's (its endpoints file names its module), or, for a stack, --orchestrations F (default: the
 * sample's, what BatonStack deploys).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { dynamoDbDocumentClient, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { s3ClaimCheck } from '../functions/adapters/S3PayloadStore.ts';
import type { TrackedEvent } from '../functions/core/tracking.ts';
import { InstanceStatus } from '../functions/core/instance.ts';
import { sampleOptionsToEnv } from '../functions/orchestrations/index.ts';
import { HISTORY, OWNERSHIP } from '../functions/settings.ts';
import type { ClusterAddresses, OperatorOrchestrations } from '../console/local.ts';
import { shownStatus } from '../console/operations/status.ts';
import type { DeployedStack, OperatorIdentity, StackTarget } from '../console/stack.ts';
import { EndpointsFile, type ClusterRecord } from './endpoints-file.ts';
import { quietSqliteWarning } from './warnings.ts';
import { useEmulatorCredentials } from './emulator-credentials.ts';

/** Baton's working folder: the running cluster's endpoints, its host instances' logs, its data. */
const WORK_DIR = resolve(process.env.BATON_HOME ?? '.baton');
const endpoints = new EndpointsFile(WORK_DIR);
const [command = 'help', ...args] = process.argv.slice(2);

function fail(message: string): never {
  console.error(`baton: ${message}`);
  process.exit(2);
}

/**
 * `--stack NAME [--region R] [--endpoint URL]`, taken out of a command's arguments: the deployed stack it acts on
 * instead of the local cluster. Not for `start` (its --endpoint is the emulator the local cluster runs on).
 */
function takeStackOptions(given: readonly string[]): { stack?: StackTarget; rest: string[] } {
  const rest: string[] = [];
  const found: Record<string, string> = {};
  for (let i = 0; i < given.length; i++) {
    const option = /^--(stack|region|endpoint)(?:=(.*))?$/s.exec(given[i]!);
    if (!option) {
      rest.push(given[i]!);
      continue;
    }
    const value = option[2] ?? given[++i];
    if (value === undefined || value === '' || value.startsWith('--')) fail(`--${option[1]} takes a value`);
    found[option[1]!] = value;
  }
  if (!found.stack) {
    if (found.region || found.endpoint)
      fail(
        '--region and --endpoint go with --stack NAME (a deployed stack); the local cluster is found by its endpoints file',
      );
    return { rest };
  }
  return {
    stack: {
      stackName: found.stack,
      region: found.region,
      endpoint: found.endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined),
    },
    rest,
  };
}

const { stack: stackTarget, rest } = command === 'start' ? { stack: undefined, rest: args } : takeStackOptions(args);
// The emulators want some credentials and a region; a deployed stack on AWS gets the operator's own, untouched.
if (!stackTarget || stackTarget.endpoint) useEmulatorCredentials();

function duration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) fail(`${flag} takes a duration such as 500ms, 10s, 2m (got "${text}")`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's']!;
  return Number(match[1]) * unit;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} takes a positive integer (got "${text}")`);
  return n;
}

function nonNegative(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) fail(`${flag} takes a non-negative number (got "${text}")`);
  return n;
}

/** The cluster `npm start` runs (from BATON_HOME's endpoints.json), or a clear "no cluster is running". */
function runningCluster(): ClusterRecord {
  const found = endpoints.read();
  if ('none' in found) fail(found.none);
  return found.cluster;
}

let deployed: Promise<{ stack: DeployedStack; identity: OperatorIdentity }> | undefined;
/** The deployed stack of --stack (its outputs, and who the operator is), asked once. */
function deployedStack(target: StackTarget): Promise<{ stack: DeployedStack; identity: OperatorIdentity }> {
  return (deployed ??= (async () => {
    const { describeDeployedStack, operatorIdentity } = await import('../console/stack.ts');
    const stack = await describeDeployedStack(target);
    return { stack, identity: await operatorIdentity({ ...target, region: stack.region }) };
  })());
}

/** The --stack options this command was given, to repeat in the commands it suggests. */
function stackOptions(): string {
  if (!stackTarget) return '';
  const { stackName, region, endpoint } = stackTarget;
  return ` --stack ${stackName}${region ? ` --region ${region}` : ''}${endpoint && endpoint !== process.env.AWS_ENDPOINT_URL ? ` --endpoint ${endpoint}` : ''}`;
}

/** Where a command acts: the local cluster's endpoints file, or a deployed stack's outputs (--stack). */
async function addresses(): Promise<ClusterAddresses & { region?: string }> {
  return stackTarget ? (await deployedStack(stackTarget)).stack : runningCluster();
}

async function start(): Promise<void> {
  const { values } = parseArgs({
    args: rest,
    options: {
      instances: { type: 'string', default: '2' },
      demo: { type: 'string' },
      port: { type: 'string' },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      lease: { type: 'string', default: `${OWNERSHIP.leaseMs}ms` },
      'step-latency': { type: 'string' },
      'approval-threshold': { type: 'string' },
      'approval-timeout': { type: 'string' },
      'cancellation-window': { type: 'string' },
      orchestrations: { type: 'string' },
      prefix: { type: 'string', default: 'baton' },
      'console-port': { type: 'string', default: '4580' },
      'no-console': { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`npm start -- [options]
  --instances N        host instances (OS processes), default 2
  --demo N             send N sample orders, SIGKILL a host instance midway, check the send queue, exit
  --port P             port of the embedded DynamoDB + SQS endpoint, default 4566 (a demo takes a free one)
  --endpoint URL       use a running LocalStack-compatible endpoint instead of the embedded stack
  --data-dir D         keep state here (default .baton/data; the demo runs in memory unless given)
  --in-memory          keep no state across restarts
  --lease 10s          step lease; also the visibility timeout the local pollers use
  --step-latency 20ms  simulated pricing-service latency in the sample (demo default 20ms, else 0)
  --approval-threshold 10000   orders at or above this total wait for an Approval
  --approval-timeout 48h       how long an order waits for its Approval (e.g. 10s)
  --cancellation-window 10s    how long a fulfilled order can be cancelled before Invoice and Shipment
                               (the demo uses 0s)
  --prefix baton       prefix of the table and queue names
  --console-port 4580  port of the web console (on 127.0.0.1 only; a free one if 4580 is taken)
  --no-console         serve no web console
  --trace              record the host instances' spans (OpenTelemetry, OTLP JSON) to .baton/traces; read one
                       order's with: npm run baton -- trace <message id> (npx baton trace, installed)
  --orchestrations F   run the orchestrations a module exports (export const orchestrations = [...]) instead of
                       the sample`);
    return;
  }
  const demo = values.demo === undefined ? undefined : positiveInt(values.demo, '--demo');
  // A demo is a run of its own (its own port, in memory, no endpoints file): it never takes over the CLI's cluster.
  if (demo === undefined) {
    try {
      endpoints.assertFree();
    } catch (error) {
      fail((error as Error).message);
    }
  }
  quietSqliteWarning();
  const { LocalCluster } = await import('./cluster.ts');
  const { runDemo } = await import('./demo.ts');
  const { clusterCounts, statusLine } = await import('./status.ts');
  // The demo runs on fresh in-memory state unless a data folder is named; a plain start keeps state on disk.
  const inMemory = values['in-memory'] || (demo !== undefined && values['data-dir'] === undefined);
  const dataDir = inMemory ? undefined : resolve(values['data-dir'] ?? resolve(WORK_DIR, 'data'));
  // The sample's settings reach it the way settings reach any orchestrations module: the hosts' environment.
  const environment = sampleOptionsToEnv({
    pricingLatencyMs: values['step-latency']
      ? duration(values['step-latency'], '--step-latency')
      : demo
        ? 20
        : undefined,
    approvalThreshold:
      values['approval-threshold'] === undefined
        ? undefined
        : nonNegative(values['approval-threshold'], '--approval-threshold'),
    approvalTimeoutMs:
      values['approval-timeout'] === undefined ? undefined : duration(values['approval-timeout'], '--approval-timeout'),
    cancellationWindowMs:
      values['cancellation-window'] !== undefined
        ? duration(values['cancellation-window'], '--cancellation-window')
        : demo
          ? 0
          : undefined,
  });
  const cluster = new LocalCluster({
    instances: positiveInt(values.instances!, '--instances'),
    port: values.port === undefined ? (demo === undefined ? 4566 : 0) : Number(values.port),
    endpoint: values.endpoint,
    dataDir,
    prefix: values.prefix!,
    leaseMs: duration(values.lease!, '--lease'),
    // The demo's pricing step takes 20 ms, like a call to a pricing service, so a kill lands mid-step.
    environment,
    orchestrations: values.orchestrations,
    // A demo keeps its host logs apart from a cluster that may be running in this BATON_HOME.
    workDir: demo === undefined ? WORK_DIR : resolve(WORK_DIR, 'demo'),
    log: (line) => console.log(line),
    ...(values.trace ? { traceDir: resolve(WORK_DIR, 'traces') } : {}),
  });
  let stopping = false;
  // Declared before `stop`, which a Ctrl-C during the start may call before the status line exists.
  let ticker: NodeJS.Timeout | undefined;
  let webConsole: { url: string; openUrl: string; stop(): Promise<void> } | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    await webConsole?.stop();
    if (process.stdout.isTTY) process.stdout.write('\n');
    endpoints.release();
    await cluster.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  await cluster.start();
  const d = cluster.describe();
  console.log(
    `Baton local cluster: ${cluster.options.instances} host instance(s), state ${dataDir ? `in ${dataDir}` : 'in memory'}`,
  );
  console.log(`  endpoint (DynamoDB, SQS, S3): ${d.endpoint}${cluster.stack ? ' (embedded)' : ''}`);
  console.log(`  receive queue:  ${d.receiveQueueUrl}`);
  console.log(`  send queue:     ${d.sendQueueUrl}`);
  console.log(`  MessageBox:     ${d.tableName}`);
  console.log(
    `  history:        ${d.historyTableName}${cluster.tracking ? " (tracked from the MessageBox's stream)" : ' (tracking off: this endpoint keeps no streams)'}`,
  );
  console.log(
    `  claim check:    ${d.claimCheckBucket ? `${d.claimCheckBucket} (S3: states and bodies over 64 KiB)` : `off (${cluster.resources.claimCheckOff}; bodies up to 300 KB, kept in the MessageBox)`}`,
  );
  if (demo === undefined && !values['no-console']) {
    const { startLocalConsole } = await import('./console.ts');
    const port = Number(values['console-port']);
    webConsole = await startLocalConsole(cluster, { port }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      return startLocalConsole(cluster, { port: 0 });
    });
    console.log(`  web console:    ${webConsole.openUrl}`);
    console.log(
      '                  (this machine only; the token in it is the key: it is printed once, and not written down)',
    );
  }
  if (demo === undefined) {
    endpoints.claim({ ...d, consoleUrl: webConsole?.url });
    console.log(`  written to ${endpoints.path} (the CLI's way to this cluster; BATON_HOME=${WORK_DIR})`);
  }
  console.log(`  host instance logs: ${resolve(cluster.options.workDir, 'logs')}/host-<n>.log (JSON lines)`);
  await cluster.waitUntilUp();

  let counts: Awaited<ReturnType<typeof clusterCounts>> | undefined;
  let refreshing = false;
  let lastPrinted = 0;
  let lastCounted = 0;
  ticker = setInterval(() => {
    // The MessageBox counts every 5 s (each is 32 index reads); the host instances' own counts every second.
    if (!refreshing && Date.now() - lastCounted >= 5_000) {
      refreshing = true;
      lastCounted = Date.now();
      clusterCounts(cluster)
        .then((c) => {
          counts = c;
        })
        .catch(() => undefined)
        .finally(() => {
          refreshing = false;
        });
    }
    const line = statusLine(cluster, counts);
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 200) - 1)}`);
    else if (Date.now() - lastPrinted > 5_000) {
      lastPrinted = Date.now();
      console.log(line);
    }
  }, 1_000);

  if (demo === undefined) {
    console.log('Running. Ctrl-C stops the cluster.');
    return;
  }
  const result = await runDemo(cluster, demo, (line) => console.log(process.stdout.isTTY ? `\r\x1b[2K${line}` : line));
  console.log(
    `${process.stdout.isTTY ? '\r\x1b[2K' : ''}demo: redelivered copies of an already received MessageId (dropped by MessageId): ${result.redeliveries}; sweeper re-enqueued ${cluster.sweeps}`,
  );
  console.log(
    `demo: orchestrations=${result.orchestrations} completed=${result.completed} lost=${result.lost} duplicates=${result.duplicates} unaccounted=${result.unaccounted} failovers=${result.failovers}`,
  );
  const ok =
    result.lost === 0 &&
    result.duplicates === 0 &&
    result.unaccounted === 0 &&
    result.completed === result.orchestrations;
  await stop(ok ? 0 : 1);
}

async function suspended(): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
  const d = await addresses();
  const store = storeOf(d);
  // The JSON has every body whole; the text shows the start of those kept in the item, and no more of the others.
  // The last received first, as the console lists them.
  const messages = (await store.listSuspendedMessages(undefined, { bodies: values.json })).sort(
    (a, b) => b.receivedAt - a.receivedAt,
  );
  const instances = await store.listInstances(InstanceStatus.Suspended);
  if (values.json) {
    console.log(JSON.stringify({ messages, instances }, null, 2));
    return;
  }
  console.log(`Suspended messages (${messages.length}): could not become an instance`);
  for (const m of messages) {
    // A schema mismatch lists its issues one per line, each with its path in the body.
    const type = m.attributes.MessageType ?? 'the message';
    const reason = m.issues?.length
      ? `${type} does not match its schema:${m.issues.map((i) => `\n      ${i.path || '(body)'}: ${i.message}`).join('')}`
      : m.reason;
    console.log(`  ${new Date(m.receivedAt).toISOString()}  ${m.messageId}  ${reason}`);
    console.log(
      `      body: ${m.bodyRef ? `(large: kept in the claim check as ${m.bodyRef}; --json or the console shows it)` : m.body.length > 160 ? `${m.body.slice(0, 160)}…` : m.body}`,
    );
  }
  console.log(`Suspended instances (${instances.length}): resumable`);
  for (const s of instances)
    console.log(`  ${s.instanceId}  ${s.orchestration}@${s.version}  ${s.error?.reason ?? ''}`);
}

/** The cluster's MessageBox, large states and bodies read back from its claim check. */
function storeOf(d: {
  endpoint?: string;
  region?: string;
  tableName: string;
  claimCheckBucket?: string;
}): DynamoDbInstanceStore {
  const where = { endpoint: d.endpoint, region: d.region };
  return new DynamoDbInstanceStore(dynamoDbDocumentClient(where), d.tableName, {
    claimCheck: s3ClaimCheck(d.claimCheckBucket, where),
  });
}

async function instances(): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { status: { type: 'string', default: 'running' } } });
  const d = await addresses();
  const list = await storeOf(d).listInstances(values.status as InstanceStatus);
  console.log(`${list.length} ${values.status} instance(s)`);
  for (const s of list) {
    console.log(
      `  ${s.instanceId}  ${s.orchestration}@${s.version}  rev=${s.revision}  at=${s.cursor.threads.map((t) => t.at).join(',')}  lease=${s.lease ? `${s.lease.owner} until ${new Date(s.lease.expiresAt).toISOString()}` : '-'}`,
    );
  }
}

async function send(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { type: { type: 'string', default: 'Order' } },
  });
  const body =
    positionals[0] === undefined
      ? fail('usage: baton send [--type Order] \'{"orderId":"o-1",...}\' (or @file.json)')
      : positionals[0];
  const d = await addresses();
  const text = body.startsWith('@') ? readFileSync(body.slice(1), 'utf8') : body;
  const response = await sqsClient({ endpoint: d.endpoint, region: d.region }).send(
    new SendMessageCommand({
      QueueUrl: d.receiveQueueUrl,
      MessageBody: text,
      MessageAttributes: { MessageType: { DataType: 'String', StringValue: values.type! } },
    }),
  );
  console.log(`sent ${values.type} as message ${response.MessageId}`);
}

async function receive(): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { wait: { type: 'string', default: '5s' } } });
  // It deletes what it reads: on a deployed stack, that is output its consumers never get.
  if (stackTarget)
    fail(
      `receive reads and deletes the send queue's messages: it is for the local cluster; on stack ${stackTarget.stackName} they belong to its consumers, and it does not take them`,
    );
  const d = await addresses();
  const sendQueueUrl = d.sendPortQueueUrls.send!;
  const sqs = sqsClient({ endpoint: d.endpoint, region: d.region, longPolling: true });
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: sendQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: Math.min(20, Math.ceil(duration(values.wait!, '--wait') / 1000)),
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = response.Messages ?? [];
  for (const m of messages) {
    const attributes = Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
    );
    console.log(JSON.stringify({ attributes, body: JSON.parse(m.Body ?? 'null') }));
  }
  if (messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: sendQueueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  } else console.log('no messages on the send queue');
}

/**
 * The console's operations on the running cluster or the deployed stack: what the web console does, from the command
 * line. Resume and terminate need the hosts' orchestrations (see `operatorOrchestrations`); the other commands do not
 * load them.
 */
async function operations(orchestrations?: OperatorOrchestrations) {
  if (stackTarget) {
    const { stackOperations } = await import('../console/stack.ts');
    const { stack, identity } = await deployedStack(stackTarget);
    return stackOperations(stack, identity, orchestrations);
  }
  const { operationsFor } = await import('../console/local.ts');
  return operationsFor(runningCluster(), { orchestrations });
}

/**
 * The definitions the hosts run, loaded as they load them, for resume and terminate: those of `given`
 * (--orchestrations F); else, on the local cluster, the module and settings its endpoints file records; else, for a
 * deployed stack, the sample's (what BatonStack deploys), with this shell's environment as its settings.
 */
async function operatorOrchestrations(given: string | undefined): Promise<OperatorOrchestrations> {
  const { loadOrchestrations } = await import('../functions/load-orchestrations.ts');
  const pass = 'pass --orchestrations F, the module that defines it';
  if (stackTarget) {
    // No default: nothing says which module a stack deployed, and another module's definition under the same
    // name@version would name the wrong branch instances. Without one, the engine refuses what needs it.
    if (!given)
      return {
        definitions: [],
        hint: `nothing says which orchestrations stack ${stackTarget.stackName} runs; ${pass} (the module the stack deploys)`,
      };
    return {
      definitions: await loadOrchestrations(given, process.env),
      hint: `this command loaded the orchestrations of ${resolve(given)}; ${pass} (the module the stack deploys)`,
    };
  }
  const recorded = runningCluster().orchestrations;
  if (!given && !recorded) {
    return {
      definitions: [],
      hint: `the cluster was started by an older Baton, whose endpoints file does not name its orchestrations; ${pass}`,
    };
  }
  const module = given ?? recorded?.module;
  return {
    // Over this shell's environment, as the cluster loads them over its own.
    definitions: await loadOrchestrations(module, { ...process.env, ...recorded?.environment }),
    hint: `this command loaded the orchestrations of ${module ? resolve(module) : 'the sample'}${given ? '' : ' (what the cluster runs)'}; ${pass}`,
  };
}

/** The instances a command acts on: the ids given, or every instance a query matches (then only with --yes). */
async function targets(
  action: 'resume' | 'terminate',
): Promise<{ ids: string[]; values: Record<string, string | boolean | undefined> }> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      status: { type: 'string' },
      orchestration: { type: 'string' },
      query: { type: 'string' },
      'message-type': { type: 'string' },
      orchestrations: { type: 'string' },
      yes: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) return { ids: positionals, values };
  if (!values.status && !values.orchestration && !values.query && !values['message-type']) {
    fail(`usage: baton ${action} <instanceId>... ${action === 'terminate' ? '--reason "..." ' : ''}| baton ${action} --status S [--orchestration O] [--query Q] [--message-type T] ${action === 'terminate' ? '--reason "..." ' : ''}--yes
  [--orchestrations F]  the module of orchestrations the hosts run (default: the local cluster's; for --stack, the sample's)`);
  }
  const ops = await operations();
  const ids = await ops.searchAll({
    status: values.status,
    orchestration: values.orchestration,
    text: values.query,
    messageType: values['message-type'],
  });
  if (!values.yes) {
    console.log(`${ids.length} instance(s) match:`);
    for (const id of ids.slice(0, 50)) console.log(`  ${id}`);
    if (ids.length > 50) console.log(`  and ${ids.length - 50} more`);
    console.log(`nothing done: add --yes to ${action} them all`);
    process.exit(ids.length === 0 ? 0 : 3);
  }
  return { ids, values };
}

async function act(action: 'resume' | 'terminate'): Promise<void> {
  const { ids, values } = await targets(action);
  const reason = typeof values.reason === 'string' ? values.reason : '';
  if (action === 'terminate' && !reason.trim()) fail('a termination needs a reason: --reason "..."');
  const orchestrations = await operatorOrchestrations(
    typeof values.orchestrations === 'string' ? values.orchestrations : undefined,
  );
  const results = await (await operations(orchestrations)).act(action, ids, reason);
  for (const r of results)
    console.log(`${r.outcome.padEnd(8)} ${action} ${r.target}${r.detail ? `  ${r.detail}` : ''}`);
  if (results.some((r) => r.outcome !== 'done')) process.exit(1);
}

const resume = () => act('resume');
const terminate = () => act('terminate');

async function dlq(): Promise<void> {
  const { positionals } = parseArgs({ args: rest, allowPositionals: true });
  const ops = await operations();
  if (!positionals[0]) {
    for (const q of await ops.queueDepths())
      console.log(
        `  ${q.name.padEnd(12)} DLQ ${q.dlq ?? '-'}   (queue: ${q.visible} visible, ${q.inFlight} in flight)`,
      );
    console.log(`show one: npm run baton -- dlq <queue>${stackOptions()}`);
    return;
  }
  const messages = await ops.deadLetters(positionals[0]);
  console.log(`${messages.length} message(s) in the ${positionals[0]} DLQ (looked at, not taken)`);
  for (const m of messages)
    console.log(
      JSON.stringify({ messageId: m.messageId, receiveCount: m.receiveCount, attributes: m.attributes, body: m.body }),
    );
}

async function redrive(): Promise<void> {
  const { positionals } = parseArgs({ args: rest, allowPositionals: true });
  if (!positionals[0]) fail('usage: baton redrive <queue>   (receive, work, or a send port)');
  const result = await (await operations()).redrive(positionals[0]);
  console.log(`${result.outcome} redrive ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}

async function resubmit(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { body: { type: 'string' }, type: { type: 'string' }, again: { type: 'boolean', default: false } },
  });
  const usage = `usage: baton resubmit <messageId> [--body '{"...": ...}' | --body @file.json] [--type MessageType]
       baton resubmit <messageId> --again   sends again the resubmission its record names, the same message
                                            (after a send that failed; refused once it arrived)`;
  if (!positionals[0] || (values.again && (values.body !== undefined || values.type !== undefined))) fail(usage);
  const body =
    values.body === undefined
      ? undefined
      : values.body.startsWith('@')
        ? readFileSync(values.body.slice(1), 'utf8')
        : values.body;
  const ops = await operations();
  const result = values.again
    ? await ops.sendAgain(positionals[0])
    : await ops.resubmit(positionals[0], { body, messageType: values.type });
  console.log(`${result.outcome} resubmit ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}

async function discard(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { reason: { type: 'string' } },
  });
  if (!positionals[0] || !values.reason?.trim()) fail('usage: baton discard <messageId> --reason "..."');
  const result = await (await operations()).discard(positionals[0], values.reason);
  console.log(`${result.outcome} discard ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}

async function audit(): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { limit: { type: 'string', default: '50' } } });
  const entries = await (await operations()).auditTrail(positiveInt(values.limit!, '--limit'));
  if (entries.length === 0) console.log('no operator action yet');
  for (const e of entries)
    console.log(
      `  ${new Date(e.at).toISOString()}  ${e.who}  ${e.action} ${e.target}  ${e.outcome}${e.detail ? `  ${e.detail}` : ''}`,
    );
}

/** One tracked event on one line: time, kind, where, with what. */
function eventLine(e: TrackedEvent, subject = false): string {
  const parts = [
    new Date(e.at).toISOString(),
    e.kind.padEnd(17),
    subject ? e.subject : '',
    e.fromShape && e.shape && e.fromShape !== e.shape ? `${e.fromShape} → ${e.shape}` : (e.shape ?? ''),
    e.messageType ? `${e.messageType}${e.messageId ? ` ${e.messageId}` : ''}` : (e.messageId ?? ''),
    e.port ? `to ${e.port}` : '',
    e.related ? `(${e.related})` : '',
    e.host ? `on ${e.host}` : '',
    e.detail ?? '',
  ];
  return `  ${parts.filter(Boolean).join('  ')}`;
}

async function history(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '100' },
      after: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!positionals[0]) fail('usage: baton history <instanceId> [--limit 100] [--after <cursor>] [--json]');
  const page = await (await operations()).history(positionals[0], values.after, positiveInt(values.limit!, '--limit'));
  if (values.json) {
    console.log(JSON.stringify(page, null, 2));
    return;
  }
  if (page.events.length === 0 && !values.after)
    console.log(
      `no tracked history for ${positionals[0]} (is the id right? history is kept ${HISTORY.defaultRetentionDays} days)`,
    );
  for (const e of page.events) console.log(eventLine(e));
  if (page.next) console.log(`more: npm run baton -- history ${positionals[0]} --after ${page.next}${stackOptions()}`);
}

async function flow(): Promise<void> {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (!positionals[0]) fail('usage: baton flow <business key | message id | instance id> [--json]');
  const found = await (await operations()).flow(positionals[0], { maxSubjects: 100, maxEventsPerSubject: 2_000 });
  if (values.json) {
    console.log(JSON.stringify(found, null, 2));
    return;
  }
  if (found.subjects.length === 0) {
    console.log(
      `nothing tracked for "${positionals[0]}": not a correlation value, message id or instance id seen in the last ${HISTORY.defaultRetentionDays} days`,
    );
    return;
  }
  console.log(
    `${found.subjects.length} instance(s) and message(s), ${found.events.length} event(s)${found.truncated ? ' (truncated)' : ''}`,
  );
  for (const subject of found.subjects.filter((s) => !s.startsWith('message:'))) {
    const s = found.instances[subject];
    const keys = s ? Object.entries(s.correlations).map(([set, value]) => `${set}=${value}`) : [];
    const branch = s?.branchOf ? `branch ${s.branchOf.branch} of ${s.branchOf.instanceId}` : '';
    const what = s
      ? `${s.orchestration}@${s.version}  ${shownStatus(s)}  ${[...keys, branch].join(' ')}`
      : '(no longer in the MessageBox)';
    console.log(`  instance  ${subject}  ${what}`);
  }
  // Its suspended messages: held because no instance had the key yet, refused or unreadable; each resubmittable.
  for (const m of found.messages) {
    const r = m.resolution;
    const state = r ? `${r.kind}${r.resubmittedAs ? ` as ${r.resubmittedAs}` : ''} by ${r.by}` : 'unresolved';
    console.log(`  suspended message  ${m.messageId}  ${m.attributes.MessageType ?? ''}  ${state}  ${m.reason}`);
    if (!r)
      console.log(
        `      resubmit: npm run baton -- resubmit ${m.messageId}${stackOptions()} [--body '...'] ` +
          `(or the console's /messages/${encodeURIComponent(m.messageId)})`,
      );
  }
  console.log('events:');
  for (const e of found.events)
    console.log(
      `${eventLine(e, true)}${e.sincePreviousMs > 1_000 ? `  (+${(e.sincePreviousMs / 1000).toFixed(1)} s)` : ''}`,
    );
}

/**
 * `baton console --stack NAME`: the web console of a deployed stack, on 127.0.0.1, with the operator's own AWS
 * credentials (the local cluster's is served by `npm start`).
 */
async function webConsole(): Promise<void> {
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string' },
      orchestrations: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const usage = `usage: baton console --stack NAME [--region R] [--port P] [--endpoint URL] [--orchestrations F]
  --stack NAME     the deployed stack (its outputs say where its queues and tables are)
  --region R       its region (default: AWS_REGION, or your AWS profile's)
  --port P         the console's port on 127.0.0.1 (default 4580, or a free one when it is taken)
  --endpoint URL   an emulator (LocalStack, MiniStack) instead of AWS (default: AWS_ENDPOINT_URL)
  --orchestrations F   the module of orchestrations the stack deploys, for resume and terminate
                   (default: the sample's, what BatonStack deploys)
It runs with your own AWS credentials and serves on this machine only.`;
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!stackTarget) {
    const found = endpoints.read();
    const local =
      'cluster' in found && found.cluster.consoleUrl
        ? `; the local cluster's console is ${found.cluster.consoleUrl} (npm start serves it, and printed the URL with its access token)`
        : "; npm start serves the local cluster's console";
    fail(`console needs --stack NAME (a deployed stack)${local}\n${usage}`);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535))
    fail(`--port takes a port number (got "${values.port}")`);
  const { stackOperations, stackWhere } = await import('../console/stack.ts');
  const { startConsole } = await import('../console/server.ts');
  const { stack, identity } = await deployedStack(stackTarget);
  const operations = stackOperations(stack, identity, await operatorOrchestrations(values.orchestrations));
  // One overview before serving: a table or queue this identity may not read says so now, not on every page.
  await operations.overview();
  const where = stackWhere(stack);
  const serve = (on: number) => startConsole({ operations, port: on, where });
  const running = await serve(port ?? 4580).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    if (port !== undefined)
      fail(`port ${port} is taken on 127.0.0.1: pick another with --port, or --port 0 for a free one`);
    return serve(0);
  });
  const queues = ['receive', 'work', ...Object.keys(stack.sendPortQueueUrls)];
  const withDlq = queues.filter((q) => stack.deadLetterQueueUrls?.[q]);
  console.log(`Baton console for ${where}`);
  console.log(`  stack status:   ${stack.status ?? 'unknown'}`);
  console.log(
    `  acting as:      ${identity.operator}${identity.unverified ? `\n                  (${identity.unverified})` : ''}`,
  );
  console.log(`  MessageBox:     ${stack.tableName}`);
  console.log(`  history:        ${stack.historyTableName}`);
  console.log(
    `  queues:         ${queues.join(', ')} (${withDlq.length === queues.length ? 'each with its DLQ' : `DLQs: ${withDlq.join(', ') || 'none'}`})`,
  );
  console.log('  host instances: from the tracked history (Lambda execution environments seen in the last hour)');
  console.log(`  web console:    ${running.openUrl}`);
  console.log(
    '                  (this machine only; the token in it is the key: it is printed once, and not written down)',
  );
  console.log('Ctrl-C stops it.');
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * `baton trace <message id | trace id>`: one business transaction's spans, as `npm start -- --trace` recorded them,
 * in the order they started: the message's receive, each step on whichever host instance, the sends.
 */
async function traceCommand(): Promise<void> {
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
  const wanted =
    positionals[0] ?? fail('usage: baton trace <message id | trace id>  (spans recorded by npm start -- --trace)');
  const { readExportedSpans } = await import('./trace-export.ts');
  const spans = readExportedSpans(resolve(WORK_DIR, 'traces'));
  if (spans.length === 0)
    fail(`no spans in ${resolve(WORK_DIR, 'traces')}: start the cluster with npm start -- --trace`);
  const traceId = /^[0-9a-f]{32}$/.test(wanted)
    ? wanted
    : spans.find((s) => s.attributes['messaging.message.id'] === wanted && s.name.startsWith('receive'))?.traceId;
  const own = spans
    .filter((s) => s.traceId === traceId)
    .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  if (own.length === 0)
    fail(`no recorded trace for ${wanted} (a message id the receive host took, or a 32-hex trace id)`);
  const start = BigInt(own[0]!.startTimeUnixNano);
  const ms = (ns: bigint) => Number(ns / 1_000_000n);
  console.log(`trace ${traceId}: ${own.length} spans`);
  for (const s of own) {
    const a = s.attributes;
    const detail = [
      a['baton.instance.id'] && `instance ${a['baton.instance.id']}`,
      a['baton.instance.revision'] !== undefined && `rev ${a['baton.instance.revision']}`,
      a['baton.instance.status'],
      a['baton.result'],
      a['messaging.destination.name'] && `to ${a['messaging.destination.name']}`,
    ]
      .filter(Boolean)
      .join(', ');
    console.log(
      `  +${String(ms(BigInt(s.startTimeUnixNano) - start)).padStart(6)} ms  ${String(ms(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano))).padStart(5)} ms  ${s.service.padEnd(10)}  ${s.name}${detail ? `  (${detail})` : ''}`,
    );
  }
}

const commands: Record<string, () => Promise<void>> = {
  start,
  suspended,
  instances,
  send,
  receive,
  resume,
  terminate,
  history,
  flow,
  dlq,
  redrive,
  resubmit,
  discard,
  audit,
  trace: traceCommand,
  console: webConsole,
};
const run = commands[command];
if (!run) {
  console.log(
    `usage: baton <${Object.keys(commands).join('|')}> [options] [--stack NAME [--region R] [--endpoint URL]]   (npm start -- --help for start options)`,
  );
  process.exit(command === 'help' || command === '--help' ? 0 : 2);
}
try {
  await run();
} catch (error) {
  fail(await problemOf(error));
}

/** What went wrong, in a sentence: a stack's problem, an AWS refusal, or a cluster it could not reach. */
async function problemOf(error: unknown): Promise<string> {
  if (!stackTarget) return networkProblem(error) ?? (error as Error).message;
  if ((error as Error).name === 'StackProblem') return (error as Error).message;
  const { awsProblem } = await import('../console/stack.ts');
  return (
    awsProblem(error, stackTarget, stackTarget.region ?? process.env.AWS_REGION ?? '', 'a request') ??
    (error as Error).message
  );
}

/** A request that never reached the cluster, said as such (the cluster's process is alive, or we would not be here). */
function networkProblem(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  if (
    !['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code ?? '') &&
    (error as Error).name !== 'TimeoutError'
  )
    return undefined;
  const found = endpoints.read();
  const where =
    'cluster' in found ? `the cluster at ${found.cluster.endpoint} (pid ${found.cluster.pid})` : 'the cluster';
  return `could not reach ${where}: ${(error as Error).message || code}; if it is still starting, try again in a moment`;
}
