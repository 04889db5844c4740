import { resolve } from 'node:path';
import { PROBE_DIR_VARIABLE } from './memory-probe.ts';

/**
 * Node flags of the local cluster's processes (`npm start`'s own, in package.json, and each host instance's).
 * V8 sizes its young generation by the machine's memory: on this 24 GB machine it grew to 128 MB in `npm start`
 * and in every host instance, resident for good. Capped at 8 MB a semi-space, `npm start` under the soak's load
 * sits about 110 MB lower and a host instance at about 176 MB instead of 272, for more frequent young collections
 * (docs/benchmarks.md, "Soak").
 */
export const LOCAL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** The flags that load the soak's memory probe (memory-probe.ts), for a process it measures. */
export const MEMORY_PROBE_FLAGS: readonly string[] = [
  '--expose-gc',
  '--import',
  resolve(import.meta.dirname, 'memory-probe.ts'),
];

/** A host instance's flags: with the memory probe when the soak asked for it (it set the probe's folder). */
export function hostNodeFlags(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  return env[PROBE_DIR_VARIABLE] ? [...LOCAL_NODE_FLAGS, ...MEMORY_PROBE_FLAGS] : LOCAL_NODE_FLAGS;
}
