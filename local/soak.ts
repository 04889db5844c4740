/**
 * `npm run soak -- --minutes 30`: runs the very process `npm start` runs (`local/cli.ts start`, with the embedded
 * stack, its state on disk, the status line), in a BATON_HOME of its own, under a steady mixed load of sample
 * orders (plain, approved by a person, invalid, cancelled) with a host instance SIGKILLed now and then. Every
 * sample it records the memory of that process and of each host instance (resident, and what survives a full
 * collection, which a probe loaded into each writes every 10 s: see memory-probe.ts), the depth of every queue and
 * DLQ, and the MessageBox's size on disk and item count (counted from the table's stream: a counting Scan would grow
 * the very process it measures). After a warm-up (the first third of the run) it fails if a process's memory or a
 * queue keeps growing past the bounds below. The MessageBox grows by design (a finished instance stays 7 days, and the emulator
 * expires nothing), so it is recorded, not bounded. `--figures docs/figures` writes the samples and plots. Once the
 * load ends and the orders in flight finish, every message it sent is accounted for (functions/core/conservation.ts):
 * the last line says `unaccounted=N`, and the soak fails unless it is 0.
 */
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { StreamPoller } from './stream-poller.ts';
import { LOCAL_NODE_FLAGS, MEMORY_PROBE_FLAGS } from './node-flags.ts';
import { PROBE_DIR_VARIABLE, type LiveMemory } from './memory-probe.ts';
import { dynamoDbDocumentClient, s3Client, sqsClient } from '../functions/adapters/aws-clients.ts';
import { DynamoDbHistory } from '../functions/adapters/DynamoDbHistory.ts';
import { DynamoDbInstanceStore } from '../functions/adapters/DynamoDbInstanceStore.ts';
import { s3ClaimCheck } from '../functions/adapters/S3PayloadStore.ts';
import type { RawMessage } from '../functions/core/message.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { convoyInstanceId } from '../functions/core/ids.ts';
import { sampleOrchestrations } from '../functions/orchestrations/index.ts';
import { deadLettered, judgeConservation, quiet, sendMessages, settledAll, type Judgement } from './accounting.ts';
import { lineChart } from './plot.ts';
import type { ClusterRecord } from './endpoints-file.ts';
import { useEmulatorCredentials } from './emulator-credentials.ts';

useEmulatorCredentials();

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '4' },
    'kill-every': { type: 'string', default: '60' },
    'sample-every': { type: 'string', default: '10' },
    figures: { type: 'string' },
    replay: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'npm run soak -- [--minutes 10] [--rate 4 orders/s] [--kill-every 60 s] [--sample-every 10 s] [--figures docs/figures]\n' +
      '               [--replay soak.json]   judge and plot the samples a run recorded (its --figures soak.json) again, running nothing',
  );
  process.exit(0);
}
/** A recorded run to judge again (the bounds may have changed since it ran; its samples have not). */
const recorded = values.replay
  ? (JSON.parse(readFileSync(values.replay, 'utf8')) as {
      minutes: number;
      rate: number;
      killEverySeconds: number;
      samples: Sample[];
    })
  : undefined;
const minutes = recorded?.minutes ?? Number(values.minutes);
const rate = recorded?.rate ?? Number(values.rate);
const killEverySeconds = recorded?.killEverySeconds ?? Number(values['kill-every']);
const sampleEverySeconds = Number(values['sample-every']);
if (!(minutes > 0) || !(rate > 0) || !(sampleEverySeconds > 0) || !(killEverySeconds >= 0))
  throw new Error('--minutes, --rate and --sample-every must be positive, --kill-every 0 or more');

/**
 * The bounds, after the warm-up (the first third of the run), each comparing the first third of the measured part
 * with its last third. Two measures of each process's memory:
 * - What survives a full collection (the memory probe's, every 10 s): the objects a process keeps. A leak of JS
 *   objects raises it; nothing else does. Its 90th percentile may rise by at most 1 MB per minute between the
 *   thirds, and never by more than 16 MB.
 * - Resident memory (RSS): what a native leak raises too (the embedded DynamoDB's LevelDB iterators once held
 *   about 38 MB a minute), but also what a healthy `npm start` takes while its store fills: in the first ten
 *   minutes its native memory (RSS less V8's heap and mapped files) grows about 3 MB a minute with the MessageBox,
 *   then settles (docs/benchmarks.md, "Soak"). Its ceiling, the 90th percentile, may rise by at most 8 MB per
 *   minute, and never by more than 64 MB: above that warm-up, and far below the leak it was built to catch. A
 *   ceiling, because a healthy process saws (caches grow, then are freed), while a leak raises the whole band; the
 *   90th percentile rather than the highest sample, because one sample caught mid-collection is a spike.
 * A queue may not trend up (least squares over the samples), a DLQ must stay empty.
 */
const BOUNDS = {
  liveGrowthMbPerMinute: 1,
  liveGrowthMb: 16,
  rssGrowthMbPerMinute: 8,
  rssGrowthMb: 64,
  queueSlopePerMinute: 2,
  dlqMessages: 0,
} as const;

interface Bound {
  readonly perMinute: number;
  readonly atMost: number;
}
const RSS_BOUND: Bound = { perMinute: BOUNDS.rssGrowthMbPerMinute, atMost: BOUNDS.rssGrowthMb };
const LIVE_BOUND: Bound = { perMinute: BOUNDS.liveGrowthMbPerMinute, atMost: BOUNDS.liveGrowthMb };

interface Sample {
  /** Minutes since the load started. */
  readonly t: number;
  readonly startRss: number;
  /** The part of startRss that is the process's own memory (RssAnon) and the part that maps files (RssFile). */
  readonly startAnon?: number;
  readonly startFile?: number;
  /** What survives a full collection in that process (JS heap and external memory, MB), from its memory probe. */
  readonly startLive?: number;
  /** What V8 holds for that process's heap, used or not (MB): RssAnon less this is native memory and stacks. */
  readonly startHeapTotal?: number;
  /** RSS of each host instance process alive at the time (MB). */
  readonly hostRss: number[];
  /** What survives a full collection in each host instance that has written it (MB). */
  readonly hostLive?: number[];
  readonly queues: Record<string, number>;
  /** The MessageBox's LevelDB folder, MB. */
  readonly storeMb: number;
  /** Items in the MessageBox table (counted from its stream). */
  readonly items: number;
}

if (recorded) {
  const verdicts = judge(recorded.samples);
  if (values.figures) writeFigures(resolve(values.figures), recorded.samples, verdicts);
  for (const v of verdicts) console.log(`soak: ${v.ok ? 'ok  ' : 'FAIL'} ${v.what}: ${v.detail}`);
  console.log(
    `soak: replayed ${values.replay} (${minutes} min, ${recorded.samples.length} samples): ${verdicts.every((v) => v.ok) ? 'ok' : 'FAILED'}`,
  );
  process.exit(verdicts.every((v) => v.ok) ? 0 : 1);
}

/** How long the orders in flight when the load ends may take to finish (a safety net: the drain ends when they have). */
const DRAIN_SAFETY_NET_MS = 5 * 60_000;

/** Every message the soak sent, with its MessageId, to account for at the end. */
const sentMessages: RawMessage[] = [];

/** Cancels to send, 2 s after their order (sent earlier, a Cancel would find no order yet). */
const cancels: { at: number; orderId: string }[] = [];

const home = mkdtempSync(join(tmpdir(), 'baton-soak-'));
const log = createWriteStream(join(home, 'start.log'));
// With the flags `npm start` runs with (package.json), so what is measured is what a user runs.
// With the memory probe too, in it and in its host instances: each collects garbage every 10 s and writes what is
// alive to the probe's folder (see memory-probe.ts).
const probeDir = join(home, 'memory');
mkdirSync(probeDir, { recursive: true });
const start = spawn(
  process.execPath,
  [
    ...LOCAL_NODE_FLAGS,
    ...MEMORY_PROBE_FLAGS,
    resolve(import.meta.dirname, 'cli.ts'),
    'start',
    '--port',
    '0',
    '--lease',
    '3s',
    '--instances',
    '3',
    // A person answers within the minute: with the sample's 48-hour approval timeout, each approved order would
    // leave its timer's 15-minute hop on the work queue after it completed, and the queue would take 15 minutes
    // to reach its steady depth.
    '--approval-timeout',
    '60s',
  ],
  {
    env: { ...process.env, BATON_HOME: home, [PROBE_DIR_VARIABLE]: probeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
start.stdout!.pipe(log);
start.stderr!.pipe(log);
// However this run ends, the cluster it started ends with it.
process.on('exit', () => {
  if (start.exitCode === null) start.kill('SIGKILL');
});
let exitCode = 1;
const timers: NodeJS.Timeout[] = [];
try {
  const cluster = await waitForCluster(home, start.pid!);
  const sqs = sqsClient({ endpoint: cluster.endpoint, longPolling: true });
  const dynamo = dynamoDbDocumentClient({ endpoint: cluster.endpoint });
  const dlqs = await deadLetterQueues(sqs, cluster);
  console.log(
    `soak: ${minutes} min, ${rate} orders/s, a host instance SIGKILLed every ${killEverySeconds || '—'} s, a sample every ${sampleEverySeconds} s; npm start is pid ${start.pid} (BATON_HOME ${home})`,
  );

  const startedAt = Date.now();
  const endAt = startedAt + minutes * 60_000;
  let sent = 0;
  let received = 0;
  let kills = 0;
  const answered = new Set<string>();
  const samples: Sample[] = [];

  // The load: every second, `rate` orders of the sample's kinds, in turn, and the Cancels that are due.
  timers.push(
    setInterval(() => {
      const batch = Array.from({ length: rate }, () => order(sent++));
      while (cancels.length > 0 && cancels[0]!.at <= Date.now())
        batch.push({ type: 'Cancel', body: { orderId: cancels.shift()!.orderId } });
      void sendAll(sqs, cluster.receiveQueueUrl, batch).catch((error) =>
        console.error(`soak: send failed: ${(error as Error).message}`),
      );
    }, 1_000),
  );
  // Now and then a host instance dies; the cluster restarts it.
  if (killEverySeconds > 0) {
    timers.push(
      setInterval(() => {
        const hosts = childrenOf(start.pid!);
        const victim = hosts[Math.floor(Math.random() * hosts.length)];
        if (victim === undefined) return;
        try {
          process.kill(victim, 'SIGKILL');
          kills++;
        } catch {
          // it had just exited
        }
      }, killEverySeconds * 1_000),
    );
  }
  // The MessageBox's items, counted from its stream (each INSERT one more, each REMOVE one less): a counting Scan
  // of the whole table, once a minute, made the emulator's process grow with the table it scanned, which is the
  // measuring stick moving the measure. The table starts empty; a Scan at the end checks the count.
  let items = 0;
  const streamArn = (await dynamo.send(new DescribeTableCommand({ TableName: cluster.tableName }))).Table
    ?.LatestStreamArn;
  if (!streamArn) throw new Error(`the MessageBox ${cluster.tableName} has no stream to count its items from`);
  const counter = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint: cluster.endpoint }),
    streamArn,
    handler: async ({ Records }) => {
      for (const record of Records) items += record.eventName === 'INSERT' ? 1 : record.eventName === 'REMOVE' ? -1 : 0;
    },
  });
  counter.start();
  const sample = async () => {
    const t = (Date.now() - startedAt) / 60_000;
    const queues: Record<string, number> = {};
    for (const [name, url] of [
      ['receive', cluster.receiveQueueUrl],
      ['work', cluster.workQueueUrl],
      ['send', cluster.sendQueueUrl],
      ...dlqs,
    ] as const) {
      queues[name] = await depth(sqs, url);
    }
    const { rss: startRss, anon: startAnon, file: startFile } = resident(start.pid!);
    const startProbe = probed(start.pid!);
    const hosts = childrenOf(start.pid!);
    samples.push({
      t,
      startRss,
      startAnon,
      startFile,
      startLive: liveOf(startProbe),
      startHeapTotal: startProbe?.heapTotalMb,
      hostRss: hosts.map((pid) => resident(pid).rss).filter((mb) => mb > 0),
      hostLive: hosts.map((pid) => liveOf(probed(pid))).filter((mb) => mb !== undefined),
      queues,
      storeMb: folderMb(join(home, 'data', 'dynamodb')),
      items,
    });
  };
  timers.push(
    setInterval(
      () => void sample().catch((error) => console.error(`soak: sample failed: ${(error as Error).message}`)),
      sampleEverySeconds * 1_000,
    ),
  );

  // The customer: reads the send queue, answers approval requests as a person would.
  const customer = async (): Promise<readonly Message[]> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: cluster.sendQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const approvals: { type: string; body: unknown }[] = [];
    for (const m of Messages) {
      received++;
      const type = m.MessageAttributes?.MessageType?.StringValue;
      const orderId = (JSON.parse(m.Body ?? '{}') as { orderId?: string }).orderId ?? '';
      if (type === 'ApprovalRequest' && !answered.has(orderId)) {
        answered.add(orderId);
        approvals.push({ type: 'Approval', body: { orderId, approved: true } });
      }
    }
    if (approvals.length > 0) await sendAll(sqs, cluster.receiveQueueUrl, approvals);
    if (Messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: cluster.sendQueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    return Messages;
  };
  while (Date.now() < endAt) await customer();
  for (const timer of timers) clearInterval(timer);
  await counter.caughtUp(30_000).catch(() => undefined);
  await sample();
  await counter.stop();
  // Once the measuring is over, the count from the stream against a counting Scan.
  const scanned = await itemCount(dynamo, cluster.tableName);
  if (scanned !== items)
    console.log(
      `soak: the stream counted ${items} MessageBox items, a Scan ${scanned} (the stream's count is the one plotted)`,
    );

  const verdicts = judge(samples);
  if (values.figures) writeFigures(resolve(values.figures), samples, verdicts);
  for (const v of verdicts) console.log(`soak: ${v.ok ? 'ok  ' : 'FAIL'} ${v.what}: ${v.detail}`);

  // The load is over: the orders in flight finish (the customer still answers and cancels), then every message sent is
  // accounted for. Nothing is judged by the clock: the drain ends when nothing more will happen, or at its safety net.
  const drainUntil = Date.now() + DRAIN_SAFETY_NET_MS;
  const orderIds = sentMessages
    .filter((m) => m.attributes.MessageType === 'Order')
    .map((m) => (JSON.parse(m.body) as { orderId: string }).orderId);
  const instanceIds = orderIds.map((orderId) => convoyInstanceId('OrderFulfilment', 'order', orderId));
  const claimCheck = s3ClaimCheck(cluster.claimCheckBucket, { endpoint: cluster.endpoint });
  const store = new DynamoDbInstanceStore(dynamo, cluster.tableName, { claimCheck });
  let drained = false;
  while (!drained && Date.now() < drainUntil) {
    while (cancels.length > 0 && cancels[0]!.at <= Date.now())
      await sendAll(sqs, cluster.receiveQueueUrl, [{ type: 'Cancel', body: { orderId: cancels.shift()!.orderId } }]);
    const messages = await customer();
    drained =
      messages.length === 0 &&
      cancels.length === 0 &&
      (await quiet(sqs, [cluster.receiveQueueUrl, cluster.workQueueUrl])) &&
      (await settledAll(store, instanceIds));
  }
  const ports = {
    store,
    ...(cluster.historyTableName ? { history: new DynamoDbHistory(dynamo, cluster.historyTableName) } : {}),
    registry: new OrchestrationRegistry(sampleOrchestrations()),
  };
  // Tracking runs in npm start's process, a moment behind the MessageBox: a delivery whose history has not come yet
  // reads as unaccounted, so the judgement is taken again (a loss stays a loss) while tracking catches up.
  const deadLetters = await deadLettered(
    sqs,
    Object.fromEntries(dlqs.map(([name, url]) => [name.replace(/ DLQ$/, ''), url])),
  );
  let judgement: Judgement | undefined;
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 5_000));
    const lines: string[] = [];
    judgement = await judgeConservation(sentMessages, ports, {
      log: (line) => lines.push(`soak: ${line}`),
      dynamo: { client: dynamo, tableName: cluster.tableName },
      deadLetters,
      ...(cluster.claimCheckBucket
        ? {
            claimCheck: {
              s3: s3Client({ endpoint: cluster.endpoint }),
              bucket: cluster.claimCheckBucket,
              dynamo,
              tableName: cluster.tableName,
            },
          }
        : {}),
    });
    if (judgement.unaccounted === 0 || attempt === 5) {
      for (const line of lines) console.log(line);
      break;
    }
  }
  if (!drained)
    console.log(
      `soak: orders still in flight ${DRAIN_SAFETY_NET_MS / 1000} s after the load ended; accounted for as they stand`,
    );
  const unaccounted = judgement!.unaccounted;
  const last = samples.at(-1)!;
  const measuredStart = samples.filter((s) => s.t >= minutes / 3).map((s): [number, number] => [s.t, s.startRss]);
  const startPeaks = measuredStart.length > 0 ? peaks(measuredStart, RSS_BOUND) : undefined;
  const ok = verdicts.every((v) => v.ok) && unaccounted === 0 && drained;
  console.log(
    `soak: minutes=${minutes} orders=${sent} received=${received} kills=${kills} samples=${samples.length} unaccounted=${unaccounted} ` +
      `ceiling(npm start)=${startPeaks ? `${Math.round(startPeaks.firstPeak)}→${Math.round(startPeaks.lastPeak)}` : '?'} MB messagebox=${last.items} items, ${Math.round(last.storeMb)} MB on disk ${ok ? 'ok' : 'FAILED'}`,
  );
  exitCode = ok ? 0 : 1;
} catch (error) {
  console.error(`soak: ${(error as Error).stack ?? error}`);
  console.error(`soak: the npm start log is in ${join(home, 'start.log')}`);
} finally {
  for (const timer of timers) clearInterval(timer);
  await stopStart();
  if (exitCode === 0) rmSync(home, { recursive: true, force: true });
}
process.exit(exitCode);

interface Verdict {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Applies BOUNDS to what was sampled after the warm-up. */
function judge(samples: readonly Sample[]): Verdict[] {
  const measured = samples.filter((s) => s.t >= minutes / 3);
  if (measured.length < 3)
    return [{ what: 'samples', ok: false, detail: `${measured.length} samples after the warm-up; run longer` }];
  const verdicts: Verdict[] = [];
  const memory = (what: string, points: [number, number][], bound: Bound) => {
    const { firstPeak, lastPeak, minutesApart, ceiling } = peaks(points, bound);
    const growth = lastPeak - firstPeak;
    const ok = lastPeak <= ceiling;
    verdicts.push({
      what,
      ok,
      detail: `ceiling (p90) ${Math.round(firstPeak)}→${Math.round(lastPeak)} MB over ${minutesApart.toFixed(1)} min, growth ${Math.round(growth)} MB (bound ${Math.round(ceiling - firstPeak)}: ${bound.perMinute} MB/min, at most ${bound.atMost})`,
    });
  };
  memory(
    'npm start process memory (RSS)',
    measured.map((s) => [s.t, s.startRss]),
    RSS_BOUND,
  );
  if (measured.every((s) => s.startLive !== undefined))
    memory(
      'npm start process live memory',
      measured.map((s) => [s.t, s.startLive!]),
      LIVE_BOUND,
    );
  memory(
    'largest host instance memory (RSS)',
    measured.map((s) => [s.t, Math.max(0, ...s.hostRss)]),
    RSS_BOUND,
  );
  if (measured.every((s) => (s.hostLive ?? []).length > 0))
    memory(
      'largest host instance live memory',
      measured.map((s) => [s.t, Math.max(...s.hostLive!)]),
      LIVE_BOUND,
    );
  for (const queue of Object.keys(measured[0]!.queues)) {
    const points = measured.map((s): [number, number] => [s.t, s.queues[queue] ?? 0]);
    if (queue.endsWith('DLQ')) {
      const last = points.at(-1)![1];
      verdicts.push({
        what: `${queue}`,
        ok: last <= BOUNDS.dlqMessages,
        detail: `${last} message(s) (bound ${BOUNDS.dlqMessages})`,
      });
    } else {
      const slope = trend(points);
      verdicts.push({
        what: `${queue} queue`,
        ok: slope <= BOUNDS.queueSlopePerMinute,
        detail: `depth ${points[0]![1]}→${points.at(-1)![1]}, trend ${slope.toFixed(2)}/min (bound ${BOUNDS.queueSlopePerMinute})`,
      });
    }
  }
  return verdicts;
}

/** The ceiling (90th percentile) of the first and the last third of the points, and the highest the last may be. */
function peaks(
  points: readonly [number, number][],
  bound: Bound,
): { firstPeak: number; lastPeak: number; minutesApart: number; ceiling: number } {
  const third = Math.max(1, Math.floor(points.length / 3));
  const first = points.slice(0, third);
  const last = points.slice(-third);
  const peak = (part: readonly [number, number][]) =>
    percentile(
      part.map(([, y]) => y),
      0.9,
    );
  const middle = (part: readonly [number, number][]) => part.reduce((a, [x]) => a + x, 0) / part.length;
  const minutesApart = middle(last) - middle(first);
  const firstPeak = peak(first);
  return {
    firstPeak,
    lastPeak: peak(last),
    minutesApart,
    ceiling: firstPeak + Math.min(bound.atMost, bound.perMinute * minutesApart),
  };
}

/** The p-th quantile of the values, linearly interpolated (p = 1 is the highest). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const k = (sorted.length - 1) * p;
  const below = Math.floor(k);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (k - below);
}

/** Least-squares slope of y over x. */
function trend(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

function writeFigures(dir: string, samples: readonly Sample[], verdicts: readonly Verdict[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'soak.json'),
    `${JSON.stringify({ minutes, rate, killEverySeconds, bounds: BOUNDS, verdicts, samples }, null, 1)}\n`,
  );
  const warm = minutes / 3;
  const measured = samples.filter((s) => s.t >= warm);
  const ceiling = (memory: (s: Sample) => number, bound: Bound) =>
    peaks(
      measured.map((s) => [s.t, memory(s)]),
      bound,
    ).ceiling;
  const startRss = (s: Sample) => s.startRss;
  const hostRss = (s: Sample) => Math.max(0, ...s.hostRss);
  writeFileSync(
    join(dir, 'soak-memory.svg'),
    lineChart(
      `Soak: resident memory over ${minutes} min at ${rate} orders/s (judged after ${warm.toFixed(0)} min)`,
      'RSS (MB)',
      [
        { label: 'npm start process', points: samples.map((s) => [s.t, startRss(s)]) },
        { label: 'largest host instance', points: samples.map((s) => [s.t, hostRss(s)]) },
      ],
      measured.length < 3
        ? []
        : [
            { label: 'bound, npm start process', value: ceiling(startRss, RSS_BOUND) },
            { label: 'bound, host instance', value: ceiling(hostRss, RSS_BOUND) },
          ],
    ),
  );
  const probed = samples.filter((s) => s.startLive !== undefined && (s.hostLive ?? []).length > 0);
  if (probed.length > 0) {
    const startLive = (s: Sample) => s.startLive!;
    const hostLive = (s: Sample) => Math.max(...s.hostLive!);
    const measuredProbed = measured.length >= 3 && measured.every((s) => probed.includes(s));
    writeFileSync(
      join(dir, 'soak-live.svg'),
      lineChart(
        `Soak: memory alive after a full collection (judged after ${warm.toFixed(0)} min)`,
        'MB',
        [
          { label: 'npm start process', points: probed.map((s) => [s.t, startLive(s)]) },
          { label: 'largest host instance', points: probed.map((s) => [s.t, hostLive(s)]) },
        ],
        measuredProbed
          ? [
              { label: 'bound, npm start process', value: ceiling(startLive, LIVE_BOUND) },
              { label: 'bound, host instance', value: ceiling(hostLive, LIVE_BOUND) },
            ]
          : [],
      ),
    );
  }
  const queueNames = Object.keys(samples[0]?.queues ?? {});
  writeFileSync(
    join(dir, 'soak-queues.svg'),
    lineChart(`Soak: queue depths`, 'messages', [
      ...queueNames.map((q) => ({ label: q, points: samples.map((s): [number, number] => [s.t, s.queues[q] ?? 0]) })),
    ]),
  );
  writeFileSync(
    join(dir, 'soak-messagebox.svg'),
    lineChart(
      `Soak: the MessageBox (finished instances stay 7 days; the emulator expires none)`,
      'thousands of items (MB on disk)',
      [
        { label: 'items (thousands)', points: samples.map((s): [number, number] => [s.t, s.items / 1_000]) },
        { label: 'MB on disk', points: samples.map((s): [number, number] => [s.t, s.storeMb]) },
      ],
    ),
  );
}

/** The sample's kinds, in turn: what a steady day of orders looks like. */
function order(n: number): { type: string; body: unknown } {
  const kind = ['plain', 'approved', 'plain', 'invalid', 'cancelled'][n % 5]!;
  const orderId = `soak-${start.pid}-${n}`;
  const unitPrice = kind === 'approved' ? 15_000 : 12.5;
  if (kind === 'cancelled') cancels.push({ at: Date.now() + 2_000, orderId });
  return {
    type: 'Order',
    body: { orderId, customerId: `c-${n % 17}`, lines: [{ sku: 'A', qty: kind === 'invalid' ? 0 : 1, unitPrice }] },
  };
}

async function waitForCluster(home: string, pid: number): Promise<ClusterRecord> {
  const file = join(home, 'endpoints.json');
  for (let i = 0; i < 600; i++) {
    if (start.exitCode !== null) throw new Error(`npm start exited (${start.exitCode}) before the cluster was up`);
    if (existsSync(file)) {
      const record = JSON.parse(readFileSync(file, 'utf8')) as ClusterRecord;
      if (record.pid === pid) {
        // The host instances report in before the status line starts; give them a moment.
        await new Promise((r) => setTimeout(r, 3_000));
        return record;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the cluster did not come up within a minute');
}

async function deadLetterQueues(sqs: SQSClient, cluster: ClusterRecord): Promise<[string, string][]> {
  const found: [string, string][] = [];
  for (const [name, url] of [
    ['receive', cluster.receiveQueueUrl],
    ['work', cluster.workQueueUrl],
    ['send', cluster.sendQueueUrl],
  ] as const) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
    );
    const arn = (JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    if (arn) found.push([`${name} DLQ`, url.replace(/[^/]+$/, arn.split(':').at(-1)!)]);
  }
  return found;
}

async function depth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Items in a table, by a Scan that counts page by page. */
async function itemCount(dynamo: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let count = 0;
  for await (const page of paginateScan({ client: dynamo }, { TableName: tableName, Select: 'COUNT' }))
    count += page.Count ?? 0;
  return count;
}

/** Size of a folder's files, MB (0 if it is not there). */
function folderMb(dir: string): number {
  try {
    return (
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0) / 1_048_576
    );
  } catch {
    return 0;
  }
}

async function sendAll(sqs: SQSClient, queueUrl: string, messages: { type: string; body: unknown }[]): Promise<void> {
  sentMessages.push(...(await sendMessages(sqs, queueUrl, messages)));
}

/** What a probed process last wrote (undefined if it has not, or could not collect first). */
function probed(pid: number): LiveMemory | undefined {
  try {
    const live = JSON.parse(readFileSync(join(probeDir, `${pid}.json`), 'utf8')) as LiveMemory;
    return live.collected ? live : undefined;
  } catch {
    return undefined;
  }
}

/** MB alive in a probed process after its last full collection (JS heap and external memory). */
function liveOf(live: LiveMemory | undefined): number | undefined {
  return live && live.heapUsedMb + live.externalMb;
}

/**
 * Resident memory of a process in MB, from /proc (0 once it is gone), and its anonymous (heap, stacks, native
 * allocations) and file-backed (mapped files, code) parts.
 */
function resident(pid: number): { rss: number; anon: number; file: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') + mb('RssShmem') };
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}

/** The host instance processes the cluster runs (the start process's children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function stopStart(): Promise<void> {
  if (start.exitCode !== null) return;
  await new Promise<void>((done) => {
    const force = setTimeout(() => start.kill('SIGKILL'), 20_000);
    start.once('exit', () => {
      clearTimeout(force);
      done();
    });
    start.kill('SIGINT');
  });
}
