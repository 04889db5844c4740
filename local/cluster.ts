import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { s3Client, sqsClient, dynamoDbDocumentClient } from '../functions/adapters/aws-clients.ts';
import { s3ClaimCheck } from '../functions/adapters/S3PayloadStore.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { DynamoDbHistory } from '../functions/adapters/DynamoDbHistory.ts';
import { createTrackingHandler } from '../functions/handlers/tracking.ts';
import { StreamPoller } from './stream-poller.ts';
import { hostNodeFlags } from './node-flags.ts';
import { SqsWorkQueue } from '../functions/adapters/SqsWorkQueue.ts';
import { systemClock } from '../functions/adapters/system-clock.ts';
import { sweep } from '../functions/core/sweeper.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import { loadOrchestrations } from '../functions/load-orchestrations.ts';
import { OWNERSHIP } from '../functions/settings.ts';
import { startEmbeddedStack, type EmbeddedStack } from './embedded-stack.ts';
import { provision, type Resources } from './provision.ts';
import type { RequestMeter } from '../functions/adapters/request-meter.ts';
import { useEmulatorCredentials } from './emulator-credentials.ts';
import { LATENCY_MODEL_VARIABLE, type LatencySpec, type OperationLatency } from './latency-model.ts';
import { TRACE_DIR_VARIABLE } from './trace-export.ts';
import { runHost, type RunningHost } from './host-runner.ts';
import { InProcessDocumentClient } from './in-process/document-client.ts';
import { InProcessSqsClient } from './in-process/sqs-client.ts';
import { InProcessStreamsClient } from './in-process/streams-client.ts';
import { fileLogger } from './in-process/file-logger.ts';
import { LatencyModel } from './latency-model.ts';
import { LostWriteCounter } from './lost-writes.ts';

/** `.ts` in a source checkout, `.js` in the installed package. */
const HOST_ENTRY = fileURLToPath(
  new URL(`./host-instance${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** What a {@link LocalCluster} runs, and how. */
export interface ClusterOptions {
  /** How many host instances. */
  readonly instances: number;
  /**
   * Where the host instances run: each in an OS process of its own, reaching the endpoint over the AWS SDK (what a
   * chaos run needs: faults between them and the store, clocks off, processes killed and frozen), or all in this
   * process, reaching the embedded stack's DynamoDB and SQS in-process (the same adapters and handlers, without HTTP:
   * a fifth of the CPU per order). In this process needs the embedded stack's own DynamoDB.
   * @defaultValue 'this process' on the embedded stack's own DynamoDB, without faults, outages, clock skew or traces;
   * else 'processes'
   */
  readonly hostsIn?: 'processes' | 'this process';
  /** Port of the embedded stack; ignored when `endpoint` is given. */
  readonly port: number;
  /** Use an endpoint that is already running (LocalStack, DynamoDB Local + SQS...) instead of the embedded stack. */
  readonly endpoint?: string;
  /** Keep the embedded stack's state on disk here; in memory when absent. */
  readonly dataDir?: string;
  /** Serve DynamoDB from here (DynamoDB Local) behind the embedded endpoint, instead of dynalite. */
  readonly dynamodbEndpoint?: string;
  /** Prefix of the resources' names (tables, queues), so clusters sharing an endpoint do not meet. */
  readonly prefix: string;
  /** Step lease; a host instance that dies mid-step is taken over after it. */
  readonly leaseMs: number;
  /** The module exporting the orchestrations to run (see OrchestrationsModule). @defaultValue the sample's */
  readonly orchestrations?: string;
  /**
   * Settings for the orchestrations: environment variables of the host instances, and what a module's
   * `orchestrations(env)` function receives (over this process's own environment), as on Lambda.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Chaos runs: the share of the hosts' AWS requests that fail, are slow or are cut (see local/faults.ts). */
  readonly faultRate?: number;
  /** Chaos runs: a file announcing outages of the store or the queues to every host instance (see OutageSwitch). */
  readonly outageFile?: string;
  /** Chaos runs: how far each host instance's clock is off, in ms (positive: ahead). */
  readonly clockSkewMs?: (hostName: string) => number;
  /** Benchmarks: a latency every request of the host instances to the store and the queues takes (see local/latency-model.ts). */
  readonly latencyModel?: LatencySpec;
  /** The cluster's folder: the host instances' logs (`logs/`) and the stack's data. */
  readonly workDir: string;
  /** Long-poll wait of the pollers (default 5 s: a host instance stops within it; Lambda's event source uses 20 s). */
  readonly waitSeconds?: number;
  /** How often the sweeper runs. @defaultValue 5 s */
  readonly sweepEveryMs?: number;
  /** Host instances' log level (Powertools). @defaultValue INFO, or POWERTOOLS_LOG_LEVEL */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Where the cluster's own lines go (a host instance restarted, ...). @defaultValue none */
  readonly log?: (line: string) => void;
  /** Count the tracking function's requests (the bench reports its writes apart from the hosts'). */
  readonly trackingMeter?: RequestMeter;
  /**
   * Run tracking (the MessageBox's stream into the history table) in this process. The bench's latency model turns it
   * off: on AWS it is a function of its own, here it would share the emulator's process and cores with the host
   * instances whose scale-out is measured.
   * @defaultValue true
   */
  readonly tracking?: boolean;
  /** Record the host instances' spans to files in this folder (OTLP JSON, local/trace-export.ts). */
  readonly traceDir?: string;
}

/** A host instance of a local cluster, as its process last reported (counts since the cluster started). */
export interface HostInstanceState {
  /** Its name: `host-1`, `host-2`, ... */
  readonly name: string;
  /** Its process id, while it runs. */
  pid?: number;
  /** Where its process stands. */
  status: 'starting' | 'up' | 'killed' | 'restarting' | 'stopped';
  /** Work items it processed. */
  workItems: number;
  /** Batches it took from the receive queue. */
  receiveBatches: number;
  /** Instances this host instance completed / suspended. */
  completed: number;
  /** Instances it suspended. */
  suspended: number;
  /** Work items that failed on it (left to be delivered again). */
  failed: number;
  /** How often its process was restarted after it died. */
  restarts: number;
  /** Epoch ms when this host instance last reported a batch in flight. */
  busyAt: number;
  /** Faults injected into this host instance's requests (chaos runs), as last reported. */
  faults: number;
  /** Its conditional writes that lost, by operation (conflicts with other host instances, or duplicates). */
  conditionalCheckFailed: Record<string, number>;
  /** Under a latency model: its requests, the ms they slept and the ms the service took, by operation. */
  modelledLatency: Record<string, OperationLatency>;
}

/** What a host instance's process reports (local/host-instance.ts), each count since it started. */
interface HostReport {
  kind: string;
  workItems: number;
  receiveBatches: number;
  failed: number;
  completed: number;
  suspended: number;
  faults?: number;
  conditionalCheckFailed?: Record<string, number>;
  modelledLatency?: Record<string, OperationLatency>;
  instanceIds?: (string | undefined)[];
}

/**
 * The local cluster: the embedded stack (or a given endpoint), the resources from functions/settings.ts, N host
 * instances as OS processes, and the sweeper. A host instance that dies is restarted, as a Windows service
 * hosting a BizTalk host instance would be.
 */
export class LocalCluster {
  /** What it was created with. */
  readonly options: ClusterOptions;
  /** The embedded stack, once started (absent when `options.endpoint` was given). */
  stack?: EmbeddedStack;
  /** The endpoint answering DynamoDB and SQS, once started. */
  endpoint!: string;
  /** The tables and queues it made, once started. */
  resources!: Resources;
  /** Its host instances. */
  readonly hosts: HostInstanceState[] = [];
  readonly #children = new Map<string, ChildProcess>();
  /** Host instances running in this process, by name. */
  readonly #inProcess = new Map<string, { host: RunningHost; stop: () => Promise<void> }>();
  readonly #frozen = new Set<ChildProcess>();
  #sweeper?: NodeJS.Timeout;
  #stopping = false;
  /** The MessageBox, to read instances and suspended messages. */
  store!: DynamoDbInstanceStore;
  /** The tracked history, written by the tracking function from the MessageBox's stream. */
  history!: DynamoDbHistory;
  /** The tracking function's event source (absent when the endpoint keeps no streams). */
  tracking?: StreamPoller;
  /** The orchestrations the host instances run. */
  registry!: OrchestrationRegistry;
  /** Their definitions, as the module gave them (the operator's resume and terminate run on them too). */
  definitions!: readonly OrchestrationDefinition[];
  /** Sweeps run so far. */
  sweeps = 0;
  readonly #busyListeners = new Set<(host: HostInstanceState, instanceIds: readonly string[]) => void>();

  constructor(options: ClusterOptions) {
    this.options = options;
  }

  /**
   * Loads the orchestrations (a mistake stops here, with its reason), starts the embedded stack, makes the resources
   * and spawns the host instances and the sweeper.
   */
  async start(): Promise<void> {
    const o = this.options;
    useEmulatorCredentials();
    // Loaded first, so a mistake in the module stops the start with its reason, before anything runs.
    this.definitions = await loadOrchestrations(o.orchestrations, { ...process.env, ...o.environment });
    const registry = new OrchestrationRegistry(this.definitions);
    this.registry = registry;
    if (o.endpoint) this.endpoint = o.endpoint;
    else {
      this.stack = await startEmbeddedStack({ port: o.port, dataDir: o.dataDir, dynamodbEndpoint: o.dynamodbEndpoint });
      this.endpoint = this.stack.endpoint;
    }
    const region = process.env.AWS_REGION;
    this.resources = await provision(
      {
        dynamo: new DynamoDBClient({ endpoint: this.endpoint, region }),
        sqs: sqsClient({ endpoint: this.endpoint, region }),
        s3: s3Client({ endpoint: this.endpoint, region }),
      },
      o.prefix,
      registry.ports(),
    );
    if (this.resources.claimCheckOff)
      o.log?.(`claim check is off (bodies up to 300 KB, kept in the MessageBox): ${this.resources.claimCheckOff}`);
    const claimCheck = s3ClaimCheck(this.resources.claimCheckBucket, { endpoint: this.endpoint, region });
    // The sweeper and tracking run in this process: on the embedded stack they reach it in-process, as host instances
    // in this process do.
    const here = this.stack?.dynamo;
    const dynamo = (meter?: RequestMeter) => {
      if (!here) return dynamoDbDocumentClient({ endpoint: this.endpoint, region, meter });
      const client = new InProcessDocumentClient(here);
      meter?.attach(client, 'DynamoDB');
      return client;
    };
    this.store = new DynamoDbInstanceStore(dynamo(), this.resources.tableName, { claimCheck });
    const workQueue = new SqsWorkQueue(
      here ? new InProcessSqsClient(this.stack!.queues, this.endpoint) : sqsClient({ endpoint: this.endpoint, region }),
      this.resources.queues.work.url,
    );
    // Tracking, as the stack's tracking function runs it: the MessageBox's stream into the history table.
    this.history = new DynamoDbHistory(dynamo(o.trackingMeter), this.resources.historyTableName);
    if (o.tracking === false) o.log?.('tracking is off (asked)');
    else if (this.resources.streamArn) {
      this.tracking = new StreamPoller({
        streams: here
          ? new InProcessStreamsClient(here.feed)
          : new DynamoDBStreamsClient({ endpoint: this.endpoint, region }),
        streamArn: this.resources.streamArn,
        handler: createTrackingHandler(this.history, undefined, claimCheck?.payloads),
        log: o.log,
      });
      this.tracking.start();
    } else o.log?.(`tracking is off: ${this.endpoint} keeps no DynamoDB streams for ${this.resources.tableName}`);
    mkdirSync(join(o.workDir, 'logs'), { recursive: true });
    const inProcess = this.hostsIn === 'this process';
    if (inProcess && !this.stack?.dynamo)
      throw new Error('host instances run in this process only on the embedded stack with its own DynamoDB (dynalite)');
    for (let i = 1; i <= o.instances; i++) {
      if (inProcess) this.#startInProcess(`host-${i}`);
      else this.#spawn(`host-${i}`);
    }
    // The sweeper, as the stack's scheduled function runs it: what is due and was not woken.
    this.#sweeper = setInterval(() => {
      sweep(
        { store: this.store, workQueue, clock: systemClock },
        {
          staleAfterMs: OWNERSHIP.sweepStaleAfterMs,
          lease: { leaseMs: o.leaseMs, maxClockSkewMs: OWNERSHIP.maxClockSkewMs },
        },
      )
        .then((ids) => {
          this.sweeps += ids.length;
        })
        .catch((error) => o.log?.(`sweeper: ${(error as Error).message}`));
    }, o.sweepEveryMs ?? 5_000);
  }

  /** What a client needs to talk to this cluster (what `npm start` writes to `<BATON_HOME>/endpoints.json`). */
  describe() {
    const q = this.resources.queues;
    return {
      endpoint: this.endpoint,
      region: process.env.AWS_REGION,
      tableName: this.resources.tableName,
      historyTableName: this.resources.historyTableName,
      ...(this.resources.claimCheckBucket ? { claimCheckBucket: this.resources.claimCheckBucket } : {}),
      receiveQueueUrl: q.receive.url,
      sendQueueUrl: q.send.url,
      sendPortQueueUrls: Object.fromEntries(
        Object.entries(this.resources.sendPorts).map(([port, queue]) => [port, queue.url]),
      ),
      workQueueUrl: q.work.url,
      // Each queue's DLQ by the queue's name: receive, work, and every send port.
      deadLetterQueueUrls: {
        receive: q.receive.dlqUrl,
        work: q.work.dlqUrl,
        ...Object.fromEntries(Object.entries(this.resources.sendPorts).map(([port, queue]) => [port, queue.dlqUrl])),
      },
      // What the host instances run, so the CLI's resume and terminate load the same definitions.
      orchestrations: {
        ...(this.options.orchestrations ? { module: resolve(this.options.orchestrations) } : {}),
        environment: { ...this.options.environment },
      },
    };
  }

  /** Where the host instances run (see ClusterOptions.hostsIn). */
  get hostsIn(): 'processes' | 'this process' {
    const o = this.options;
    if (o.hostsIn) return o.hostsIn;
    // Faults, outages and skewed clocks are set per process, and spans are recorded per process.
    const perProcess = Boolean(o.faultRate || o.outageFile || o.clockSkewMs || o.traceDir);
    return !o.endpoint && !o.dynamodbEndpoint && !perProcess ? 'this process' : 'processes';
  }

  /** The environment a host instance runs with, as Lambda's configuration would give it. */
  #hostEnvironment(name: string, state: HostInstanceState): Record<string, string | undefined> {
    const o = this.options;
    const q = this.resources.queues;
    return {
      ...process.env,
      AWS_ENDPOINT_URL: this.endpoint,
      BATON_HOST_ID: `${name}#${state.restarts}`,
      BATON_TABLE_NAME: this.resources.tableName,
      BATON_RECEIVE_QUEUE_URL: q.receive.url,
      BATON_RECEIVE_QUEUE_ARN: q.receive.arn,
      BATON_RECEIVE_DLQ_URL: q.receive.dlqUrl,
      BATON_RECEIVE_DLQ_ARN: q.receive.dlqArn,
      BATON_WORK_QUEUE_URL: q.work.url,
      BATON_WORK_QUEUE_ARN: q.work.arn,
      BATON_SEND_PORTS: JSON.stringify(
        Object.fromEntries(Object.entries(this.resources.sendPorts).map(([port, queue]) => [port, queue.url])),
      ),
      BATON_LEASE_MS: String(o.leaseMs),
      ...(this.resources.claimCheckBucket ? { BATON_CLAIM_CHECK_BUCKET: this.resources.claimCheckBucket } : {}),
      ...o.environment,
      BATON_WAIT_SECONDS: String(o.waitSeconds ?? 5),
      ...(o.orchestrations ? { BATON_ORCHESTRATIONS: resolve(o.orchestrations) } : {}),
      ...(o.faultRate ? { BATON_FAULT_RATE: String(o.faultRate) } : {}),
      ...(o.outageFile ? { BATON_OUTAGE_FILE: o.outageFile } : {}),
      ...(o.clockSkewMs?.(name) ? { BATON_CLOCK_SKEW_MS: String(o.clockSkewMs(name)) } : {}),
      ...(o.latencyModel ? { [LATENCY_MODEL_VARIABLE]: JSON.stringify(o.latencyModel) } : {}),
      ...(o.traceDir ? { [TRACE_DIR_VARIABLE]: resolve(o.traceDir) } : {}),
      // What each host instance did and every failure (set WARN for a quiet log under load, as the bench does).
      POWERTOOLS_LOG_LEVEL: o.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    };
  }

  /** A fresh host instance's state, listed. */
  #newHost(name: string): HostInstanceState {
    const state: HostInstanceState = {
      name,
      status: 'starting',
      workItems: 0,
      receiveBatches: 0,
      completed: 0,
      suspended: 0,
      failed: 0,
      restarts: 0,
      busyAt: 0,
      faults: 0,
      conditionalCheckFailed: {},
      modelledLatency: {},
    };
    this.hosts.push(state);
    return state;
  }

  /**
   * A host instance in this process: the same runner a host instance's process runs, on clients that reach the
   * embedded stack in-process, its log to its own file as a process's would be.
   */
  #startInProcess(name: string): void {
    const o = this.options;
    const state = this.#newHost(name);
    // More batches at once than a process's default 2: here a batch costs no process of its own, and more of them
    // keep the event loop fed while others wait (on Lambda: the event source's concurrent invocations).
    const env: Record<string, string | undefined> = { BATON_CONCURRENCY: '8', ...this.#hostEnvironment(name, state) };
    const log = createWriteStream(join(o.workDir, 'logs', `${name}.log`), { flags: 'a' });
    const lostWrites = new LostWriteCounter();
    const latency = o.latencyModel ? new LatencyModel(o.latencyModel) : undefined;
    const hooks = [lostWrites, ...(latency ? [latency] : [])];
    const polls = new InProcessSqsClient(this.stack!.queues, this.endpoint);
    for (const hook of hooks) hook.attach(polls, 'SQS');
    const host = runHost({
      env,
      definitions: this.definitions,
      sqs: polls,
      clients: {
        dynamo: new InProcessDocumentClient(this.stack!.dynamo!),
        sqs: new InProcessSqsClient(this.stack!.queues, this.endpoint),
      },
      hooks,
      clock: systemClock,
      logger: fileLogger(log, String(env.BATON_HOST_ID), env.POWERTOOLS_LOG_LEVEL),
      onBusy: (_records, instanceIds) => {
        state.busyAt = Date.now();
        const ids = instanceIds.filter((id): id is string => typeof id === 'string');
        for (const listener of this.#busyListeners) listener(state, ids);
      },
    });
    // The counts a process would report every half second, read where they are.
    const counts = setInterval(() => {
      Object.assign(state, host.stats);
      state.conditionalCheckFailed = { ...lostWrites.counts };
      if (latency) state.modelledLatency = { ...latency.delayed };
    }, 500);
    state.status = 'up';
    this.#inProcess.set(name, {
      host,
      stop: async () => {
        clearInterval(counts);
        await host.stop();
        Object.assign(state, host.stats);
        state.status = 'stopped';
        log.end();
      },
    });
  }

  #spawn(name: string, previous?: HostInstanceState): void {
    const o = this.options;
    const state = previous ?? this.#newHost(name);
    const log = createWriteStream(join(o.workDir, 'logs', `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [...hostNodeFlags(), HOST_ENTRY], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: this.#hostEnvironment(name, state),
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    state.pid = child.pid;
    // Counters restart with the process; keep the totals across restarts.
    const base = {
      workItems: state.workItems,
      receiveBatches: state.receiveBatches,
      failed: state.failed,
      completed: state.completed,
      suspended: state.suspended,
      faults: state.faults,
      conditionalCheckFailed: state.conditionalCheckFailed,
      modelledLatency: state.modelledLatency,
    };
    child.on('message', (message: HostReport) => {
      state.faults = base.faults + (message.faults ?? 0);
      state.conditionalCheckFailed = sumCounts([base.conditionalCheckFailed, message.conditionalCheckFailed ?? {}]);
      state.modelledLatency = sumLatencies([base.modelledLatency, message.modelledLatency ?? {}]);
      if (message.kind === 'ready') state.status = 'up';
      state.workItems = base.workItems + message.workItems;
      state.receiveBatches = base.receiveBatches + message.receiveBatches;
      state.failed = base.failed + message.failed;
      state.completed = base.completed + message.completed;
      state.suspended = base.suspended + message.suspended;
      if (message.kind === 'busy') {
        state.busyAt = Date.now();
        const ids = (message.instanceIds ?? []).filter((id): id is string => typeof id === 'string');
        for (const listener of this.#busyListeners) listener(state, ids);
      }
    });
    child.on('exit', (code, signal) => {
      this.#children.delete(name);
      if (this.#stopping) {
        state.status = 'stopped';
        return;
      }
      state.status = 'restarting';
      o.log?.(`${name} (pid ${state.pid}) exited (${signal ?? code}); restarting it in 1 s`);
      setTimeout(() => {
        if (this.#stopping) return;
        state.restarts++;
        this.#spawn(name, state);
      }, 1_000);
    });
    this.#children.set(name, child);
  }

  /** SIGKILLs a host instance: no cleanup, no goodbye, like pulling a server's plug. */
  kill(name: string): number | undefined {
    const child = this.#children.get(name);
    const state = this.hosts.find((h) => h.name === name);
    if (!child || !state) return undefined;
    state.status = 'killed';
    child.kill('SIGKILL');
    return child.pid;
  }

  /**
   * Freezes a host instance (SIGSTOP) for `ms`, then thaws it (SIGCONT): a paused container or a long GC, holding
   * whatever work it had. Returns false when it is not running.
   */
  freeze(name: string, ms: number): boolean {
    const child = this.#children.get(name);
    if (!child || child.exitCode !== null) return false;
    child.kill('SIGSTOP');
    this.#frozen.add(child);
    setTimeout(() => this.#thaw(child), ms);
    return true;
  }

  #thaw(child: ChildProcess): void {
    if (this.#frozen.delete(child) && child.exitCode === null) child.kill('SIGCONT');
  }

  /** The host instances' conditional writes that lost, by operation, summed (as last reported). */
  conditionalCheckFailed(): Record<string, number> {
    return sumCounts(this.hosts.map((h) => h.conditionalCheckFailed));
  }

  /** Under a latency model: the host instances' requests, the ms they slept and the ms the service took, by operation, summed. */
  modelledLatency(): Record<string, OperationLatency> {
    return sumLatencies(this.hosts.map((h) => h.modelledLatency));
  }

  /** Calls back when a host instance starts a batch of work items (used to kill one mid-step). */
  onBusy(listener: (host: HostInstanceState, instanceIds: readonly string[]) => void): () => void {
    this.#busyListeners.add(listener);
    return () => this.#busyListeners.delete(listener);
  }

  /**
   * Resolves once every host instance reported it is up.
   *
   * @param timeoutMs - How long to wait at most.
   * @throws `Error` past `timeoutMs`, with the end of each late host instance's log.
   */
  async waitUntilUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.hosts.some((h) => h.status !== 'up')) {
      if (Date.now() > deadline) {
        // Say why here: the logs may be in a temporary folder that is gone by the time anyone looks.
        const tails = this.hosts
          .filter((h) => h.status !== 'up')
          .map(
            (h) =>
              `${h.name} (${h.status}, ${h.restarts} restarts):\n${tail(join(this.options.workDir, 'logs', `${h.name}.log`))}`,
          );
        throw new Error(
          `host instances not up after ${timeoutMs} ms; their logs (${join(this.options.workDir, 'logs')}) end with:\n${tails.join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the host instances (SIGTERM, then SIGKILL), tracking and the embedded stack. */
  async stop(): Promise<void> {
    const o = this.options;
    this.#stopping = true;
    clearInterval(this.#sweeper);
    // A frozen process would not see SIGTERM.
    for (const child of [...this.#frozen]) this.#thaw(child);
    // As a process is killed past that time: a step that never ends must not hold the stop (the process exits after).
    const patience = ((o.waitSeconds ?? 5) + 5) * 1000;
    await Promise.all(
      [...this.#inProcess.values()].map((h) =>
        Promise.race([h.stop(), new Promise((resolve) => setTimeout(resolve, patience).unref())]),
      ),
    );
    await Promise.all(
      [...this.#children.values()].map(
        (child) =>
          new Promise<void>((resolveExit) => {
            const force = setTimeout(() => child.kill('SIGKILL'), ((o.waitSeconds ?? 5) + 5) * 1000);
            child.once('exit', () => {
              clearTimeout(force);
              resolveExit();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    // What the hosts wrote last is tracked before the stack goes.
    await this.tracking?.stop();
    await this.stack?.stop();
  }

  /** Removes the stack's data kept in `workDir` (its `data/` folder). */
  static clean(workDir: string): void {
    rmSync(join(workDir, 'data'), { recursive: true, force: true });
  }
}

function sumCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const byKey of counts) for (const [key, n] of Object.entries(byKey)) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}

function sumLatencies(latencies: readonly Record<string, OperationLatency>[]): Record<string, OperationLatency> {
  const sum: Record<string, OperationLatency> = {};
  for (const byOperation of latencies) {
    for (const [operation, d] of Object.entries(byOperation)) {
      const total = (sum[operation] ??= { requests: 0, modelledMs: 0, servedMs: 0, empty: 0 });
      total.requests += d.requests;
      total.modelledMs += d.modelledMs;
      total.servedMs += d.servedMs;
      total.empty += d.empty;
    }
  }
  return sum;
}

/** The last lines of a log file, for an error message. */
function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '  (no log)';
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => `  ${line}`)
    .join('\n');
}
