/**
 * The peers part's processes: what each engine's process tree costs, read from Linux's /proc, and the process
 * groups the part starts, each stopped by its id whatever happens.
 *
 * CPU: utime + stime of every process of the tree, plus cutime + cstime (what the children it reaped used, so a
 * Postgres backend that exits mid-phase still counts), read at the start and at the end of the measured phase.
 * Memory: sampled every 250 ms, the sum of PSS over the tree (a page shared by k processes counts 1/k in each:
 * Postgres's shared buffers, the node binary mapped by several processes) and the plain sum of VmRSS beside it.
 * The machine: the CPU seconds all its processes used (/proc/stat, idle and I/O wait excluded), so a phase disturbed
 * by other work on the machine shows it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
  /** utime + stime, seconds. */
  readonly own: number;
  /** cutime + cstime: the children it waited for, seconds. */
  readonly reaped: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) may hold spaces and parentheses: count the fields after its closing one.
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    return {
      pid,
      ppid: Number(f[1]),
      name,
      own: (Number(f[11]) + Number(f[12])) / TICKS,
      reaped: (Number(f[13]) + Number(f[14])) / TICKS,
    };
  } catch {
    return undefined;
  }
}

/** A `field: N kB` line of a /proc file, in kB (0 once the process is gone). */
function kilobytes(file: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every live process under (and including) the roots. */
export function processTree(roots: readonly number[]): ProcStat[] {
  const all = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (!s) continue;
    all.set(s.pid, s);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  }
  const tree: ProcStat[] = [];
  const seen = new Set<number>();
  const visit = (pid: number) => {
    const s = all.get(pid);
    if (!s || seen.has(pid)) return;
    seen.add(pid);
    tree.push(s);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  for (const root of roots) visit(root);
  return tree;
}

export interface TreeUsage {
  /** CPU seconds the trees used over the phase (own, and their reaped children's). */
  readonly cpuSeconds: number;
  /** The peak of the sum of PSS over the trees, MB. */
  readonly peakPssMB: number;
  /** The peak of the sum of VmRSS over the trees (a shared page counted in each process), MB. */
  readonly peakRssSumMB: number;
  /** The processes at the end, with what each used of the CPU over the phase and its resident memory. */
  readonly processes: { pid: number; name: string; cpuSeconds: number; rssMB: number }[];
}

/** Starts watching the trees under `roots`; `stop()` returns what they used since. */
export function watchTrees(roots: readonly number[], periodMs = 250): { stop(): TreeUsage } {
  const cpu = (tree: readonly ProcStat[]) => tree.reduce((sum, s) => sum + s.own + s.reaped, 0);
  const first = processTree(roots);
  const ownAtStart = new Map(first.map((s) => [s.pid, s.own]));
  let peakPss = 0;
  let peakRss = 0;
  const sample = () => {
    let pss = 0;
    let rss = 0;
    for (const s of processTree(roots)) {
      pss += kilobytes(`/proc/${s.pid}/smaps_rollup`, 'Pss');
      rss += kilobytes(`/proc/${s.pid}/status`, 'VmRSS');
    }
    peakPss = Math.max(peakPss, pss);
    peakRss = Math.max(peakRss, rss);
  };
  sample();
  const timer = setInterval(sample, periodMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const last = processTree(roots);
      return {
        cpuSeconds: cpu(last) - cpu(first),
        peakPssMB: peakPss / 1024,
        peakRssSumMB: peakRss / 1024,
        processes: last.map((s) => ({
          pid: s.pid,
          name: s.name,
          cpuSeconds: Number((s.own - (ownAtStart.get(s.pid) ?? 0)).toFixed(2)),
          rssMB: Number((kilobytes(`/proc/${s.pid}/status`, 'VmRSS') / 1024).toFixed(1)),
        })),
      };
    },
  };
}

/** CPU seconds every process of the machine has used since boot, all cores together (idle and I/O wait excluded). */
export function machineBusySeconds(): number {
  // cpu  user nice system idle iowait irq softirq steal ...
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) / TICKS;
}

// ---- Process groups: each engine's processes are started in a group of their own, and stopped by its id. ----

export interface Started {
  readonly name: string;
  /** Its pid, which is also its process group's id (it leads a session of its own). */
  readonly pid: number;
  readonly log: string;
  readonly child: ChildProcess;
  /** Set once the leader exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** The groups started and not yet stopped: what `stopAll` and the exit handler stop. */
const running = new Map<number, Started>();

/**
 * Starts `command` in a process group of its own (a new session), its output appended to `log`. `uid`/`gid` run it
 * as that user (Postgres refuses root); the supplementary groups are dropped with them.
 */
export function startGroup(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; log: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number },
): Started {
  const fd = openSync(options.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command} (see ${options.log})`);
  const started: Started = { name, pid: child.pid, log: options.log, child };
  child.on('error', () => undefined);
  child.on('exit', (code, signal) => {
    started.exit = { code, signal };
  });
  running.set(started.pid, started);
  return started;
}

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops a group: `signal` to its leader alone first (the engine's own way to stop: Baton's Ctrl-C, Postgres's fast
 * shutdown), then TERM to the whole group, then KILL; each waited for, with a bound.
 */
export async function stopGroup(started: Started, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  const pgid = started.pid;
  try {
    if (!groupAlive(pgid)) return;
    if (started.exit === undefined) {
      try {
        process.kill(started.pid, signal);
      } catch {
        // The leader is gone; its group is not.
      }
    } else signalGroup(pgid, signal);
    if (await groupGone(pgid, graceMs)) return;
    signalGroup(pgid, 'SIGTERM');
    if (await groupGone(pgid, 5_000)) return;
    process.stderr.write(`bench: peers: ${started.name} (process group ${pgid}) did not stop: KILL\n`);
    signalGroup(pgid, 'SIGKILL');
    await groupGone(pgid, 5_000);
  } finally {
    running.delete(pgid);
  }
}

/** Stops every group still running, the newest first. */
export async function stopAll(): Promise<void> {
  for (const started of [...running.values()].reverse()) await stopGroup(started, 'SIGTERM', 5_000);
}

/** Last resort, from a synchronous exit handler: KILL every group still running. */
export function killAllNow(): void {
  for (const pgid of running.keys()) signalGroup(pgid, 'SIGKILL');
  running.clear();
}

// ---- Waiting, with a bound on every wait. ----

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `ready` every 250 ms until it is true; throws once `ms` passed, or as soon as `started` (the process that
 * should become ready) exited, with the end of its log.
 */
export async function waitFor(
  what: string,
  ms: number,
  ready: () => boolean | Promise<boolean>,
  started?: Started,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await Promise.resolve(ready()).catch(() => false)) return;
    if (started?.exit)
      throw new Error(`${what}: ${started.name} exited (${describeExit(started)})${logTail(started.log)}`);
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${Math.round(ms / 1000)} s${started ? logTail(started.log) : ''}`);
    await sleep(250);
  }
}

function describeExit(started: Started): string {
  return started.exit?.signal ? `signal ${started.exit.signal}` : `code ${started.exit?.code}`;
}

/** The last lines of a log, to quote in an error. */
export function logTail(log: string, lines = 15): string {
  try {
    const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return tail ? `; the end of ${log}:\n${tail}` : `; ${log} is empty`;
  } catch {
    return '';
  }
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on the port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}
