/**
 * `npm run simulate -- --seeds N`: N simulated runs of the whole system (see world.ts), each from its own seed, on
 * every core. Each run's invariants are checked as it goes; a failing seed is shrunk and its trace printed. Then what
 * the seeds exercised of the join policies (`simulate: joins: ...`), and last
 * `simulate: seeds=N violations=V events=E rate=R seeds/s`; exit 0 only with no violation.
 *
 * `--seed S` runs one seed and prints its trace; `--from S` starts the seeds there (default 1); `--workers W`.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describe, runSeed, shrink } from './simulate.ts';
import { WEATHERS, type RunReport } from './world.ts';

type WeatherName = keyof typeof WEATHERS;
interface Slice {
  readonly from: number;
  readonly count: number;
  readonly stride: number;
  readonly offset: number;
  readonly weather: WeatherName;
  readonly nested: boolean;
}
interface Tally {
  seeds: number;
  events: number;
  simulatedMs: number;
  failing: RunReport[];
  /** What the seeds exercised of the join policies, summed (see JoinOracle.coverage). */
  coverage: Record<string, number>;
}

async function runSlice(slice: Slice, progress?: (tally: Tally) => void): Promise<Tally> {
  const tally: Tally = { seeds: 0, events: 0, simulatedMs: 0, failing: [], coverage: {} };
  for (let n = slice.offset; n < slice.count; n += slice.stride) {
    const report = await runSeed(slice.from + n, { weather: WEATHERS[slice.weather], nested: slice.nested });
    tally.seeds++;
    tally.events += report.events;
    tally.simulatedMs += report.simulatedMs;
    for (const [what, n] of Object.entries(report.coverage)) tally.coverage[what] = (tally.coverage[what] ?? 0) + n;
    // The first few failures are kept whole; the count says the rest.
    if (report.violations.length > 0 && tally.failing.length < 5) tally.failing.push(report);
    else if (report.violations.length > 0) tally.failing.push({ ...report, log: [], decisions: [] });
    if (tally.seeds % 500 === 0) progress?.(tally);
  }
  return tally;
}

if (!isMainThread) {
  const tally = await runSlice(workerData as Slice, (t) => parentPort!.postMessage({ progress: t.seeds }));
  parentPort!.postMessage({ tally });
} else {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1000' },
      from: { type: 'string', default: '1' },
      seed: { type: 'string' },
      workers: { type: 'string', default: String(Math.max(1, availableParallelism())) },
      trace: { type: 'string', default: '60' },
      weather: { type: 'string', default: 'storm' },
      nested: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'npm run simulate -- [--seeds 1000] [--from 1] [--workers N] [--seed S] [--trace 60] [--weather storm|harsh] [--nested]',
    );
    console.log(
      '  --weather harsh: one call in ten fails, SQS hands out copies often: to search where the storm rarely goes',
    );
    console.log(
      "  --seed S     one seed, its trace printed whole; --trace N: lines of a failing run's shrunk trace to print",
    );
    console.log('  --nested     Parallel Actions inside a branch that is cancelled (simulation/flows.ts)');
    process.exit(0);
  }
  const traceLines = Number(values.trace);
  if (!(values.weather! in WEATHERS))
    throw new Error(`--weather: ${values.weather} is none of ${Object.keys(WEATHERS).join(', ')}`);
  const weatherName = values.weather as WeatherName;
  const weather = WEATHERS[weatherName];
  const nested = values.nested === true;
  if (values.seed !== undefined) {
    const report = await runSeed(Number(values.seed), { weather, nested });
    for (const line of report.log) console.log(line);
    for (const v of report.violations) console.log(`simulate: ${describe(v)}`);
    console.log(
      `simulate: seed=${report.seed} events=${report.events} violations=${report.violations.length} simulated=${(report.simulatedMs / 1000).toFixed(1)}s`,
    );
    process.exit(report.violations.length === 0 ? 0 : 1);
  }
  const count = Number(values.seeds);
  const from = Number(values.from);
  const workers = Math.max(1, Math.min(Number(values.workers), count));
  const started = Date.now();
  let done = 0;
  const tallies = await Promise.all(
    Array.from(
      { length: workers },
      (_, offset) =>
        new Promise<Tally>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { from, count, stride: workers, offset, weather: weatherName, nested } satisfies Slice,
          });
          worker.on('message', (message: { progress?: number; tally?: Tally }) => {
            if (message.tally) resolve(message.tally);
            else if (message.progress) {
              done += 500;
              process.stderr.write(
                `simulate: ${done} of ${count} seeds, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
              );
            }
          });
          worker.on('error', reject);
        }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  const seeds = tallies.reduce((n, t) => n + t.seeds, 0);
  const events = tallies.reduce((n, t) => n + t.events, 0);
  const failing = tallies.flatMap((t) => t.failing).sort((a, b) => a.seed - b.seed);
  const violations = failing.reduce((n, r) => n + r.violations.length, 0);
  for (const report of failing.slice(0, 3)) {
    console.log(`simulate: seed ${report.seed} fails: ${describe(report.violations[0]!)}`);
    const shrunk = await shrink(await runSeed(report.seed, { weather, nested }), 20_000, { weather, nested });
    console.log(
      `simulate: shrunk from ${report.events} to ${shrunk.events} events (replay it: npm run simulate -- --seed ${report.seed}${weatherName === 'storm' ? '' : ` --weather ${weatherName}`}${nested ? ' --nested' : ''}); its trace:`,
    );
    for (const line of shrunk.log.slice(-traceLines)) console.log(`  ${line}`);
    for (const v of shrunk.violations) console.log(`  => ${describe(v)}`);
  }
  if (failing.length > 3) console.log(`simulate: failing seeds: ${failing.map((r) => r.seed).join(' ')}`);
  const coverage: Record<string, number> = {};
  for (const t of tallies)
    for (const [what, n] of Object.entries(t.coverage)) coverage[what] = (coverage[what] ?? 0) + n;
  console.log(
    `simulate: joins: ${
      Object.entries(coverage)
        .sort()
        .map(([what, n]) => `${what} ${n}`)
        .join(', ') || 'none exercised'
    }`,
  );
  console.log(
    `simulate: seeds=${seeds} from=${from} weather=${weatherName} violations=${violations} failing=${failing.length} events=${events} seconds=${seconds.toFixed(1)} rate=${(seeds / seconds).toFixed(1)} seeds/s`,
  );
  process.exit(violations === 0 ? 0 : 1);
}
