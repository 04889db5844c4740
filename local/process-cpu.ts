/**
 * CPU time, read from Linux's /proc: how busy the local cluster's host instances were, how busy the whole machine
 * was (other work on it included), and how long tasks waited for a core.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * User and system CPU seconds the process `pid` has used so far (its threads included), or undefined once it is
 * gone or off Linux.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count the fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, the 12th and 13th after the name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds every process of the machine has used since boot, all cores together (idle and I/O wait excluded). */
export function machineCpuSeconds(): number | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!;
    return busy / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Seconds during which at least one runnable task waited for a core, since boot (Linux's pressure stall
 * information): CPU contention, which an average CPU share can hide.
 */
export function cpuStallSeconds(): number | undefined {
  try {
    const some = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return some ? Number(some[1]) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}
