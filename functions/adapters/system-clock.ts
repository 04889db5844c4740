import type { Clock } from '../core/ports.ts';

/** The host's wall clock. Leases compare it across hosts; see core/ownership.ts for the skew tolerated. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
