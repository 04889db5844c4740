/**
 * `baton start` (`npm start` in the checkout): the embedded stack + N host instances, the web console, a status line,
 * until Ctrl-C; or, with --demo N, a demo run of its own that ends with a check.
 */
import { resolve } from 'node:path';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import type { LocalCluster } from '../cluster.ts';
import { quietSqliteWarning } from '../warnings.ts';
import { endpoints, type CommandInput, WORK_DIR } from './target.ts';
import { fail } from './values.ts';

/** The options `start` declares (commands.ts), checked. */
interface StartOptions {
  readonly instances: number;
  readonly demo?: number;
  readonly port?: number;
  readonly endpoint?: string;
  readonly dataDir?: string;
  readonly inMemory?: boolean;
  readonly lease: number;
  readonly stepLatency?: number;
  readonly approvalThreshold?: number;
  readonly approvalTimeout?: number;
  readonly cancellationWindow?: number;
  readonly orchestrations?: string;
  readonly prefix: string;
  readonly consolePort: number;
  /** false: --no-console. */
  readonly console: boolean;
  readonly trace?: boolean;
  readonly processes?: boolean;
}

type WebConsole = { url: string; openUrl: string; stop(): Promise<void> };

export async function start(input: CommandInput): Promise<void> {
  const options = input.options as unknown as StartOptions;
  const { demo } = options;
  // A demo is a run of its own (its own port, in memory, no endpoints file): it never takes over the CLI's cluster.
  if (demo === undefined) {
    try {
      endpoints.assertFree();
    } catch (error) {
      fail((error as Error).message);
    }
  }
  quietSqliteWarning();
  const { LocalCluster } = await import('../cluster.ts');
  // The demo runs on fresh in-memory state unless a data folder is named; a plain start keeps state on disk.
  const inMemory = options.inMemory || (demo !== undefined && options.dataDir === undefined);
  const dataDir = inMemory ? undefined : resolve(options.dataDir ?? resolve(WORK_DIR, 'data'));
  const cluster = new LocalCluster({
    instances: options.instances,
    port: options.port ?? (demo === undefined ? 4566 : 0),
    endpoint: options.endpoint,
    dataDir,
    prefix: options.prefix,
    leaseMs: options.lease,
    environment: sampleEnvironment(options),
    orchestrations: options.orchestrations,
    // A demo keeps its host logs apart from a cluster that may be running in this BATON_HOME.
    workDir: demo === undefined ? WORK_DIR : resolve(WORK_DIR, 'demo'),
    log: (line) => console.log(line),
    ...(options.trace ? { traceDir: resolve(WORK_DIR, 'traces') } : {}),
    // A demo kills a host instance's process, and spans are recorded per process.
    ...(options.processes || demo !== undefined || options.trace ? { hostsIn: 'processes' as const } : {}),
  });
  let stopping = false;
  // Declared before `stop`, which a Ctrl-C during the start may call before the status line exists.
  let ticker: NodeJS.Timeout | undefined;
  let webConsole: WebConsole | undefined;
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
  describe(cluster, dataDir);
  if (demo === undefined && options.console) webConsole = await serveConsole(cluster, options.consolePort);
  if (demo === undefined) {
    endpoints.claim({ ...cluster.describe(), consoleUrl: webConsole?.url });
    console.log(`  written to ${endpoints.path} (the CLI's way to this cluster; BATON_HOME=${WORK_DIR})`);
  }
  console.log(`  host instance logs: ${resolve(cluster.options.workDir, 'logs')}/host-<n>.log (JSON lines)`);
  await cluster.waitUntilUp();
  ticker = await statusTicker(cluster);

  if (demo === undefined) {
    console.log('Running. Ctrl-C stops the cluster.');
    return;
  }
  await stop((await demoRun(cluster, demo)) ? 0 : 1);
}

/** The sample's settings, as settings reach any orchestrations module: the hosts' environment. */
function sampleEnvironment(options: StartOptions): Record<string, string> {
  const { demo } = options;
  return sampleOptionsToEnv({
    // The demo's pricing step takes 20 ms, like a call to a pricing service, so a kill lands mid-step.
    pricingLatencyMs: options.stepLatency ?? (demo ? 20 : undefined),
    approvalThreshold: options.approvalThreshold,
    approvalTimeoutMs: options.approvalTimeout,
    cancellationWindowMs: options.cancellationWindow ?? (demo ? 0 : undefined),
  });
}

/** Where the cluster's endpoint, queues, tables and bucket are. */
function describe(cluster: LocalCluster, dataDir: string | undefined): void {
  const d = cluster.describe();
  console.log(
    `Baton local cluster: ${cluster.options.instances} host instance(s) ${cluster.hostsIn === 'processes' ? 'as OS processes' : 'in this process'}, ` +
      `state ${dataDir ? `in ${dataDir}` : 'in memory'}`,
  );
  console.log(`  endpoint (DynamoDB, SQS, S3): ${d.endpoint}${cluster.stack ? ' (embedded)' : ''}`);
  console.log(`  receive queue:  ${d.receiveQueueUrl}`);
  console.log(`  send queue:     ${d.sendQueueUrl}`);
  console.log(`  MessageBox:     ${d.tableName}`);
  const tracking = cluster.tracking
    ? " (tracked from the MessageBox's stream)"
    : ' (tracking off: this endpoint keeps no streams)';
  console.log(`  history:        ${d.historyTableName}${tracking}`);
  const claimCheck = d.claimCheckBucket
    ? `${d.claimCheckBucket} (S3: states and bodies over 64 KiB)`
    : `off (${cluster.resources.claimCheckOff}; bodies up to 300 KB, kept in the MessageBox)`;
  console.log(`  claim check:    ${claimCheck}`);
}

/** The local cluster's web console, on its port or, when that is taken, a free one; its URL printed once. */
async function serveConsole(cluster: LocalCluster, port: number): Promise<WebConsole> {
  const { startLocalConsole } = await import('../console.ts');
  const webConsole = await startLocalConsole(cluster, { port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    return startLocalConsole(cluster, { port: 0 });
  });
  console.log(`  web console:    ${webConsole.openUrl}`);
  console.log(
    '                  (this machine only; the token in it is the key: it is printed once, and not written down)',
  );
  return webConsole;
}

/** The status line: rewritten in place every second on a terminal, else printed every 5 s. */
async function statusTicker(cluster: LocalCluster): Promise<NodeJS.Timeout> {
  const { clusterCounts, statusLine } = await import('../status.ts');
  let counts: Awaited<ReturnType<typeof clusterCounts>> | undefined;
  let refreshing = false;
  let lastPrinted = 0;
  let lastCounted = 0;
  return setInterval(() => {
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
}

/** The demo: N orders, a host instance killed midway, the send queue checked. True when nothing was lost. */
async function demoRun(cluster: LocalCluster, orders: number): Promise<boolean> {
  const { runDemo } = await import('../demo.ts');
  const result = await runDemo(cluster, orders, (line) =>
    console.log(process.stdout.isTTY ? `\r\x1b[2K${line}` : line),
  );
  console.log(
    `${process.stdout.isTTY ? '\r\x1b[2K' : ''}demo: redelivered copies of an already received MessageId ` +
      `(dropped by MessageId): ${result.redeliveries}; sweeper re-enqueued ${cluster.sweeps}`,
  );
  console.log(
    `demo: orchestrations=${result.orchestrations} completed=${result.completed} lost=${result.lost} ` +
      `duplicates=${result.duplicates} unaccounted=${result.unaccounted} failovers=${result.failovers}`,
  );
  return (
    result.lost === 0 &&
    result.duplicates === 0 &&
    result.unaccounted === 0 &&
    result.completed === result.orchestrations
  );
}
