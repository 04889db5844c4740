import { randomUUID } from 'node:crypto';
import { activateOrDeliver, NoTaker } from './activation.ts';
import { atJoin, FORKED_BRANCHES_KEPT_MS, JOIN_CHECK, nextJoinCheck, timerDueOf } from './due.ts';
import { branchEnded, forkedBranches, wakeJoin as joinWakeUp } from './branches.ts';
import { run } from './engine.ts';
import {
  InstanceNotFound,
  InvalidMessage,
  InvalidTransition,
  OwnershipLost,
  UnknownOrchestration,
  boundReason,
  describeError,
} from './errors.ts';
import {
  InstanceStatus,
  TERMINAL_STATUSES,
  type InstanceState,
  type JoinEntry,
  type Lease,
  type OutboxEntry,
} from './instance.ts';
import { takeoverBefore, tooShortForExclusiveStep, waitBeforeTakeover, type LeaseConfig } from './ownership.ts';
import {
  MAX_DELAY_SECONDS,
  MAX_HINT_BYTES,
  traced,
  workItem,
  type Clock,
  type IdSource,
  type InstanceStore,
  type SendPort,
  type TimerScheduler,
  type WorkItem,
  type WorkQueue,
} from './ports.ts';
import { bodyLeft, type InboxEntry } from './message.ts';
import type { OrchestrationRegistry } from './registry.ts';
import { TRACE_ATTRIBUTE } from './trace.ts';
import type { CompiledOrchestration } from './definition.ts';

export interface Delivery {
  /** How many times the transport delivered this work item (SQS ApproximateReceiveCount). */
  readonly receiveCount: number;
  /**
   * When the run must be over, on the host's clock (a Lambda invocation's time limit): an exclusive step's lease is
   * not renewed past it, since nothing of this run may act after it. @default the start plus `runTimeLimitMs`
   */
  readonly deadline?: number;
}

export type ProcessOutcome =
  | {
      readonly result: 'done';
      readonly detail: string;
      readonly instance?: InstanceState;
      /** Shapes this call ran and persisted (what a state machine would count as state transitions). */
      readonly shapes?: number;
      /**
       * The work item found nothing to do: no step, no effect, no write (a wake-up for an instance that had already
       * moved on, a join with branches still running, an inbox with nothing it takes). A sweep that looks after a
       * join is not idle: it is that join's watch.
       */
      readonly idle?: boolean;
    }
  /** Another host holds a live lease: redeliver after this long. */
  | { readonly result: 'retry'; readonly retryAfterMs: number; readonly detail: string };

export interface ProcessingHostDeps {
  readonly registry: OrchestrationRegistry;
  readonly store: InstanceStore;
  readonly sendPort: SendPort;
  /** The host's own work queue: durable timers are delayed work items on it. */
  readonly workQueue: WorkQueue;
  /** For timers beyond SQS's 15-minute delay (Step Functions on AWS); without it they hop on SQS. */
  readonly timers?: TimerScheduler;
  readonly clock: Clock;
  readonly lease: LeaseConfig;
  /** This host instance's identity, as recorded in leases. */
  readonly hostId: string;
  /**
   * Runs from one persistence point that redelivered work items may start before the instance is suspended
   * instead (see `InstanceState.attempts`). @default DEFAULT_MAX_ATTEMPTS
   */
  readonly maxAttempts?: number;
  /**
   * How long one run (the handling of one work item) may keep an exclusive step's lease by its heartbeat. A step that
   * hangs past it lets the lease run out, so another host instance takes the instance over and counts the run (see `maxAttempts`), rather than a hung
   * process holding it for as long as it lives. @default DEFAULT_RUN_TIME_LIMIT_MS
   */
  readonly runTimeLimitMs?: number;
  /** Random ids (lease owners, commit ids). @default randomUUID */
  readonly newId?: IdSource;
}

/**
 * The reason of a work item a run enqueues for itself when what follows its commit failed (dispatch, settling, the
 * timer, the inbox of an ended instance): it does those again, as a redelivery would.
 */
export const FINISH = 'finish';

/**
 * Whether a work item does again what followed the last commit (its dispatch, a finished instance's inbox): a redelivery
 * does (the run before it may have died after its commit), so do an item that stands for one (a busy instance's
 * redelivered item comes back as a new one) and a run's own `finish` item. A first delivery does not: re-sending would
 * duplicate what a run that ended well already sent.
 */
function redoes(item: WorkItem, delivery: Delivery): boolean {
  return delivery.receiveCount > 1 || item.redelivery === true || item.reason === FINISH;
}

/** A Lambda invocation lasts at most 15 minutes: no run outlives that on AWS. */
export const DEFAULT_RUN_TIME_LIMIT_MS = 15 * 60_000;

/** Below the work queue's receive limit, so a step that hangs is suspended before its work item reaches the DLQ. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Whether messages are ever delivered to a running instance of it (a receive after the first, or a listen); asked once per definition. */
const followsMessages = new WeakMap<CompiledOrchestration, boolean>();
function takesLaterMessages(orchestration: CompiledOrchestration): boolean {
  let answer = followsMessages.get(orchestration);
  if (answer === undefined) {
    answer = [...orchestration.shapes.values()].some(
      (shape) => (shape.kind === 'receive' && !shape.activate) || shape.kind === 'listen',
    );
    followsMessages.set(orchestration, answer);
  }
  return answer;
}

/**
 * The processing host: read the instance, run it to the next persistence point, commit in one conditional
 * write, dispatch the outbox, and go on while the instance has work.
 *
 * Pure steps run optimistically: the commit itself is the claim (conditioned on the revision read and on
 * the lease being free, expired, or ours), and nothing leaves the host before it succeeds. When the host
 * continues past a persistence point, that commit keeps the lease for the next step, so the claim rides on
 * it. Exclusive steps claim first and heartbeat the lease while they run.
 */
export class ProcessingHost {
  readonly #deps: ProcessingHostDeps;
  readonly #newId: IdSource;

  constructor(deps: ProcessingHostDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
  }

  async process(item: WorkItem, delivery: Delivery): Promise<ProcessOutcome> {
    try {
      // A first delivery may start from the state its work item carries; a redelivery reads afresh.
      return await this.#processOnce(
        item,
        delivery,
        delivery.receiveCount === 1 ? item.state : undefined,
        delivery.receiveCount === 1 ? item.branches : undefined,
      );
    } catch (error) {
      if (!(error instanceof OwnershipLost)) throw error;
      // Another host committed first (or the hint was stale). Its run may not have seen what this work
      // item brings (a message delivered just before it dehydrated the instance): look again, once.
      return this.#processOnce(item, delivery, undefined);
    }
  }

  async #processOnce(
    item: WorkItem,
    delivery: Delivery,
    hint: InstanceState | undefined,
    endedBranches?: readonly InstanceState[],
  ): Promise<ProcessOutcome> {
    const { store, clock, lease, hostId, registry } = this.#deps;
    // The lease belongs to this call, not to the host: two work items of one instance handled at once on
    // the same host (a batch runs its records concurrently) must not both think they hold it.
    const owner = `${hostId}/${this.#newId()}`;
    let state = hint ?? (await store.load(item.instanceId));
    if (!state) return { result: 'done', detail: 'no such instance', idle: true };
    const orchestration = registry.get(state.orchestration, state.version);

    // Read once, and only if a receive or listen asks for it (most runs never do).
    let deliveries: InboxEntry[] | undefined;
    const inbox = async () => (deliveries ??= await store.deliveries(state!.instanceId));
    const whole = (entry: InboxEntry) => store.delivery(state!.instanceId, entry.messageId);
    const settled = (messageIds: readonly string[]) => store.settled(state!.instanceId, messageIds);
    const settling = new Set<string>();
    let branches: readonly InstanceState[] | undefined;
    // The join's branch instances: as the last one to end read them when they all ended, else from the store.
    const loadBranches = async (joining: readonly string[]) =>
      endedBranches && joining.every((id) => endedBranches.some((b) => b.instanceId === id && branchEnded(b)))
        ? endedBranches
        : this.#loadAll(joining);

    if (state.status === InstanceStatus.Waiting) {
      // Its host died between commit and dispatch: its work item comes back and sends the outbox now.
      const timerDue = timerDueOf(state);
      const timerFired = timerDue !== undefined && timerDue <= clock.now();
      if (redoes(item, delivery)) {
        // The host that dehydrated it may have died before its effects: send them, arm the timer again.
        if (state.outbox.length > 0 && state.dispatchedRevision !== state.revision) {
          await this.#dispatch(state.outbox, state);
          await store.markDispatched(state.instanceId, state.revision);
        }
        // A timer hop that comes back arms its next hop below, once: arming it here too would start a second chain.
        if (timerDue !== undefined && !timerFired && item.reason !== 'timer')
          await this.#armTimer(state.instanceId, timerDue, state.trace);
      }
      if (!timerFired) {
        if (timerDue !== undefined && item.reason === 'timer') {
          // A timer further out than SQS's longest delay arrives early: send it on its next hop.
          await this.#armTimer(state.instanceId, timerDue, state.trace);
          return { result: 'done', detail: 'timer hop', instance: state };
        }
        if (atJoin(state)) {
          // At a join: nothing to do until every branch instance ended (the last one to end wakes it again). Without
          // its definition its branches cannot be named: it waits, watched all the same.
          const joining = orchestration ? forkedBranches(orchestration, state) : [];
          if (orchestration) branches = await loadBranches(joining);
          if (!orchestration || branches!.length < joining.length || !branches!.every(branchEnded)) {
            if (item.reason === 'sweep') await this.#tendJoin(state, orchestration, branches);
            const detail = orchestration
              ? 'waiting for its parallel branches'
              : `waiting at a join of ${state.orchestration} version ${state.version}, which is not deployed on host ${hostId}`;
            return { result: 'done', detail, instance: state, idle: item.reason !== 'sweep' };
          }
        } else {
          const consumed = new Set(state.consumed ?? []);
          const fresh = (m: InboxEntry) =>
            !consumed.has(m.messageId) && (m.incarnation === undefined || m.incarnation === state!.createdAt);
          if (!(await inbox()).some(fresh)) return this.#rest(item, state, 'waiting; nothing new in its inbox');
        }
      }
    } else if (state.status === InstanceStatus.Suspended && item.reason === 'sweep' && atJoin(state)) {
      // Suspended at a join, its branches still need watching: those that ended must not expire before it resumes.
      await this.#tendJoin(state, orchestration);
      return { result: 'done', detail: 'instance is suspended at a join', instance: state };
    } else if (state.status !== InstanceStatus.Running) {
      // The last commit's effects may not have gone out if the host that made it died before dispatching.
      // Its work item then comes back as a redelivery, and that redelivery re-dispatches (same ids). A
      // first delivery (a duplicate enqueued by a redelivered receive or by the sweeper) leaves it alone.
      if (redoes(item, delivery)) {
        if (state.outbox.length > 0) await this.#dispatch(state.outbox, state);
        if (orchestration && TERMINAL_STATUSES.has(state.status)) await this.#keepUnread(state, orchestration);
      }
      return { result: 'done', detail: `instance is ${state.status}`, instance: state, idle: !redoes(item, delivery) };
    }

    const wait = waitBeforeTakeover(state, owner, clock.now(), lease);
    if (wait > 0) return { result: 'retry', retryAfterMs: wait, detail: `leased by ${state.lease!.owner}` };

    const resumed =
      delivery.receiveCount > 1 || (state.lease !== undefined && !state.lease.owner.startsWith(`${hostId}/`));
    if (!orchestration) {
      return this.#commitSuspended(
        state,
        `orchestration ${state.orchestration} version ${state.version} is not deployed on host ${hostId}`,
      );
    }
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
        return this.#commitSuspended(
          state,
          `no persistence point after ${attempts - 1} runs from revision ${state.revision} (at "${at}"): ` +
            "the step hangs, runs out of memory, outlives the host's time limit, or its effects keep failing",
        );
      }
    }

    // The previous commit's effects, unless recorded as dispatched: the host that made it may have died first.
    // A fork is the exception: its instance cannot leave the join before every branch exists, so the redelivery
    // of the forking host's work item is what re-dispatches it (see `#needsMark`).
    if (
      state.outbox.length > 0 &&
      state.dispatchedRevision !== state.revision &&
      (redoes(item, delivery) || this.#needsMark(state))
    ) {
      await this.#dispatch(state.outbox, state);
    }

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
      if (holdsLease && tooShortForExclusiveStep(state.lease, clock.now(), lease)) holdsLease = false;
      const heartbeat = holdsLease
        ? this.#heartbeat(
            owner,
            () => state!,
            (s) => (state = s),
            until,
          )
        : undefined;
      let result;
      try {
        const joining = forkedBranches(orchestration, state);
        if (joining.length > 0) branches ??= await loadBranches(joining);
        result = await run(
          orchestration,
          { ...state, outbox: [] },
          {
            now: clock.now,
            sleep: clock.sleep,
            holdsLease,
            fencingToken: state.revision,
            inbox,
            whole,
            settled,
            branches,
            schemas: registry,
          },
        );
        branches = undefined;
      } finally {
        await heartbeat?.stop();
      }
      if (result.stop === 'needsLease') {
        state = await this.#claim(
          { ...state, outbox: [] },
          { owner, expiresAt: clock.now() + lease.leaseMs },
          takeoverBefore(clock.now(), lease),
        );
        holdsLease = true;
        continue;
      }
      // Still waiting, and nothing moved (a message it does not take yet, a branch that is not the last):
      // there is nothing to persist.
      if (
        result.stop === 'waiting' &&
        state.status === InstanceStatus.Waiting &&
        result.shapesRun === 0 &&
        result.state.outbox.length === 0 &&
        JSON.stringify(result.state.cursor) === JSON.stringify(state.cursor) &&
        commits === 0
      ) {
        return this.#rest(item, state, 'waiting; nothing it can take yet');
      }
      const continues = result.stop === 'checkpoint';
      const now = clock.now();
      const next: InstanceState = {
        ...result.state,
        revision: state.revision + 1,
        lastHost: hostId,
        failovers: state.failovers + (resumed && commits === 0 ? 1 : 0),
        lease: continues ? { owner, expiresAt: now + lease.leaseMs } : undefined,
        updatedAt: now,
        commitId: this.#newId(),
      };
      try {
        await this.#commit(next, state.revision, takeoverBefore(now, lease), owner);
      } catch (error) {
        // No answer (a timeout, a 5xx): the commit may have been applied, its duties not done. As below.
        if (!(error instanceof OwnershipLost)) await this.#finishLater(next);
        throw error;
      }
      commits++;
      shapes += result.shapesRun;
      try {
        if (next.outbox.length > 0) await this.#dispatch(next.outbox, next);
        // Messages taken (known once the run read the inbox) leave it; the first consumed is the activating message.
        if (deliveries !== undefined) {
          const taken = next.consumed.slice(next.branchOf ? 0 : 1).filter((id) => !settling.has(id));
          if (taken.length > 0) await store.settle(next.instanceId, taken, now);
          taken.forEach((id) => settling.add(id));
        }
        // A dehydrated instance is woken by a new work item, which cannot tell whether this outbox went out:
        // record it (one small write, at dehydration points with effects only). Finished instances need none.
        if (next.status === InstanceStatus.Waiting && next.outbox.length > 0 && this.#needsMark(next))
          await store.markDispatched(next.instanceId, next.revision);
        // A crash before this leaves a waiting instance with a due timer and no work item: the sweeper finds it.
        const timerDue = timerDueOf(next);
        if (timerDue !== undefined) await this.#armTimer(next.instanceId, timerDue, next.trace);
        if (TERMINAL_STATUSES.has(next.status)) await this.#keepUnread(next, orchestration);
      } catch (error) {
        await this.#finishLater(next);
        throw error;
      }
      if (!continues)
        return {
          result: 'done',
          detail: `${next.status} after ${commits} persistence point(s)`,
          instance: next,
          shapes,
        };
      state = next;
      holdsLease = true;
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

  /**
   * A waiting instance woken by the sweeper (a delivery marked it due) had nothing to take: nothing is due for it
   * before its timer, if it has one. Other wake-ups write nothing: the mark, if any, goes at the next sweep.
   */
  async #rest(item: WorkItem, state: InstanceState, detail: string): Promise<ProcessOutcome> {
    if (item.reason === 'sweep') await this.#deps.store.rest(state.instanceId, state.revision, timerDueOf(state));
    return { result: 'done', detail, instance: state, idle: true };
  }

  /**
   * The sweeper woke a join that still waits: its branch instances carry no due time of their own, so it looks after
   * them. Those that ended get a fresh retention (a join can wait longer than the retention: they must still be there
   * when it joins); a running one may have lost its work item (a purged queue), so it gets one (a host with a live lease
   * on it answers "busy"); a branch that was never created (the fork's work item lost before it went out) is forked
   * again (creating is idempotent). Then the join rests for as long again as it has waited (core/due.ts). Without the
   * join's definition its branches cannot be named: it only rests, keeping its watch.
   */
  async #tendJoin(
    state: InstanceState,
    orchestration: CompiledOrchestration | undefined,
    loaded?: readonly InstanceState[],
  ): Promise<void> {
    const { store, workQueue, clock } = this.#deps;
    const now = clock.now();
    if (orchestration) {
      const joining = forkedBranches(orchestration, state);
      const branches = loaded ?? (await this.#loadAll(joining));
      const ended = branches.filter(branchEnded).map((b) => b.instanceId);
      if (ended.length > 0) await store.retire(ended, now);
      if (branches.length < joining.length) {
        // Never created (the fork's work item lost before it went out): fork it again, creating is idempotent. Past the
        // time a branch that ended is surely kept, it may have expired instead: running it again could repeat what it
        // did, so the join is suspended with the reason, for an operator.
        if (now - state.updatedAt < FORKED_BRANCHES_KEPT_MS)
          await this.#dispatch(
            state.outbox.filter((e) => e.kind === 'fork'),
            state,
          );
        else if (state.status !== InstanceStatus.Suspended) {
          const missing = joining.filter((id) => !branches.some((b) => b.instanceId === id));
          await this.#commitSuspended(
            state,
            `branch instance(s) ${missing.join(', ')} of its join are missing ${Math.round((now - state.updatedAt) / 86_400_000)} days after the fork: not created, or expired while nothing watched the join`,
          );
          return;
        }
      }
      const running = branches
        .filter((b) => b.status === InstanceStatus.Running)
        .map((b) => ({ instanceId: b.instanceId, reason: 'sweep', ...traced(b) }));
      if (running.length > 0) await workQueue.enqueue(running);
    }
    await store.rest(state.instanceId, state.revision, nextJoinCheck(state, now));
  }

  /**
   * A branch of a fork made before 0.3 ended before its siblings: its join must be watched (core/due.ts) while it
   * waits, and that version gave a join no due time. It is given one now, so a branch that ended is not let expire,
   * nor a lost last wake-up left unseen. (A join forked since is watched from the fork: see `BranchOf.watched`.)
   */
  async #watchJoin(instanceId: string): Promise<void> {
    const { store, clock } = this.#deps;
    const join = await store.dueOf(instanceId);
    if (join && !join.due && (join.status === InstanceStatus.Waiting || join.status === InstanceStatus.Suspended)) {
      await store.rest(instanceId, join.revision, clock.now() + JOIN_CHECK.minMs);
    }
  }

  /** Joins this host sent a last-branch wake-up for lately, by join (instance and fork), when. */
  readonly #wokenJoins = new Map<string, number>();

  #forgetWake(instanceId: string): void {
    for (const key of this.#wokenJoins.keys()) if (key.startsWith(`${instanceId} `)) this.#wokenJoins.delete(key);
  }

  /** Whether this is the first wake-up of its join this host sends (within a minute; older ones are forgotten). */
  #firstWake(entry: JoinEntry): boolean {
    const now = this.#deps.clock.now();
    for (const [key, at] of this.#wokenJoins) if (at < now - 60_000) this.#wokenJoins.delete(key);
    const key = `${entry.instanceId} ${entry.fork}`;
    if (this.#wokenJoins.has(key)) return false;
    this.#wokenJoins.set(key, now);
    return true;
  }

  /**
   * Whether a waiting instance's outbox must be recorded as dispatched. Not when it forks: such an instance
   * waits at its join until every branch instance exists and ended, so no other host can move it on (and
   * replace that outbox) before the forking host's redelivered work item re-dispatches it. Sends in the same
   * outbox go out before the forks, so they are covered too.
   */
  #needsMark(state: InstanceState): boolean {
    return !state.outbox.some((e) => e.kind === 'fork');
  }

  /**
   * Messages delivered to an instance that ended without taking them (BizTalk's "completed with discarded
   * messages") become suspended messages, visible with their reason and body, and its inbox is emptied: nothing is
   * left there to outlive the instance (a copy of a message it took whose removal did not happen, a message for an
   * earlier instance of the same id). Idempotent (one record per message id), so a redelivery may do it again; a
   * message is kept before its inbox copy goes. Without the definition (an operator's terminate) the inbox is read
   * anyway: skipping that read is a saving only the definition allows (one that takes no later message).
   */
  async #keepUnread(state: InstanceState, orchestration: CompiledOrchestration | undefined): Promise<void> {
    const { store } = this.#deps;
    // A branch instance takes no message (the definition forbids receives in a branch), so none is ever delivered to it.
    if (state.branchOf || (orchestration && !takesLaterMessages(orchestration))) return;
    const inbox = await store.deliveries(state.instanceId);
    if (inbox.length === 0) return;
    const consumed = new Set(state.consumed);
    const candidates = inbox.filter((m) => !consumed.has(m.messageId));
    // A copy SQS brought back of a message the instance took and settled is not unread.
    const settled =
      candidates.length > 0
        ? await store.settled(
            state.instanceId,
            candidates.map((m) => m.messageId),
          )
        : new Set<string>();
    for (const entry of candidates.filter((m) => !settled.has(m.messageId))) {
      // A large one was listed without its body: the record keeps it whole. Gone meanwhile: another host kept it.
      const message = bodyLeft(entry) ? await store.delivery(state.instanceId, entry.messageId) : entry;
      if (!message) continue;
      const earlier = message.incarnation !== undefined && message.incarnation !== state.createdAt;
      await store.putSuspendedMessage({
        messageId: message.messageId,
        reason: earlier
          ? `delivered to an earlier ${state.orchestration} instance under the id ${state.instanceId}, which ended without taking it`
          : `delivered to ${state.instanceId} (${state.orchestration} version ${state.version}), which ended ${state.status} without taking it`,
        body: JSON.stringify(message.body) ?? 'null',
        attributes: { ...message.properties, MessageType: message.messageType },
        receivedAt: message.receivedAt,
        source: `inbox of ${state.instanceId}`,
      });
    }
    await store.discard(
      state.instanceId,
      inbox.map((m) => m.messageId),
    );
  }

  async #loadAll(instanceIds: readonly string[]): Promise<InstanceState[]> {
    const found = await Promise.all(instanceIds.map((id) => this.#deps.store.load(id)));
    return found.filter((s): s is InstanceState => s !== undefined);
  }

  /**
   * Resumes a suspended instance from its last persistence point (its cursor stayed on the failed step): the
   * effects it kept go out first (they may be why it was suspended: a failure here leaves it suspended, with
   * the error to the caller), then one conditional write, then a work item. An instance that had finished is
   * restored to what it was. Refused (OwnershipLost) if the instance moved meanwhile, and (UnknownOrchestration)
   * before anything is sent if its effects start an orchestration this host does not know.
   */
  async resume(instanceId: string): Promise<InstanceState> {
    const { store, clock, hostId, lease, workQueue, registry } = this.#deps;
    const state = await store.load(instanceId);
    if (!state) throw new InstanceNotFound(instanceId);
    if (state.status !== InstanceStatus.Suspended) throw new InvalidTransition(instanceId, state.status, 'resume');
    // Checked before any effect goes out: a refusal halfway would have sent the sends before it.
    for (const entry of state.outbox) {
      if (entry.kind === 'start' && !registry.latest(entry.orchestration)) {
        throw new UnknownOrchestration(
          `cannot resume instance ${instanceId}: its last effects start orchestration ${entry.orchestration}, which is not known to ${hostId}`,
          entry.orchestration,
        );
      }
    }
    // A join's wake-up goes out after the commit: the join reads this instance, which must be ended by then, not still
    // suspended (else the join would find it running and rest until its next check).
    const wakes = state.outbox.filter((e) => e.kind === 'join');
    await this.#dispatch(
      state.outbox.filter((e) => e.kind !== 'join'),
      state,
    );
    const now = clock.now();
    const { suspendedFrom, ...rest } = state;
    const base = {
      ...rest,
      outbox: [],
      revision: state.revision + 1,
      lease: undefined,
      updatedAt: now,
      lastHost: hostId,
      commitId: this.#newId(),
    };
    if (suspendedFrom) {
      const ended: InstanceState = { ...base, status: suspendedFrom.status, error: suspendedFrom.error };
      await this.#commit(ended, state.revision, takeoverBefore(now, lease));
      if (wakes.length > 0) await this.#dispatch(wakes, ended);
      // Suspended, it still took deliveries (it could have been resumed to run on): finished again, it keeps them.
      if (TERMINAL_STATUSES.has(ended.status))
        await this.#keepUnread(ended, registry.get(ended.orchestration, ended.version));
      return ended;
    }
    const next: InstanceState = { ...base, status: InstanceStatus.Running, error: undefined };
    await this.#commit(next, state.revision, takeoverBefore(now, lease));
    await workQueue.enqueue([{ instanceId, reason: 'resume', ...traced(next) }]);
    return next;
  }

  /**
   * Ends an instance that is not finished: one conditional write that respects a live lease (a host mid-step
   * keeps its step; try again after it). Its parallel branch instances are ended first, so none keeps sending
   * for an orchestration that is over (a branch mid-step refuses, and so does the whole terminate: call it again),
   * and the ones that ended are let expire. Messages delivered to it and not taken become suspended messages.
   *
   * Without the instance's definition it is terminated all the same, unless it waits at a join: its branch
   * instances are named by the definition (`branchInstanceId(instance, fork, branch name)`), and terminating it
   * without them would leave them running, so that is refused (UnknownOrchestration) before anything is written.
   */
  terminate(instanceId: string, reason: string): Promise<InstanceState> {
    return this.#terminate(instanceId, reason, true);
  }

  /**
   * `wakeJoin`: a branch instance ended on its own wakes its join; one ended because its orchestration is being
   * terminated does not (the join would run and move the orchestration on before the terminate's own write, which then
   * fails; should that write fail anyway, the join's watch finds its branches ended).
   */
  async #terminate(instanceId: string, reason: string, wakeJoin: boolean): Promise<InstanceState> {
    const { clock, hostId, lease, registry, store } = this.#deps;
    const state = await store.load(instanceId);
    if (!state) throw new InstanceNotFound(instanceId);
    if (state.status === InstanceStatus.Completed || state.status === InstanceStatus.Terminated)
      throw new InvalidTransition(instanceId, state.status, 'terminate');
    const orchestration = registry.get(state.orchestration, state.version);
    if (!orchestration && atJoin(state)) {
      throw new UnknownOrchestration(
        `cannot terminate instance ${instanceId}: it waits at a parallel join of orchestration ${state.orchestration}@${state.version}, which is not known to ${hostId}, ` +
          'and its branch instances are named by that definition (terminating it alone would leave them running)',
        state.orchestration,
        state.version,
      );
    }
    const branchIds = orchestration ? forkedBranches(orchestration, state) : [];
    const branches = await this.#loadAll(branchIds);
    for (const branch of branches) {
      if (!branchEnded(branch))
        await this.#terminate(branch.instanceId, `its orchestration ${instanceId} was terminated: ${reason}`, false);
    }
    const now = clock.now();
    // A branch instance wakes its join, which raises the termination as the branch's failure.
    const wake = state.branchOf && wakeJoin ? [joinWakeUp(state, orchestration)] : [];
    // Branch instances expire once ended (terminated ones too); those an earlier version kept for their join are let go.
    const awaiting = branches.filter((b) => b.awaitsRetire).map((b) => b.instanceId);
    const retire = awaiting.length > 0 ? [{ kind: 'retire' as const, instanceIds: awaiting }] : [];
    // Forks its last commit made but never dispatched (a suspended instance whose branch creation kept failing) are
    // dropped: kept, a later redelivery would create and run branches for an orchestration that is over.
    const kept = state.outbox.filter((e) => e.kind !== 'fork');
    const next: InstanceState = {
      ...state,
      status: InstanceStatus.Terminated,
      error: { reason: boundReason(`terminated: ${reason}`), at: now },
      outbox: [...kept, ...wake, ...retire],
      revision: state.revision + 1,
      lease: undefined,
      updatedAt: now,
      lastHost: hostId,
      commitId: this.#newId(),
    };
    await this.#commit(next, state.revision, takeoverBefore(now, lease));
    if (wake.length + retire.length > 0) await this.#dispatch([...wake, ...retire], next);
    await this.#keepUnread(next, orchestration);
    return next;
  }

  /**
   * Dispatches a commit's effects. Each is idempotent, because a host that died before finishing leaves them
   * to the next one: sends keep their message ids, a started instance's id derives from its message id,
   * a branch instance is created once, a join is only woken. Work items go out last, in one batch.
   */
  async #dispatch(outbox: readonly OutboxEntry[], from: InstanceState): Promise<void> {
    const { store, sendPort, workQueue, registry, clock } = this.#deps;
    const sends = outbox.filter((e) => e.kind === 'send');
    if (sends.length > 0) await sendPort.dispatch(sends);
    const items: WorkItem[] = [];
    for (const entry of outbox) {
      if (entry.kind === 'start') {
        const target = registry.latest(entry.orchestration);
        // The registry refuses to load an orchestration whose Start targets are missing; this is a bug if hit.
        if (!target)
          throw new Error(`orchestration ${entry.orchestration} (started by ${entry.instanceId}) is not deployed`);
        // The type the body was validated as when the step ran, not what the newest version takes now (a deployment
        // in between would otherwise hand it an unvalidated body of another type).
        const messageType = entry.messageType ?? target.activation.messageType;
        if (messageType !== target.activation.messageType) {
          await store.putSuspendedMessage({
            messageId: entry.messageId,
            reason: `${entry.instanceId} started ${entry.orchestration} with a ${messageType}, but its newest version now starts with a ${target.activation.messageType}`,
            body: JSON.stringify(entry.body) ?? 'null',
            attributes: { MessageType: messageType },
            receivedAt: clock.now(),
            source: `start by ${entry.instanceId}`,
          });
          continue;
        }
        // The started orchestration continues the starter's trace (core/trace.ts).
        const message = {
          messageId: entry.messageId,
          messageType,
          body: entry.body,
          properties: (from.trace ? { [TRACE_ATTRIBUTE]: from.trace } : {}) as Record<string, string>,
          receivedAt: clock.now(),
        };
        try {
          const activation = await activateOrDeliver(target, message, store, clock.now());
          items.push(workItem(activation.instanceId, 'start', activation.created));
        } catch (error) {
          if (!(error instanceof InvalidMessage)) throw error;
          // The started orchestration would not take it (no correlation value, its convoy ended): keep it, visible.
          await store.putSuspendedMessage({
            messageId: entry.messageId,
            reason: boundReason(describeError(error)),
            body: JSON.stringify(entry.body) ?? 'null',
            attributes: { MessageType: message.messageType },
            receivedAt: clock.now(),
            source: `start by ${entry.instanceId}`,
          });
          if (error instanceof NoTaker && error.copy)
            await store.discard(error.copy.instanceId, [error.copy.messageId]);
        }
      } else if (entry.kind === 'fork') {
        // It starts with what the forking instance had at the fork: its state as committed with this entry.
        const branch: InstanceState = {
          ...entry.branch,
          vars: entry.branch.vars ?? structuredClone(from.vars),
          messages: entry.branch.messages ?? from.messages,
        };
        const created = await store.create(branch);
        items.push(workItem(branch.instanceId, 'fork', created ? branch : undefined));
      } else if (entry.kind === 'join') {
        // Only the last branch to end wakes the join: a join woken earlier finds a branch running and does nothing.
        // Each branch reads its siblings after its own end was committed, so of two that end at once at least the
        // later reader sees both ended (both may: the join runs once all the same). A sibling missing or not ended
        // means another wake-up is still to come, or the join's watch finds it (core/due.ts).
        const siblings = entry.siblings ? await this.#loadAll(entry.siblings) : [];
        if (entry.siblings && siblings.filter(branchEnded).length < entry.siblings.length) {
          if (!from.branchOf?.watched) await this.#watchJoin(entry.instanceId);
          continue;
        }
        // A wake-up sent by a branch that saw every sibling ended is enough alone: the join it wakes sees them all.
        // Two such branches on this host (a fork's branches often share a batch) send it once. Should the first send
        // fail, its branch's work item comes back and sends it again, so skipping the second loses nothing.
        if (entry.siblings && !this.#firstWake(entry)) continue;
        // It read them all ended: the join may take them as read (when small enough to ride along).
        const ended = entry.siblings && branchEnded(from) ? [...siblings, from] : undefined;
        items.push(
          ended && JSON.stringify(ended).length <= MAX_HINT_BYTES
            ? { instanceId: entry.instanceId, reason: 'join', branches: ended, ...traced(from) }
            : { instanceId: entry.instanceId, reason: 'join', ...traced(from) },
        );
      } else if (entry.kind === 'retire') {
        await store.retire(entry.instanceIds, clock.now());
      }
    }
    if (items.length === 0) return;
    try {
      await workQueue.enqueue(items);
    } catch (error) {
      // Not sent: its branch's work item comes back and sends it again, which must not look like a second wake-up.
      for (const item of items) if (item.reason === 'join') this.#forgetWake(item.instanceId);
      throw error;
    }
  }

  /**
   * Arms a timer: a delayed work item when SQS's delay reaches (≤ 15 min); beyond, the timer scheduler
   * when there is one (named after the instance and the due time, so a retried start cannot fire twice),
   * else a delayed work item that hops again on arrival.
   */
  async #armTimer(instanceId: string, dueAt: number, trace?: string): Promise<void> {
    const seconds = Math.ceil((dueAt - this.#deps.clock.now()) / 1000);
    if (seconds > MAX_DELAY_SECONDS && this.#deps.timers) {
      await this.#deps.timers.schedule({ instanceId, timerId: `${instanceId}-${dueAt}`, dueAt, ...traced({ trace }) });
      return;
    }
    await this.#deps.workQueue.enqueue([
      {
        instanceId,
        reason: 'timer',
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, seconds)),
        ...traced({ trace }),
      },
    ]);
  }

  /**
   * Suspends an instance whose work item keeps failing (past its redeliveries), so it shows up with its reason
   * instead of cycling between the queue, the DLQ and the sweeper. In any status: a waiting instance whose fork
   * or send keeps failing, or a finished one whose last sends do, is suspended too (a finished one keeps what it
   * was, and `resume` restores it once its effects went out). Only an instance already suspended (or gone) is left
   * alone: undefined.
   */
  async suspend(item: WorkItem, reason: string): Promise<ProcessOutcome | undefined> {
    const state = await this.#deps.store.load(item.instanceId);
    // Gone, or suspended already: nothing to suspend.
    if (!state || state.status === InstanceStatus.Suspended) return undefined;
    return this.#commitSuspended(state, reason);
  }

  async #commitSuspended(state: InstanceState, reason: string): Promise<ProcessOutcome> {
    const { clock, hostId, lease } = this.#deps;
    const now = clock.now();
    const finished = TERMINAL_STATUSES.has(state.status);
    const next: InstanceState = {
      ...state,
      status: InstanceStatus.Suspended,
      error: { reason: boundReason(reason), at: now },
      suspendedFrom: finished ? { status: state.status, error: state.error } : undefined,
      revision: state.revision + 1,
      lease: undefined,
      // Effects of the last commit that may not have gone out stay, to be dispatched on resume.
      outbox: state.outbox,
      lastHost: hostId,
      updatedAt: now,
      commitId: this.#newId(),
    };
    await this.#commit(next, state.revision, takeoverBefore(now, lease));
    return { result: 'done', detail: reason, instance: next };
  }

  /**
   * Commits, resolving the ambiguous case: the write was applied but its reply was lost, the SDK retried,
   * and the retry failed its condition because the revision had already moved on, by this very write.
   * Treating that as a loss would drop the work item with the outbox never dispatched.
   */
  async #commit(
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
   * Claims, resolving the ambiguous case as `#commit` does: the claim was applied but its reply was lost, and the
   * SDK's retry failed its condition because the revision had moved on, by this very claim. The owner is unique to
   * this call, so a stored lease that is exactly the one asked for, one revision on, is this claim.
   */
  async #claim(state: InstanceState, wanted: Lease, before: number): Promise<InstanceState> {
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
  #heartbeat(
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
            await this.#claim(
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
}
