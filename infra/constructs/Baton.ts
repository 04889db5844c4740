import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { FlowLogDestination, IpAddresses, SubnetType, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAIM_CHECK, QUEUES, sendPortQueue, STACK_OUTPUTS, EVENT_SOURCE } from '../../functions/settings.ts';
import { DurableQueue } from './DurableQueue.ts';
import { DurableTimers } from './DurableTimers.ts';
import { HostFunction } from './HostFunction.ts';
import { MessageBox } from './MessageBox.ts';
import { ClaimCheck, grantObjects } from './ClaimCheck.ts';
import { Monitoring } from './Monitoring.ts';
import { Tracking } from './Tracking.ts';
import { ProcessingHost, type Placement } from './ProcessingHost.ts';

/** What a {@link Baton} is made for: your orchestrations module, and how it runs. */
export interface BatonProps {
  /**
   * Your orchestrations: the path of a module that exports `orchestrations` (the definitions, or a function
   * of the hosts' environment returning them), relative to the CDK app's working directory. It is loaded and
   * checked at synth (so a mistake fails `cdk synth`) and bundled into every host.
   */
  readonly orchestrations: string;
  /** Settings for your orchestrations: environment variables of every host, and what `orchestrations(env)` receives. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Where processing host instances run (see ProcessingHost). @defaultValue 'regional' */
  readonly placement?: Placement;
  /** For `perAz`: the VPC to use. @defaultValue a VPC with an isolated subnet per zone, no NAT */
  readonly vpc?: IVpc;
  /** For the VPC Baton creates: how many zones. @defaultValue 2 (3 needs an environment or explicit zones) */
  readonly zones?: number;
  /** Keep the MessageBox table when the stack goes away (it holds every running orchestration). @defaultValue true */
  readonly retainData?: boolean;
  /** How long the tracked history of instances is kept. @defaultValue 30 days */
  readonly historyRetention?: Duration;
  /** Bundle the AWS SDK into the functions, for emulators whose Lambda runtime lacks it (MiniStack). @defaultValue false */
  readonly bundleAwsSdk?: boolean;
  /**
   * Host throttling, as BizTalk hosts have: the most concurrent invocations each host function's queue may start (the
   * event source mapping's MaximumConcurrency, 2 to 1,000), per processing host instance. It bounds the load one host
   * puts on the MessageBox, and it is the first limit a busy deployment meets (docs/benchmarks.md, Capacity).
   * @defaultValue 20
   */
  readonly hostConcurrency?: number;
  /**
   * `otel`: every function records its spans (functions/adapters/tracing.ts) with the ADOT Lambda layer, which exports
   * them (to X-Ray by default; see the layer's configuration for other backends). @defaultValue 'off' (the OpenTelemetry
   * API then does nothing)
   */
  readonly tracing?: 'off' | 'otel';
}

/** What the synth-time check found in the module. */
export interface DeployedOrchestrations {
  /** Name and version of every orchestration the module exports. */
  readonly orchestrations: readonly { readonly name: string; readonly version: number }[];
  /** The send ports the orchestrations send to: each gets a queue. */
  readonly ports: readonly string[];
}

/**
 * Baton on AWS for your orchestrations: receive queue → receive host → MessageBox + work queue → processing
 * host → one send queue per send port, the durable timers, the sweeper on a schedule, alarms and a dashboard.
 * Everything it creates is public, to extend rather than fork.
 *
 * @example
 * ```ts
 * const baton = new Baton(this, 'Baton', { orchestrations: 'src/orchestrations.ts' });
 * baton.addOutputs(); // ReceiveQueueUrl, SendQueueUrl, …: what clients and `baton console --stack` read
 * ```
 */
export class Baton extends Construct {
  /** The orchestrations and send ports the synth-time check found in the module. */
  readonly deployed: DeployedOrchestrations;
  /** The MessageBox: the DynamoDB table of instances. */
  readonly messageBox: MessageBox;
  /** Where states and bodies too large for a MessageBox item go (S3). */
  readonly claimCheck: ClaimCheck;
  /** Where producers send messages (with a `MessageType` attribute); the receive host consumes it. */
  readonly receiveQueue: DurableQueue;
  /** The processing host's work items: an instance to run, from the receive host, a timer or the sweeper. */
  readonly workQueue: DurableQueue;
  /** Send port name → its queue; `send` is the default port. */
  readonly sendQueues: Readonly<Record<string, DurableQueue>>;
  /** Timers longer than an SQS delay (15 minutes): a Step Functions state machine. */
  readonly timers: DurableTimers;
  /** The receive host: validates, routes and delivers each message of the receive queue. */
  readonly receiveHost: HostFunction;
  /** The processing host: runs the orchestrations' steps. */
  readonly processingHost: ProcessingHost;
  /** The sweeper, every minute: wakes what is overdue (a lost work item, a lease that ran out) and counts the suspended. */
  readonly sweeper: HostFunction;
  /** The MessageBox's stream → the tracking function → the history table. */
  readonly tracking: Tracking;
  /** The alarms and the dashboard. */
  readonly monitoring: Monitoring;
  /** The VPC the processing host instances run in (`perAz` only). */
  readonly vpc?: IVpc;
  /** What readExtendedPayloadsFrom allowed, as the receive host's configuration names it. */
  readonly #extendedPayloadSources: string[] = [];

  constructor(scope: Construct, id: string, props: BatonProps) {
    super(scope, id);
    const modulePath = resolve(props.orchestrations);
    this.deployed = checkOrchestrations(modulePath, props.environment ?? {});
    const project = projectOf(modulePath);
    const entries = writeEntries(modulePath, project.root, this.node.addr);

    this.messageBox = new MessageBox(this, 'MessageBox', { retain: props.retainData });
    this.claimCheck = new ClaimCheck(this, 'ClaimCheck', { retain: props.retainData });
    this.receiveQueue = new DurableQueue(this, 'Receive', QUEUES.receive);
    this.workQueue = new DurableQueue(this, 'Work', QUEUES.work);
    const sendQueues: Record<string, DurableQueue> = {};
    for (const port of new Set(['send', ...this.deployed.ports])) {
      sendQueues[port] = new DurableQueue(this, port === 'send' ? 'Send' : `SendPort-${port}`, sendPortQueue(port));
    }
    this.sendQueues = sendQueues;
    this.timers = new DurableTimers(this, 'DurableTimers', { workQueue: this.workQueue.queue });
    const environment = {
      ...props.environment,
      BATON_TABLE_NAME: this.messageBox.table.tableName,
      BATON_WORK_QUEUE_URL: this.workQueue.queue.queueUrl,
      BATON_SEND_PORTS: Stack.of(this).toJsonString(
        Object.fromEntries(Object.entries(sendQueues).map(([port, q]) => [port, q.queue.queueUrl])),
      ),
      BATON_TIMER_STATE_MACHINE_ARN: this.timers.stateMachine.stateMachineArn,
      BATON_CLAIM_CHECK_BUCKET: this.claimCheck.bucket.bucketName,
    };
    const maxConcurrency = props.hostConcurrency ?? EVENT_SOURCE.maxConcurrency;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1_000) {
      throw new Error(
        `Baton: hostConcurrency must be a whole number from 2 to 1,000 (an SQS event source's MaximumConcurrency); got ${props.hostConcurrency}`,
      );
    }
    const otel = props.tracing === 'otel';
    if (props.tracing !== undefined && props.tracing !== 'off' && !otel)
      throw new Error(`Baton: tracing must be "off" or "otel"; got ${JSON.stringify(props.tracing)}`);
    const code = (entry: string) => ({
      entry,
      projectRoot: project.root,
      depsLockFilePath: project.lockFile,
      environment,
      bundleAwsSdk: props.bundleAwsSdk,
      maxConcurrency,
      otel,
    });

    // Least privilege, by what each host does to the MessageBox (see functions/core/ports.ts).
    this.receiveHost = new HostFunction(this, 'ReceiveHost', {
      ...code(entries.receiveHost),
      source: this.receiveQueue.queue,
      lastDeliveries: this.receiveQueue.deadLetterQueue,
    });
    this.messageBox.grant(this.receiveHost.role, 'create');
    this.claimCheck.grant(this.receiveHost.role, 'receive');
    this.workQueue.queue.grantSendMessages(this.receiveHost.fn);

    const placement = props.placement ?? 'regional';
    this.vpc = placement === 'perAz' ? (props.vpc ?? this.#isolatedVpc(props.zones ?? 2)) : undefined;
    this.processingHost = new ProcessingHost(this, 'ProcessingHost', {
      placement,
      vpc: this.vpc,
      code: code(entries.processingHost),
      workQueue: this.workQueue.queue,
      sendQueues: Object.values(sendQueues).map((q) => q.queue),
      messageBox: this.messageBox,
      environment,
      bundleAwsSdk: props.bundleAwsSdk,
    });
    for (const instance of this.processingHost.instances) {
      this.timers.grantStart(instance.role);
      this.claimCheck.grant(instance.role, 'process');
    }

    this.sweeper = new HostFunction(this, 'Sweeper', { ...code(entries.sweeper), timeoutSeconds: 60 });
    this.messageBox.grant(this.sweeper.role, 'sweep');
    this.workQueue.queue.grantSendMessages(this.sweeper.fn);
    new Rule(this, 'SweepSchedule', {
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.sweeper.fn)],
    });

    this.tracking = new Tracking(this, 'Tracking', {
      messageBox: this.messageBox,
      code: {
        entry: entries.tracking,
        projectRoot: project.root,
        depsLockFilePath: project.lockFile,
        bundleAwsSdk: props.bundleAwsSdk,
        otel,
        environment: { BATON_CLAIM_CHECK_BUCKET: this.claimCheck.bucket.bucketName },
      },
      retention: props.historyRetention,
      retain: props.retainData,
    });

    this.claimCheck.grant(this.tracking.function.role, 'tracking');

    this.monitoring = new Monitoring(this, 'Monitoring', {
      queues: {
        Receive: this.receiveQueue,
        Work: this.workQueue,
        ...Object.fromEntries(
          Object.entries(sendQueues).map(([port, q]) => [port === 'send' ? 'Send' : `SendPort-${port}`, q]),
        ),
      },
      functions: {
        ReceiveHost: this.receiveHost.fn,
        Sweeper: this.sweeper.fn,
        Tracking: this.tracking.function.fn,
        ...Object.fromEntries(this.processingHost.instances.map((host, i) => [`ProcessingHost${i + 1}`, host.fn])),
      },
      namespace: 'Baton',
    });
  }

  /**
   * Lets the receive host read the bodies senders' SQS extended clients offload to `bucket` (their pointers name it),
   * or only those under `prefix`. The receive host follows no pointer anywhere else: a pointer names any object the
   * sender likes, and without this allow-list a sender could have another party's body taken as its own message.
   * Senders may use Baton's own bucket instead, under `inbound/` (always read; grant them `s3:PutObject` there:
   * `baton.claimCheck.bucket.grantPut(sender, 'inbound/*')`), where objects expire after SQS's retention.
   *
   * @throws Error for Baton's own bucket: only its `inbound/` objects are senders'.
   */
  readExtendedPayloadsFrom(bucket: IBucket, options: { readonly prefix?: string } = {}): void {
    if (bucket === this.claimCheck.bucket)
      throw new Error(
        `Baton: readExtendedPayloadsFrom is for senders' buckets; Baton's own bucket is read only under ${CLAIM_CHECK.inboundPrefix}, already`,
      );
    const prefix = options.prefix ?? '';
    grantObjects(this.receiveHost.role, bucket, { 's3:GetObject': [prefix] });
    // The receive host learns the allow-list from its configuration (functions/handlers/config.ts).
    this.#extendedPayloadSources.push(prefix ? `${bucket.bucketName}/${prefix}` : bucket.bucketName);
    this.receiveHost.fn.addEnvironment('BATON_EXTENDED_PAYLOAD_BUCKETS', this.#extendedPayloadSources.join(','));
  }

  /**
   * Declares the stack outputs a client needs (names in STACK_OUTPUTS, functions/settings.ts): the queue URLs, the
   * send ports' and dead-letter queues' URLs (as JSON), the tables, the timer state machine and where the processing
   * host instances run. `baton console --stack <name>` and the CLI's `--stack` find everything by them. They are
   * declared on the stack itself, under those names: one Baton per stack declares them.
   */
  addOutputs(): void {
    const stack = Stack.of(this);
    const output = (id: string, value: string, description: string) => new CfnOutput(stack, id, { value, description });
    const json = (entries: [string, string][]) => stack.toJsonString(Object.fromEntries(entries));
    const ports = Object.entries(this.sendQueues);
    output(
      STACK_OUTPUTS.receiveQueueUrl,
      this.receiveQueue.queue.queueUrl,
      'Baton: send messages here (the receive location)',
    );
    output(STACK_OUTPUTS.sendQueueUrl, this.sendQueues.send!.queue.queueUrl, 'Baton: results of the default send port');
    output(STACK_OUTPUTS.workQueueUrl, this.workQueue.queue.queueUrl, "Baton: the processing host's work queue");
    output(
      STACK_OUTPUTS.sendPortQueueUrls,
      json(ports.map(([port, q]) => [port, q.queue.queueUrl])),
      'Baton: send port -> its queue URL (JSON)',
    );
    output(
      STACK_OUTPUTS.deadLetterQueueUrls,
      json([
        ['receive', this.receiveQueue.deadLetterQueue.queueUrl],
        ['work', this.workQueue.deadLetterQueue.queueUrl],
        ...ports.map(([port, q]): [string, string] => [port, q.deadLetterQueue.queueUrl]),
      ]),
      'Baton: queue (receive, work, each send port) -> its dead-letter queue URL (JSON)',
    );
    output(STACK_OUTPUTS.tableName, this.messageBox.table.tableName, 'Baton: the MessageBox table');
    output(STACK_OUTPUTS.historyTableName, this.tracking.table.tableName, 'Baton: the tracked history table');
    output(
      STACK_OUTPUTS.timerStateMachineArn,
      this.timers.stateMachine.stateMachineArn,
      'Baton: the durable timers state machine',
    );
    output(
      STACK_OUTPUTS.claimCheckBucket,
      this.claimCheck.bucket.bucketName,
      "Baton: the claim check's bucket (states and bodies too large for the MessageBox)",
    );
    output(
      STACK_OUTPUTS.processingHostZones,
      json(
        this.processingHost.instances.map((host, i): [string, string] => [
          host.fn.functionName,
          this.processingHost.zones[i] ?? 'regional',
        ]),
      ),
      'Baton: processing host function -> the zone its instances run in, or regional (JSON)',
    );
  }

  /** A VPC with only isolated subnets (no NAT, no internet gateway): the hosts reach AWS through endpoints. */
  #isolatedVpc(zones: number): Vpc {
    const stack = Stack.of(this);
    const region = stack.region.startsWith('${Token')
      ? (this.node.tryGetContext('region') ?? 'us-east-1')
      : stack.region;
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.42.0.0/16'),
      // An environment-agnostic stack only knows two zones by itself; name them to get more.
      availabilityZones: Array.from({ length: zones }, (_, i) => `${region}${'abcdef'[i]}`),
      natGateways: 0,
      subnetConfiguration: [{ name: 'hosts', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs() });
    return vpc;
  }
}

/** `.ts` in a source checkout, `.js` in the installed package: this file's own extension. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const here = (path: string) => fileURLToPath(new URL(`${path}${EXT}`, import.meta.url));

/**
 * Loads the module in a separate Node process, as a host will (constructs are synchronous, and the module's
 * own settings must not leak into the CDK app), and returns what it deploys.
 *
 * @throws Error with the module's problems (a DefinitionError lists every one).
 */
function checkOrchestrations(
  modulePath: string,
  environment: Readonly<Record<string, string>>,
): DeployedOrchestrations {
  if (!existsSync(modulePath)) throw new Error(`Baton: orchestrations module ${modulePath} does not exist`);
  const out = join(mkdtempSync(join(tmpdir(), 'baton-check-')), 'deployed.json');
  // The environment a host will have, not the CDK app's: a module that reads a variable only this shell has
  // would pass here and fail on Lambda. Only what Node itself needs is kept.
  const kept = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];
  const hostLike = Object.fromEntries(
    kept.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!]),
  );
  try {
    // The result goes to a file of its own: whatever the module prints when it loads stays out of it.
    const result = spawnSync(process.execPath, [here('../check-orchestrations'), modulePath, out], {
      env: { ...hostLike, ...environment },
      encoding: 'utf8',
    });
    if (result.status !== 0 || !existsSync(out)) {
      throw new Error(
        `Baton: the orchestrations in ${modulePath} cannot be deployed:\n${(result.stderr || String(result.error ?? `exit ${result.status}`)).trim()}`,
      );
    }
    return JSON.parse(readFileSync(out, 'utf8')) as DeployedOrchestrations;
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}

const LOCK_FILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'];

/** The project the module belongs to: the nearest folder above it with a lock file (what NodejsFunction bundles from). */
function projectOf(modulePath: string): { root: string; lockFile: string } {
  for (let dir = dirname(modulePath); ; dir = dirname(dir)) {
    const lockFile = LOCK_FILES.map((name) => join(dir, name)).find(existsSync);
    if (lockFile) return { root: dir, lockFile };
    if (dirname(dir) === dir)
      throw new Error(
        `Baton: no lock file (${LOCK_FILES.join(', ')}) in any folder above ${modulePath}; the hosts are bundled from that project (run npm install first)`,
      );
  }
}

/**
 * Writes each host's Lambda entry: it imports the user's module and hands it to Baton's handler. They live in
 * the project's `.baton/lambda/` (NodejsFunction bundles only entries under the project root); generated at
 * every synth, never edited.
 */
function writeEntries(
  modulePath: string,
  root: string,
  id: string,
): { receiveHost: string; processingHost: string; sweeper: string; tracking: string } {
  const dir = join(root, '.baton', 'lambda', id);
  mkdirSync(dir, { recursive: true });
  const importPath = (file: string) => {
    const path = relative(dir, file).split('\\').join('/');
    return path.startsWith('.') ? path : `./${path}`;
  };
  // Installed, Baton is imported by its package name, resolved from the project like any dependency (a linked or
  // symlinked install stays outside the project root); in a source checkout, by its path.
  const handlers = EXT === '.js' ? 'baton/lambda' : importPath(here('../../functions/handlers/index'));
  const write = (name: string, factory: string) => {
    const entry = join(dir, `${name}.mjs`);
    writeFileSync(
      entry,
      `// Generated by the Baton construct at synth: the ${name} Lambda entry for ${relative(root, modulePath)}. Do not edit.\n${entrySource(factory, handlers, importPath(modulePath))}`,
    );
    return entry;
  };
  const tracking = join(dir, 'tracking.mjs');
  writeFileSync(
    tracking,
    `// Generated by the Baton construct at synth: the tracking Lambda entry. Do not edit.\n${entrySource('trackingHandler', handlers)}`,
  );
  return {
    receiveHost: write('receive-host', 'receiveHostHandler'),
    processingHost: write('processing-host', 'processingHostHandler'),
    sweeper: write('sweeper', 'sweeperHandler'),
    tracking,
  };
}

/**
 * A Lambda entry: Baton's handler `factory`, given the orchestrations module when there is one (tracking runs no
 * orchestration code, so its entry does not import the module). The bench bundles the same source to size it.
 */
export function entrySource(factory: string, handlers: string, orchestrationsModule?: string): string {
  return [
    ...(orchestrationsModule ? [`import * as orchestrations from ${JSON.stringify(orchestrationsModule)};`] : []),
    `import { ${factory} } from ${JSON.stringify(handlers)};`,
    `export const handler = ${factory}(${orchestrationsModule ? 'orchestrations' : ''});`,
    '',
  ].join('\n');
}
