import type { Clock } from '../core/ports.ts';

/** The host's wall clock. Leases compare it across hosts; see core/ownership.ts for the skew tolerated. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  after: (ms, fire) => {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * A wall clock off by `offsetMs` (positive: ahead). For chaos runs, which prove that skew beyond what leases
 * tolerate costs refused work, never a double commit.
 */
export function skewedClock(offsetMs: number): Clock {
  if (offsetMs === 0) return systemClock;
  return { ...systemClock, now: () => Date.now() + offsetMs };
}
