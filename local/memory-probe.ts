/**
 * Loaded into the processes the soak measures (`node --expose-gc --import ./local/memory-probe.ts ...`, see
 * `localNodeFlags`): every few seconds it runs a full garbage collection and writes what is still alive to
 * `$BATON_MEMORY_PROBE_DIR/<pid>.json`. Resident memory alone cannot tell a leak from an allocator that keeps what
 * it took (V8 raises its heap limits as a process warms up and gives pages back late, so RSS climbs in steps for
 * many minutes in a healthy process); memory that survives a full collection can. Without the variable it does
 * nothing.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryUsage } from 'node:process';

/** What a probed process wrote last: MB alive after a full collection, and its RSS then. */
export interface LiveMemory {
  readonly pid: number;
  readonly at: number;
  readonly heapUsedMb: number;
  /** Memory of C++ objects bound to JS objects (Buffers and ArrayBuffers included). */
  readonly externalMb: number;
  /** What V8 holds for its heap (used or not): the part of RSS that is V8's own. */
  readonly heapTotalMb: number;
  readonly rssMb: number;
  /** Whether a full collection ran first (the process was started with --expose-gc). */
  readonly collected: boolean;
}

export const PROBE_DIR_VARIABLE = 'BATON_MEMORY_PROBE_DIR';
const EVERY_MS = 10_000;

const dir = process.env[PROBE_DIR_VARIABLE];
if (dir) {
  const collect = (globalThis as { gc?: () => void }).gc;
  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    collect?.();
    const usage = memoryUsage();
    const mb = (bytes: number) => bytes / 1_048_576;
    const live: LiveMemory = {
      pid: process.pid,
      at: Date.now(),
      heapUsedMb: mb(usage.heapUsed),
      externalMb: mb(usage.external),
      heapTotalMb: mb(usage.heapTotal),
      rssMb: mb(usage.rss),
      collected: collect !== undefined,
    };
    try {
      // Whole or not at all: the reader never sees half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(live));
      renameSync(`${file}.tmp`, file);
    } catch {
      // The folder went away (the soak ended): nothing to report to.
    }
  };
  // The probe must not keep a process alive, nor change when it ends.
  setInterval(write, EVERY_MS).unref();
  write();
}
