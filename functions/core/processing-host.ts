import { randomUUID } from 'node:crypto';
import { branchEnded, forkedBranches } from './branches.ts';
import { run, type RunResult } from './engine.ts';
import type { CompiledOrchestration } from './program.ts';
import { OwnershipLost } from './errors.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState } from './instance.ts';
import type { InboxEntry } from './message.ts';
import { takeoverBefore, tooShortForExclusiveStep, waitBeforeTakeover } from './ownership.ts';
import { traced, type IdSource, type WorkItem } from './ports.ts';
import { timerDueOf } from './due.ts';
import { Commits } from './host/commits.ts';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RUN_TIME_LIMIT_MS,
  FINISH,
  redoes,
  undispatched,
  type Delivery,
  type ProcessingHostDeps,
  type ProcessOutcome,
} from './host/deps.ts';
import { OutboxDispatcher } from './host/dispatcher.ts';
import { EagerRuns } from './host/eager.ts';
import { OperatorActions } from './host/operator-actions.ts';
import { takeLock } from './host/locks.ts';
import { keepUnread } from './host/unread.ts';
import { needsMark, WakeUps } from './host/wake-up.ts';

export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RUN_TIME_LIMIT_MS,
  FINISH,
  type Delivery,
  type ProcessingHostDeps,
  type ProcessOutcome,
} from './host/deps.ts';

/** What one handling of a work item carries from its wake-up to its last commit. */
interface Call {
  readonly item: WorkItem;
  /** This call's lease owner: the host instance's id and a random part. */
  readonly owner: string;
  /** The instance as last read or committed. */
  state: InstanceState;
  /** The inbox, once a receive or listen asked for it. */
  deliveries?: InboxEntry[];
  /** Messages this call already settled out of the inbox. */
  readonly settling: Set<string>;
  /** A join's branch instances, once read. */
  branches?: readonly InstanceState[];
  /** Locks of synchronized scopes this call took since its last commit, with the revision it took each at. */
  readonly locks: Map<string, number>;
  /** A lock this call found held by another since its last commit: the run waits for it. */
  blocked?: string;
  readonly inbox: () => Promise<InboxEntry[]>;
  readonly loadBranches: (joining: readonly string[]) => Promise<readonly InstanceState[]>;
  /** Where the work items its commits make for other instances may run at once (host/eager.ts). */
  readonly eager?: EagerRuns;
}

/** A run that moved nothing of a waiting instance (no shape, no effect, the same cursor): nothing to persist. */
function stillWaiting(state: InstanceState, result: RunResult): boolean {
  return (
    result.stop === 'waiting' &&
    state.status === InstanceStatus.Waiting &&
    result.shapesRun === 0 &&
    result.state.outbox.length === 0 &&
    JSON.stringify(result.state.cursor) === JSON.stringify(state.cursor)
  );
}

/**
 * The processing host: read the instance, run it to the next persistence point, commit in one conditional
 * write, dispatch the outbox, and go on while the instance has work.
 *
 * Pure steps run optimistically: the commit itself is the claim (conditioned on the revision read and on
 * the lease being free, expired, or ours), and nothing leaves the host before it succeeds. When the host
 * continues past a persistence point, that commit keeps the lease for the next step, so the claim rides on
 * it. Exclusive steps claim first and heartbeat the lease while they run.
 *
 * Its parts (host/): what a wake-up of an instance that is not running does (wake-up.ts), the writes (commits.ts),
 * the outbox's dispatch, one handler per entry kind (dispatcher.ts), the operator's actions (operator-actions.ts).
 */
export class ProcessingHost {
  readonly #deps: ProcessingHostDeps;
  readonly #newId: IdSource;
  readonly #commits: Commits;
  readonly #dispatcher: OutboxDispatcher;
  readonly #actions: OperatorActions;
  readonly #wakeUps: WakeUps;

  constructor(deps: ProcessingHostDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
    this.#commits = new Commits(deps);
    this.#dispatcher = new OutboxDispatcher(deps, this.#commits, (ids, reason) => this.#actions.cancel(ids, reason));
    this.#actions = new OperatorActions(deps, this.#commits, this.#dispatcher, this.#newId);
    this.#wakeUps = new WakeUps(deps, this.#commits, this.#dispatcher, this.#actions);
  }

  async process(item: WorkItem, delivery: Delivery): Promise<ProcessOutcome> {
    const eager = EagerRuns.for(this.#deps, delivery);
    let outcome: ProcessOutcome;
    try {
      outcome = await this.#process(item, delivery, eager);
    } catch (error) {
      // What its commits kept to run here goes through the queue, as it would have without eager execution.
      await eager?.release();
      throw error;
    }
    if (!eager || eager.pending.length === 0) return outcome;
    const more = await eager.run(delivery, (next, at) => this.#process(next, at, eager));
    return outcome.result === 'done' && more.length > 0 ? { ...outcome, eager: more } : outcome;
  }

  async #process(item: WorkItem, delivery: Delivery, eager: EagerRuns | undefined): Promise<ProcessOutcome> {
    try {
      // A first delivery may start from the state its work item carries; a redelivery reads afresh.
      return await this.#processOnce(
        item,
        delivery,
        delivery.receiveCount === 1 ? item.state : undefined,
        delivery.receiveCount === 1 ? item.branches : undefined,
        eager,
      );
    } catch (error) {
      if (!(error instanceof OwnershipLost)) throw error;
      // Another host committed first (or the hint was stale). Its run may not have seen what this work
      // item brings (a message delivered just before it dehydrated the instance): look again, once.
      return this.#processOnce(item, delivery, undefined, undefined, eager);
    }
  }

  async #processOnce(
    item: WorkItem,
    delivery: Delivery,
    hint: InstanceState | undefined,
    endedBranches: readonly InstanceState[] | undefined,
    eager: EagerRuns | undefined,
  ): Promise<ProcessOutcome> {
    const { store, hostId, registry } = this.#deps;
    // The lease belongs to this call, not to the host: two work items of one instance handled at once on
    // the same host (a batch runs its records concurrently) must not both think they hold it.
    const owner = `${hostId}/${this.#newId()}`;
    const state = hint ?? (await store.load(item.instanceId));
    if (!state) return { result: 'done', detail: 'no such instance', idle: true };
    const orchestration = registry.get(state.orchestration, state.version);
    const call: Call = {
      item,
      owner,
      state,
      settling: new Set(),
      locks: new Map(),
      // The join's branch instances: as the last one to end read them when they all ended, else from the store.
      loadBranches: async (joining) =>
        endedBranches && joining.every((id) => endedBranches.some((b) => b.instanceId === id && branchEnded(b)))
          ? endedBranches
          : this.#commits.loadAll(joining),
      // Read once, and only if a receive or listen asks for it (most runs never do).
      inbox: async () => (call.deliveries ??= await store.deliveries(call.state.instanceId)),
      eager,
    };
    const decided = await this.#wakeUps.decide(item, delivery, state, orchestration, call);
    if ('outcome' in decided) return decided.outcome;
    call.branches = decided.branches;
    // Sent again and recorded by the wake-up: what the run reads of the state says so.
    if (decided.dispatched) call.state = { ...state, dispatchedRevision: state.revision };
    if (!orchestration) {
      const wait = waitBeforeTakeover(state, call.owner, this.#deps.clock.now(), this.#deps.lease);
      if (wait > 0) return { result: 'retry', retryAfterMs: wait, detail: `leased by ${state.lease!.owner}` };
      return this.#actions.commitSuspended(
        state,
        `orchestration ${state.orchestration} version ${state.version} is not deployed on host ${hostId}`,
      );
    }
    return (await this.#beforeRun(call, delivery)) ?? this.#runToRest(call, orchestration, delivery);
  }

  /**
   * What is checked and done before a run: a live lease of another host (come back later), the runs counted on the
   * instance (past the limit, it is suspended), the previous commit's effects (sent again when they may not have gone).
   */
  async #beforeRun(call: Call, delivery: Delivery): Promise<ProcessOutcome | undefined> {
    const { store, clock, lease } = this.#deps;
    const { item, state } = call;
    const wait = waitBeforeTakeover(state, call.owner, clock.now(), lease);
    if (wait > 0) return { result: 'retry', retryAfterMs: wait, detail: `leased by ${state.lease!.owner}` };
    // A redelivery (or the sweeper's item, after one reached the DLQ) may follow a run that never ended: a step
    // that hung, ran out of memory or outlived the host's time limit reaches no catch. Count the runs on the
    // instance (batch-mates of a dying run and new work items share it), and past the limit suspend it, saying so.
    // A lease left behind (expired, or this call would have waited) is a run that ended without its last commit: a host
    // that died, or a step that hung until its heartbeat gave the lease up. It counts too, whatever the delivery says:
    // a busy instance's work item comes back as a new one (see the processing handler), so its receive count restarts.
    if (delivery.receiveCount > 1 || item.reason === 'sweep' || state.lease !== undefined) {
      const attempts = await store.countAttempt(state.instanceId, state.revision);
      const maxAttempts = this.#deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      if (attempts > maxAttempts) {
        const at = state.cursor.threads.find((t) => t.id === 'main')?.at;
        return this.#actions.commitSuspended(
          state,
          `no persistence point after ${attempts - 1} runs from revision ${state.revision} (at "${at}"): ` +
            "the step hangs, runs out of memory, outlives the host's time limit, or its effects keep failing",
        );
      }
    }
    // The previous commit's effects, unless recorded as dispatched: the host that made it may have died first.
    // A fork is the exception: its instance cannot leave the join before every branch exists, so the redelivery
    // of the forking host's work item is what re-dispatches it (see `needsMark`).
    if (undispatched(state) && (redoes(item, delivery) || needsMark(state))) {
      await this.#dispatcher.dispatch(state.outbox, state);
    }
    return undefined;
  }

  /** The claim–run–commit loop: runs the instance from persistence point to persistence point until it rests. */
  async #runToRest(call: Call, orchestration: CompiledOrchestration, delivery: Delivery): Promise<ProcessOutcome> {
    const { clock, lease, hostId } = this.#deps;
    const resumed =
      delivery.receiveCount > 1 || (call.state.lease !== undefined && !call.state.lease.owner.startsWith(`${hostId}/`));
    // Nothing of this run may hold the lease past this: the invocation's time limit, or the step time limit.
    const until = Math.min(
      delivery.deadline ?? Infinity,
      clock.now() + (this.#deps.runTimeLimitMs ?? DEFAULT_RUN_TIME_LIMIT_MS),
    );
    let holdsLease = false;
    let commits = 0;
    let shapes = 0;
    for (;;) {
      // The lease kept by the last commit may have run down while its outbox went out or its timer was armed:
      // pure steps run on without it (their commit is fenced), an exclusive step claims it again first.
      if (holdsLease && tooShortForExclusiveStep(call.state.lease, clock.now(), lease)) holdsLease = false;
      const result = await this.#runOnce(call, orchestration, holdsLease, until);
      const { state } = call;
      if (result.stop === 'needsLease') {
        const now = clock.now();
        call.state = await this.#commits.claim(
          { ...state, outbox: [] },
          { owner: call.owner, expiresAt: now + lease.leaseMs },
          takeoverBefore(clock.now(), lease),
        );
        holdsLease = true;
        continue;
      }
      if (result.stop === 'needsLock') {
        if (await takeLock(this.#deps, state, result.lock!)) call.locks.set(result.lock!, state.revision);
        else call.blocked = result.lock;
        continue;
      }
      // Still waiting, and nothing moved (a message it does not take yet, a branch that is not the last):
      // there is nothing to persist.
      if (commits === 0 && stillWaiting(state, result)) {
        return this.#wakeUps.rest(call.item, state, 'waiting; nothing it can take yet');
      }
      const continues = result.stop === 'checkpoint';
      const now = clock.now();
      const next: InstanceState = {
        ...result.state,
        revision: state.revision + 1,
        lastHost: hostId,
        failovers: state.failovers + (resumed && commits === 0 ? 1 : 0),
        lease: continues ? { owner: call.owner, expiresAt: now + lease.leaseMs } : undefined,
        updatedAt: now,
        commitId: this.#newId(),
      };
      try {
        await this.#commits.commit(next, state.revision, takeoverBefore(now, lease), call.owner);
      } catch (error) {
        // No answer (a timeout, a 5xx): the commit may have been applied, its duties not done. As below.
        if (!(error instanceof OwnershipLost)) await this.#finishLater(next);
        throw error;
      }
      commits++;
      call.eager?.remember(next);
      shapes += result.shapesRun;
      // What the call took is in the thread it committed now, or freed by that commit.
      call.locks.clear();
      call.blocked = undefined;
      await this.#afterCommit(call, next, orchestration, now);
      if (!continues)
        return {
          result: 'done',
          detail: `${next.status} after ${commits} persistence point(s)`,
          instance: next,
          shapes,
        };
      call.state = next;
      holdsLease = true;
    }
  }

  /** One run to the next persistence point, the lease renewed meanwhile when the run holds it. */
  async #runOnce(
    call: Call,
    orchestration: CompiledOrchestration,
    holdsLease: boolean,
    until: number,
  ): Promise<RunResult> {
    const { store, clock, registry } = this.#deps;
    const heartbeat = holdsLease
      ? this.#commits.heartbeat(
          call.owner,
          () => call.state,
          (s) => (call.state = s),
          until,
        )
      : undefined;
    try {
      const { state } = call;
      const joining = forkedBranches(orchestration, state);
      if (joining.length > 0) call.branches ??= await call.loadBranches(joining);
      const result = await run(
        orchestration,
        { ...state, outbox: [] },
        {
          now: clock.now,
          sleep: clock.sleep,
          holdsLease,
          fencingToken: state.revision,
          inbox: call.inbox,
          whole: (entry: InboxEntry) => store.delivery(call.state.instanceId, entry.messageId),
          settled: (messageIds: readonly string[]) => store.settled(call.state.instanceId, messageIds),
          branches: call.branches,
          locks: call.locks,
          blocked: call.blocked,
          schemas: registry,
        },
      );
      call.branches = undefined;
      return result;
    } finally {
      await heartbeat?.stop();
    }
  }

  /** A commit's duties: its effects, the messages it took out of the inbox, the dispatch mark, the timer, the unread. */
  async #afterCommit(
    call: Call,
    next: InstanceState,
    orchestration: CompiledOrchestration,
    now: number,
  ): Promise<void> {
    const { store } = this.#deps;
    try {
      if (next.outbox.length > 0) await this.#dispatcher.dispatch(next.outbox, next, call.eager);
      // Messages taken (known once the run read the inbox) leave it; the first consumed is the activating message.
      if (call.deliveries !== undefined) {
        const taken = next.consumed.slice(next.branchOf ? 0 : 1).filter((id) => !call.settling.has(id));
        if (taken.length > 0) await store.settle(next.instanceId, taken, now);
        for (const id of taken) call.settling.add(id);
      }
      // A dehydrated instance is woken by a new work item, and a suspended one resumed, neither of which can tell
      // whether this outbox went out: record it (one small write, at such points with effects only). Finished
      // instances need none.
      const resting = next.status === InstanceStatus.Waiting || next.status === InstanceStatus.Suspended;
      if (resting && next.outbox.length > 0 && needsMark(next)) {
        await store.markDispatched(next.instanceId, next.revision);
        // What a later run of this invocation starts from says so too, or it would send the outbox again.
        call.eager?.remember({ ...next, dispatchedRevision: next.revision });
      }
      // A crash before this leaves a waiting instance with a due timer and no work item: the sweeper finds it.
      const timerDue = timerDueOf(next);
      if (timerDue !== undefined) await this.#dispatcher.armTimer(next.instanceId, timerDue, next.trace);
      if (TERMINAL_STATUSES.has(next.status)) await keepUnread(store, next, orchestration);
    } catch (error) {
      await this.#finishLater(next);
      throw error;
    }
  }

  /**
   * What follows a commit failed: its work item is the usual way back (SQS brings it again), but a copy of it that SQS
   * gave another host at the same time may be deleted by that host meanwhile. A work item of this run's own finishes
   * the commit's duties then (re-sent under the same ids), whichever comes. Best effort: the queue may be what failed.
   */
  async #finishLater(state: InstanceState): Promise<void> {
    await this.#deps.workQueue
      .enqueue([{ instanceId: state.instanceId, reason: FINISH, ...traced(state) }])
      .catch(() => undefined);
  }

  /** See OperatorActions.resume. */
  resume(instanceId: string): Promise<InstanceState> {
    return this.#actions.resume(instanceId);
  }

  /** See OperatorActions.terminate. */
  terminate(instanceId: string, reason: string): Promise<InstanceState> {
    return this.#actions.terminate(instanceId, reason);
  }

  /** See OperatorActions.suspend. */
  suspend(item: WorkItem, reason: string): Promise<ProcessOutcome | undefined> {
    return this.#actions.suspend(item, reason);
  }
}
