import { OwnershipLost } from '../errors.ts';
import type { InstanceState, Lease } from '../instance.ts';
import { takeoverBefore } from '../ownership.ts';
import type { ProcessingHostDeps } from './deps.ts';

/**
 * The processing host's writes of an instance: a commit and a claim, each resolving the case where it was applied but
 * its reply was lost, and the heartbeat that renews a claim while an exclusive step runs.
 */
export class Commits {
  readonly #deps: ProcessingHostDeps;

  constructor(deps: ProcessingHostDeps) {
    this.#deps = deps;
  }

  /**
   * Commits, resolving the ambiguous case: the write was applied but its reply was lost, the SDK retried,
   * and the retry failed its condition because the revision had already moved on, by this very write.
   * Treating that as a loss would drop the work item with the outbox never dispatched.
   */
  async commit(
    next: InstanceState,
    expectedRevision: number,
    before: number,
    owner = this.#deps.hostId,
  ): Promise<void> {
    const { store } = this.#deps;
    try {
      await store.commit(next, expectedRevision, owner, before);
    } catch (error) {
      if (!(error instanceof OwnershipLost)) throw error;
      const stored = await store.load(next.instanceId);
      if (stored?.revision === next.revision && stored.commitId === next.commitId) return;
      throw error;
    }
  }

  /**
   * Claims, resolving the ambiguous case as `commit` does: the claim was applied but its reply was lost, and the
   * SDK's retry failed its condition because the revision had moved on, by this very claim. The owner is unique to
   * this call, so a stored lease that is exactly the one asked for, one revision on, is this claim.
   */
  async claim(state: InstanceState, wanted: Lease, before: number): Promise<InstanceState> {
    const { store } = this.#deps;
    try {
      return await store.claim(state, wanted, before);
    } catch (error) {
      if (!(error instanceof OwnershipLost)) throw error;
      const stored = await store.load(state.instanceId);
      if (
        stored?.revision === state.revision + 1 &&
        stored.lease?.owner === wanted.owner &&
        stored.lease.expiresAt === wanted.expiresAt
      ) {
        return { ...state, lease: wanted, revision: stored.revision };
      }
      throw error;
    }
  }

  /**
   * Extends the lease every third of its length while a step runs under it; each extension is a fenced write. Not past
   * `until` (the run's time limit): a step still running then has hung, and its lease must run out so that another host
   * instance can take the instance over and count the run (see `maxAttempts`), whatever this process still does.
   */
  heartbeat(
    owner: string,
    get: () => InstanceState,
    set: (state: InstanceState) => void,
    until: number,
  ): { stop(): Promise<void> } {
    const { clock, lease } = this.#deps;
    const period = Math.max(1, Math.floor(lease.leaseMs / 3));
    let inFlight: Promise<void> = Promise.resolve();
    let failure: unknown;
    let stopped = false;
    const beat = () => {
      inFlight = (async () => {
        const now = clock.now();
        if (stopped || now >= until) return;
        try {
          set(
            await this.claim(
              get(),
              { owner, expiresAt: Math.min(now + lease.leaseMs, until) },
              takeoverBefore(now, lease),
            ),
          );
        } catch (error) {
          // A lost heartbeat means another host took over: no point in renewing again.
          failure = error;
          return;
        }
        if (!stopped) cancel = clock.after(period, beat);
      })();
    };
    let cancel = clock.after(period, beat);
    return {
      async stop() {
        stopped = true;
        cancel();
        await inFlight;
        // Another host took over: this host's commit would fail anyway; say so now.
        if (failure instanceof OwnershipLost) throw failure;
      },
    };
  }

  async loadAll(instanceIds: readonly string[]): Promise<InstanceState[]> {
    const found = await Promise.all(instanceIds.map((id) => this.#deps.store.load(id)));
    return found.filter((s): s is InstanceState => s !== undefined);
  }
}
