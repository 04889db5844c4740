import { branchEnded } from '../branches.ts';
import type { InstanceState } from '../instance.ts';
import type { WorkItem } from '../ports.ts';
import { EAGER_REASONS, type Delivery, type ProcessingHostDeps, type ProcessOutcome } from './deps.ts';

/**
 * Eager execution (`ProcessingHostDeps.eager`): the work items one handled work item's runs made for other instances
 * (a fork's branch instances, the join the last of them wakes, an orchestration a Start shape begins), kept to run in
 * the same invocation instead of going through the work queue, within a budget shared by every run it leads to.
 */
export class EagerRuns {
  readonly pending: WorkItem[] = [];
  readonly #deps: ProcessingHostDeps;
  /** What the runs of this invocation last committed of each instance they ran: what a later run here reads first. */
  readonly #committed = new Map<string, InstanceState>();
  #room: number;

  private constructor(deps: ProcessingHostDeps, room: number) {
    this.#deps = deps;
    this.#room = room;
  }

  /** The eager runs of one work item's handling, when the host runs any and the invocation has time for them. */
  static for(deps: ProcessingHostDeps, delivery: Delivery): EagerRuns | undefined {
    return deps.eager && hasTime(deps, delivery) ? new EagerRuns(deps, deps.eager.items) : undefined;
  }

  /** Keeps what it may run (due now, of a kind it runs, while room is left); returns the rest, for the work queue. */
  readonly offer = (items: readonly WorkItem[]): readonly WorkItem[] => {
    const rest: WorkItem[] = [];
    for (const item of items) {
      if (this.#room > 0 && EAGER_REASONS.has(item.reason) && !item.delaySeconds) {
        this.pending.push(item);
        this.#room--;
      } else rest.push(item);
    }
    return rest;
  };

  /** Sends what it kept through the work queue (the work item that kept them failed). */
  async release(): Promise<void> {
    const kept = this.pending.splice(0);
    if (kept.length > 0) await this.#deps.workQueue.enqueue(kept).catch(() => undefined);
  }

  /** Records what a run of this invocation committed. */
  remember(state: InstanceState): void {
    this.#committed.set(state.instanceId, state);
  }

  /**
   * A branch instance this invocation saw end, as it ended: an ended branch does not change, so a sibling's join check
   * need not read it again.
   */
  readonly ended = (instanceId: string): InstanceState | undefined => {
    const state = this.#committed.get(instanceId);
    return branchEnded(state) ? state : undefined;
  };

  /**
   * Runs what was kept, those kept together at once (a fork's branches), then what they kept in turn, each as a first
   * delivery. One that cannot run here (no time left, another host's lease, a failure) goes through the work queue as
   * it would have without eager execution; should that send fail too, it is a lost work item, found as one is (its
   * join's watch, its due time).
   */
  async run(
    delivery: Delivery,
    process: (item: WorkItem, delivery: Delivery) => Promise<ProcessOutcome>,
  ): Promise<ProcessOutcome[]> {
    const outcomes: ProcessOutcome[] = [];
    const queue = (items: readonly WorkItem[]) => this.#deps.workQueue.enqueue(items).catch(() => undefined);
    while (this.pending.length > 0) {
      const round = this.pending.splice(0);
      if (!hasTime(this.#deps, delivery)) {
        await queue(round);
        break;
      }
      const ran = await Promise.all(
        round.map(async (item): Promise<ProcessOutcome[]> => {
          try {
            // An item that carries no state (a join's wake-up) starts from what this invocation last committed of its
            // instance, as a hint: never trusted, a commit from it is conditioned on its revision like any other.
            const hinted = item.state ? item : { ...item, state: this.#committed.get(item.instanceId) };
            const at = { receiveCount: 1, deadline: delivery.deadline };
            // A run from that hint that finds nothing to do wrote nothing that a newer state would have refused:
            // the instance may have moved on elsewhere (a message taken, a new receive). It looks again, reading.
            const run = async () => {
              const first = await process(hinted, at);
              const fromHint = hinted !== item && hinted.state !== undefined;
              return fromHint && first.result === 'done' && first.idle ? process(item, at) : first;
            };
            const around = this.#deps.eager?.around;
            const outcome = await (around ? around(item, run) : run());
            if (outcome.result === 'retry')
              await queue([{ ...item, delaySeconds: Math.ceil(outcome.retryAfterMs / 1000) }]);
            return [outcome];
          } catch {
            await queue([item]);
            return [];
          }
        }),
      );
      outcomes.push(...ran.flat());
    }
    return outcomes;
  }
}

/** Whether an invocation has time for more runs. */
function hasTime(deps: ProcessingHostDeps, delivery: Delivery): boolean {
  return delivery.deadline === undefined || delivery.deadline > deps.clock.now() + (deps.eager?.minRemainingMs ?? 0);
}
