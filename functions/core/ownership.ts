import type { InstanceState, Lease } from './instance.ts';

/**
 * Step ownership: who may act on an instance.
 *
 * A host acts on an instance only after a conditional write gave it the lease (free, expired, or its own).
 * Every write is also conditioned on the revision the host read, and increments it: the revision is the
 * fencing token. A host whose lease was taken over holds a stale revision, so it can never commit again,
 * however long it was paused and whatever its clock says.
 *
 * Clocks only decide *when* a lease may be taken over: `expiresAt` was computed on the owner's clock and is
 * compared with the taker's. A taker waits `MAX_CLOCK_SKEW_MS` beyond expiry, so an owner whose clock runs
 * up to that much behind the taker's still sees its full lease. Larger skew costs duplicated work (the
 * old owner's commit then fails on the revision), never a double commit.
 */
export const MAX_CLOCK_SKEW_MS = 1_000;

export interface LeaseConfig {
  readonly leaseMs: number;
  readonly maxClockSkewMs: number;
}

export const DEFAULT_LEASE: LeaseConfig = { leaseMs: 10_000, maxClockSkewMs: MAX_CLOCK_SKEW_MS };

/** A lease that expired before this instant may be taken over. */
export function takeoverBefore(now: number, config: LeaseConfig): number {
  return now - config.maxClockSkewMs;
}

/** Milliseconds until `hostId` may take the instance over, or 0 if it may act now. */
export function waitBeforeTakeover(state: InstanceState, hostId: string, now: number, config: LeaseConfig): number {
  const lease = state.lease;
  if (!lease || lease.owner === hostId) return 0;
  return Math.max(0, lease.expiresAt - takeoverBefore(now, config));
}

/**
 * Whether a lease this host holds is too close to its end to start an exclusive step under it. The step's first
 * heartbeat comes a third of a lease after it starts; with less than half a lease left (a slow dispatch, a pause)
 * another host could take over before that, so the host claims afresh: a fenced write that fails if one did.
 */
export function tooShortForExclusiveStep(lease: Lease | undefined, now: number, config: LeaseConfig): boolean {
  return lease === undefined || lease.expiresAt - now < config.leaseMs / 2;
}
