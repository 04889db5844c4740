/**
 * The bench's `peers` part (`npm run bench -- --parts peers`; not in a plain `npm run bench`): Baton's sample
 * orchestration, OrderFulfilment v2 on its plain path, run three ways on this machine, one engine after the other
 * with the same orders: Baton's local cluster (this checkout), a Restate workflow (restate-server, RocksDB) and a
 * DBOS workflow on PostgreSQL (engines.ts; the peers' code: restate-service.ts, dbos-app.ts, business.ts).
 *
 * It installs the peers' packages with npm into .baton/peers/app (install.ts; reused while unchanged), runs in
 * .baton/peers/run (logs, BATON_HOME, Restate's and Postgres's data, the data removed at the end), measures each
 * engine (load.ts), prints one JSON line per engine (`metric: "peers"`) and writes the table:
 *   - between `<!-- peers:begin -->` and `<!-- peers:end -->` in docs/benchmarks.md when the three engines were asked
 *     for and each was measured;
 *   - else (some engines, or one skipped) to .baton/peers/table.md, so the docs keep a whole comparison;
 *   - `--peer-table FILE` writes it to FILE instead (between the markers if FILE has them, a new file if it is none).
 * An engine that cannot run is skipped with its reason (no PostgreSQL: DBOS; the npm registry unreachable: Restate
 * and DBOS); everything started is stopped by its process group, on a signal too.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import {
  ENGINES,
  type EngineContext,
  type EngineName,
  findPostgres,
  type RunningEngine,
  startBaton,
  startDbos,
  startRestate,
} from './engines.ts';
import { installPeers, type PeersInstall } from './install.ts';
import { Deliveries, type LoadSettings, type Measured, measure, startSink } from './load.ts';
import { killAllNow, stopAll } from './processes.ts';

export interface PeersOptions extends LoadSettings {
  readonly engines: readonly string[];
  readonly repoRoot: string;
  /** Where the table goes; unset: docs/benchmarks.md or .baton/peers/table.md (above). */
  readonly table?: string;
  /** Prints a result line (the bench's JSON line per result). */
  readonly emit: (line: Record<string, unknown>) => void;
}

export interface PeersOutcome {
  /** One per engine asked for: measured, or skipped with its reason. */
  readonly lines: Record<string, unknown>[];
  /** Baton was asked for and did not run exactly once (or did not run): the bench fails. */
  readonly batonFailed: boolean;
}

const BEGIN = '<!-- peers:begin -->';
const END = '<!-- peers:end -->';
const NAMES: Record<EngineName, string> = { baton: 'Baton', restate: 'Restate', dbos: 'DBOS' };
const log = (line: string) => process.stderr.write(`bench: peers: ${line}\n`);

type MeasuredLine = { metric: 'peers'; engine: EngineName; label: string } & Measured & {
    concurrency: number;
    warmup: number;
    versions: Record<string, string>;
    store: Record<string, unknown>;
  };
type EngineLine = MeasuredLine | { metric: 'peers'; engine: EngineName; skipped: string };

export async function runPeers(options: PeersOptions): Promise<PeersOutcome> {
  const engines = options.engines.map((e) => e.trim()).filter(Boolean);
  for (const e of engines)
    if (!ENGINES.includes(e as EngineName))
      throw new Error(`--peer-engines: unknown engine "${e}"; engines: ${ENGINES.join(', ')}`);
  if (engines.length === 0) throw new Error('--peer-engines: no engine');
  for (const [name, n] of [
    ['--peer-orders', options.orders],
    ['--peer-concurrency', options.concurrency],
  ] as const)
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a positive integer`);
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new Error('--peer-warmup: a non-negative integer');
  if (process.platform !== 'linux') throw new Error('the peers part reads /proc: it runs on Linux');

  const home = join(options.repoRoot, '.baton', 'peers');
  const runDir = join(home, 'run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  // Whatever happens, nothing the part started outlives it: a signal stops every group, an exit kills what is left.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the engines`);
    void stopAll().finally(() => process.exit(130));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', killAllNow);
  const startedAt = new Date();
  log(
    `${engines.join(', ')}: ${options.orders} orders, ${options.concurrency} in flight, ${options.warmup} warm-up; in ${runDir}`,
  );
  try {
    const skip = new Map<EngineName, string>();
    if (engines.includes('dbos')) {
      try {
        findPostgres();
      } catch (error) {
        skip.set('dbos', (error as Error).message);
      }
    }
    let install: PeersInstall | undefined;
    if (engines.some((e) => e !== 'baton' && !skip.has(e as EngineName))) {
      try {
        install = await installPeers(join(home, 'app'), log);
      } catch (error) {
        const reason = `the peers could not be installed: ${(error as Error).message}`;
        for (const e of ['restate', 'dbos'] as const) if (!skip.has(e)) skip.set(e, reason);
      }
    }
    const lines: EngineLine[] = [];
    for (const engine of engines as EngineName[]) {
      const reason = skip.get(engine);
      const line: EngineLine = reason
        ? { metric: 'peers', engine, skipped: reason }
        : await runEngine(engine, { repoRoot: options.repoRoot, runDir, install }, options);
      if ('skipped' in line) log(`${engine}: SKIPPED: ${line.skipped}`);
      lines.push(line);
      options.emit(line);
    }
    const table = renderTable(lines, options, startedAt);
    writeTable(table, lines, engines, options);
    const baton = lines.find((l) => l.engine === 'baton');
    return { lines, batonFailed: baton !== undefined && !('exactlyOnce' in baton && baton.exactlyOnce) };
  } finally {
    await stopAll();
    // The stores' data (Postgres's cluster, Restate's RocksDB) go; the logs stay.
    for (const data of [join(runDir, 'pg', 'data'), join(runDir, 'restate', 'data')])
      rmSync(data, { recursive: true, force: true });
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', killAllNow);
  }
}

/** Starts one engine, measures it, stops it (whatever happens); a failure is the engine's line, with its reason. */
async function runEngine(
  engine: EngineName,
  base: Omit<EngineContext, 'deliveries' | 'sinkUrl'>,
  options: PeersOptions,
): Promise<EngineLine> {
  const deliveries = new Deliveries();
  const sink = engine === 'baton' ? undefined : await startSink(deliveries);
  let running: RunningEngine | undefined;
  try {
    log(`${engine}: starting`);
    const ctx: EngineContext = { ...base, deliveries, ...(sink ? { sinkUrl: sink.url } : {}) };
    running = await (engine === 'baton' ? startBaton : engine === 'restate' ? startRestate : startDbos)(ctx);
    log(`${engine}: ${running.label}; measuring`);
    const measured = await measure(engine, running.client, deliveries, running.roots, options);
    const store = await running.storeWrites(options.orders + options.warmup);
    const line: MeasuredLine = {
      metric: 'peers',
      engine,
      label: running.label,
      ...measured,
      concurrency: options.concurrency,
      warmup: options.warmup,
      versions: running.versions,
      store,
    };
    log(
      `${engine}: ${measured.ordersPerSec} orders/s, p50 ${measured.p50ms} ms, p99 ${measured.p99ms} ms, ` +
        `${measured.cpuMsPerOrder} ms CPU per order, ${measured.peakMemoryMB} MB, exactly once: ${measured.exactlyOnce}`,
    );
    return line;
  } catch (error) {
    return { metric: 'peers', engine, skipped: `it failed: ${(error as Error).message}` };
  } finally {
    await running?.client.close().catch(() => undefined);
    await running?.stop();
    await stopAll();
    await sink?.close();
  }
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** The table, and the line about the machine and the run under it. */
export function renderTable(lines: readonly EngineLine[], options: LoadSettings, at: Date): string {
  const rows = lines.map((line) => {
    if ('skipped' in line)
      return `| ${NAMES[line.engine]} | skipped: ${line.skipped.split('\n')[0]!.replaceAll('|', '\\|')} | | | | |`;
    const o = line.outputs;
    const once = line.exactlyOnce
      ? `yes (${thousands(o.orders)} orders)`
      : `**no**: ${o.orders - o.exactlyOneEach} of ${thousands(o.orders)} orders (${o.missing} missing, ${o.extraCopies} extra copies, ${o.otherMessages} other messages)`;
    return `| ${line.label} | ${line.ordersPerSec.toFixed(1)} | ${line.p50ms} / ${line.p99ms} | ${line.cpuMsPerOrder.toFixed(1)} ms | ${line.peakMemoryMB} MB | ${once} |`;
  });
  const measured = lines.filter((l): l is MeasuredLine => !('skipped' in l));
  const each = (f: (l: (typeof measured)[number]) => string) =>
    measured.map((l) => `${NAMES[l.engine]} ${f(l)}`).join(', ');
  const machine =
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${availableParallelism()} cores), ${Math.round(totalmem() / 2 ** 30)} GB, ` +
    `Node ${process.versions.node}, ${process.platform}`;
  const phases = measured.length
    ? ` Busy share of the machine's cores during each measured phase: ${each((l) => l.machine.busyShare.toFixed(2))}; ` +
      `other processes' CPU meanwhile (neither the engine's nor the load's): ${each((l) => `${l.machine.otherProcessesCpuSeconds.toFixed(1)} s`)}.`
    : '';
  return [
    '| engine | orders/s | p50 / p99 ms | CPU per order | peak memory | exactly once |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `${thousands(options.orders)} orders after ${options.warmup} of warm-up, ${options.concurrency} in flight, cancellation window 0, ` +
      `one engine after the other. Machine: ${machine}.${phases} ${at.toISOString().slice(0, 10)}, \`npm run bench -- --parts peers\`.`,
  ].join('\n');
}

/** Writes the table where it belongs (the header comment says where), and says where. */
function writeTable(
  table: string,
  lines: readonly EngineLine[],
  engines: readonly string[],
  options: PeersOptions,
): void {
  const docs = join(options.repoRoot, 'docs', 'benchmarks.md');
  const fallback = join(options.repoRoot, '.baton', 'peers', 'table.md');
  const whole = ENGINES.every((e) => engines.includes(e)) && lines.every((l) => !('skipped' in l));
  let target = options.table ?? (whole ? docs : fallback);
  if (!options.table && !whole)
    log(`not all three engines were measured: the table goes to ${relative(options.repoRoot, fallback)}, not the docs`);
  const section = `${BEGIN}\n\n${table}\n\n${END}`;
  if (existsSync(target)) {
    const text = readFileSync(target, 'utf8');
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    if (begin >= 0 && end > begin) {
      writeFileSync(target, `${text.slice(0, begin)}${section}${text.slice(end + END.length)}`);
      log(`table written to ${relative(options.repoRoot, target)}`);
      return;
    }
    if (target !== fallback) {
      log(`${target} has no ${BEGIN} … ${END} markers: the table goes to ${relative(options.repoRoot, fallback)}`);
      target = fallback;
    }
  }
  mkdirSync(join(target, '..'), { recursive: true });
  writeFileSync(target, `${section}\n`);
  log(`table written to ${relative(options.repoRoot, target)}`);
}
