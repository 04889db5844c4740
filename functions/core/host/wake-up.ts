import { branchEnded, forkedBranches, joinNeed, joinReady } from '../branches.ts';
import type { CompiledOrchestration } from '../program.ts';
import { atJoin, FORKED_BRANCHES_KEPT_MS, nextJoinCheck, timerDueOf } from '../due.ts';
import { listensForEvents } from '../run/events.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState } from '../instance.ts';
import type { InboxEntry } from '../message.ts';
import { traced, type WorkItem } from '../ports.ts';
import type { Commits } from './commits.ts';
import { redoes, undispatched, type Delivery, type ProcessingHostDeps, type ProcessOutcome } from './deps.ts';
import type { OutboxDispatcher } from './dispatcher.ts';
import type { OperatorActions } from './operator-actions.ts';
import { keepUnread } from './unread.ts';
import { waitsForLock } from '../locks.ts';

/** What a wake-up reads of its instance only when asked (most never do). */
export interface WakeUpReads {
  readonly inbox: () => Promise<readonly InboxEntry[]>;
  /** The join's branch instances: as the last one to end read them, else from the store. */
  readonly loadBranches: (joining: readonly string[]) => Promise<readonly InstanceState[]>;
}

/**
 * A wake-up ends before any step (`outcome`), or goes on to run the instance: with its join's branches, if read, and
 * `dispatched` when it sent its last commit's outbox again and recorded that (the run must not send it a third time).
 */
export type WakeUpDecision =
  | { readonly outcome: ProcessOutcome }
  | { readonly branches?: readonly InstanceState[]; readonly dispatched?: true };

/**
 * Whether a waiting instance's outbox must be recorded as dispatched. Not when it forks: such an instance
 * waits at its join until every branch instance exists and ended, so no other host can move it on (and
 * replace that outbox) before the forking host's redelivered work item re-dispatches it. Sends in the same
 * outbox go out before the forks, so they are covered too.
 */
export function needsMark(state: InstanceState): boolean {
  return !state.outbox.some((e) => e.kind === 'fork');
}

/**
 * Deciding what a wake-up does with an instance that is not running: send again what its last commit may not have
 * sent, arm its timer again, rest it when nothing it waits for has come, look after a join's branches. An instance
 * that has something to do goes on to be run (processing-host.ts).
 */
export class WakeUps {
  readonly #deps: ProcessingHostDeps;
  readonly #commits: Commits;
  readonly #dispatcher: OutboxDispatcher;
  readonly #actions: OperatorActions;

  constructor(deps: ProcessingHostDeps, commits: Commits, dispatcher: OutboxDispatcher, actions: OperatorActions) {
    this.#deps = deps;
    this.#commits = commits;
    this.#dispatcher = dispatcher;
    this.#actions = actions;
  }

  async decide(
    item: WorkItem,
    delivery: Delivery,
    state: InstanceState,
    orchestration: CompiledOrchestration | undefined,
    reads: WakeUpReads,
  ): Promise<WakeUpDecision> {
    if (state.status === InstanceStatus.Waiting) return this.#waiting(item, delivery, state, orchestration, reads);
    if (state.status === InstanceStatus.Suspended && item.reason === 'sweep' && atJoin(state)) {
      // Suspended at a join, its branches still need watching: those that ended must not expire before it resumes.
      await this.tendJoin(state, orchestration);
      return { outcome: { result: 'done', detail: 'instance is suspended at a join', instance: state } };
    }
    if (state.status !== InstanceStatus.Running) {
      // The last commit's effects may not have gone out if the host that made it died before dispatching.
      // Its work item then comes back as a redelivery, and that redelivery re-dispatches (same ids). A
      // first delivery (a duplicate enqueued by a redelivered receive or by the sweeper) leaves it alone.
      if (redoes(item, delivery) && undispatched(state)) await this.#dispatcher.dispatch(state.outbox, state);
      // A delivery's own work item that finds the instance ended keeps what its inbox holds too: the message may have
      // come after the host that ended it read the inbox, or that host died before keeping it (and its work item went
      // with a copy another host deleted). Idempotent, one inbox read.
      const delivered = item.reason === 'receive';
      if ((redoes(item, delivery) || delivered) && orchestration && TERMINAL_STATUSES.has(state.status))
        await keepUnread(this.#deps.store, state, orchestration);
      const idle = !redoes(item, delivery);
      return { outcome: { result: 'done', detail: `instance is ${state.status}`, instance: state, idle } };
    }
    return {};
  }

  async #waiting(
    item: WorkItem,
    delivery: Delivery,
    state: InstanceState,
    orchestration: CompiledOrchestration | undefined,
    reads: WakeUpReads,
  ): Promise<WakeUpDecision> {
    const { store, clock, hostId } = this.#deps;
    // Its host died between commit and dispatch: its work item comes back and sends the outbox now.
    const timerDue = timerDueOf(state);
    const timerFired = timerDue !== undefined && timerDue <= clock.now();
    let sent: { dispatched?: true } = {};
    if (redoes(item, delivery)) {
      // The host that dehydrated it may have died before its effects: send them, arm the timer again.
      if (undispatched(state)) {
        await this.#dispatcher.dispatch(state.outbox, state);
        await store.markDispatched(state.instanceId, state.revision);
        sent = { dispatched: true };
      }
      // A timer hop that comes back arms its next hop below, once: arming it here too would start a second chain.
      if (timerDue !== undefined && !timerFired && item.reason !== 'timer')
        await this.#dispatcher.armTimer(state.instanceId, timerDue, state.trace);
    }
    if (timerFired) return sent;
    if (timerDue !== undefined && item.reason === 'timer') {
      // A timer further out than SQS's longest delay arrives early: send it on its next hop.
      await this.#dispatcher.armTimer(state.instanceId, timerDue, state.trace);
      return { outcome: { result: 'done', detail: 'timer hop', instance: state } };
    }
    const consumed = new Set(state.consumed ?? []);
    const fresh = (m: InboxEntry) =>
      !consumed.has(m.messageId) && (m.incarnation === undefined || m.incarnation === state.createdAt);
    if (atJoin(state)) {
      // At a join: nothing to do until its policy is met, by default every branch instance ended (the branch that meets
      // it wakes it again), or a scope around it has an event handler that may take a new message. Without its
      // definition its branches cannot be named: it waits, watched all the same.
      const joining = orchestration ? forkedBranches(orchestration, state) : [];
      const branches = orchestration ? await reads.loadBranches(joining) : undefined;
      const ready =
        orchestration &&
        joinReady(
          joining.map((id) => branches!.find((b) => b.instanceId === id)),
          joinNeed(orchestration, state),
        );
      const event =
        orchestration !== undefined &&
        !ready &&
        listensForEvents(orchestration, state) &&
        (await reads.inbox()).some(fresh);
      if (!ready && !event) {
        if (item.reason === 'sweep') await this.tendJoin(state, orchestration, branches);
        const detail = orchestration
          ? 'waiting for its parallel branches'
          : `waiting at a join of ${state.orchestration} version ${state.version}, which is not deployed on host ${hostId}`;
        return { outcome: { result: 'done', detail, instance: state, idle: item.reason !== 'sweep' } };
      }
      return { branches, ...sent };
    }
    // Waiting for a synchronized scope's lock, woken by its release or by the sweeper: the run tries it again.
    if (waitsForLock(state) !== undefined) return sent;
    if (!(await reads.inbox()).some(fresh))
      return { outcome: await this.rest(item, state, 'waiting; nothing new in its inbox') };
    return sent;
  }

  /**
   * A waiting instance woken by the sweeper (a delivery marked it due) had nothing to take: nothing is due for it
   * before its timer, if it has one; one waiting for a lock is looked at again after as long as it has waited, as a
   * join is. Other wake-ups write nothing: the mark, if any, goes at the next sweep.
   */
  async rest(item: WorkItem, state: InstanceState, detail: string): Promise<ProcessOutcome> {
    const next = waitsForLock(state) === undefined ? timerDueOf(state) : nextJoinCheck(state, this.#deps.clock.now());
    if (item.reason === 'sweep') await this.#deps.store.rest(state.instanceId, state.revision, next);
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
  async tendJoin(
    state: InstanceState,
    orchestration: CompiledOrchestration | undefined,
    loaded?: readonly InstanceState[],
  ): Promise<void> {
    const { store, workQueue, clock } = this.#deps;
    const now = clock.now();
    if (orchestration) {
      const joining = forkedBranches(orchestration, state);
      const branches = loaded ?? (await this.#commits.loadAll(joining));
      const ended = branches.filter(branchEnded).map((b) => b.instanceId);
      if (ended.length > 0) await store.retire(ended, now);
      if (branches.length < joining.length) {
        // Never created (the fork's work item lost before it went out): fork it again, creating is idempotent. Past the
        // time a branch that ended is surely kept, it may have expired instead: running it again could repeat what it
        // did, so the join is suspended with the reason, for an operator.
        if (now - state.updatedAt < FORKED_BRANCHES_KEPT_MS)
          await this.#dispatcher.dispatch(
            state.outbox.filter((e) => e.kind === 'fork'),
            state,
          );
        else if (state.status !== InstanceStatus.Suspended) {
          const missing = joining.filter((id) => !branches.some((b) => b.instanceId === id));
          await this.#actions.commitSuspended(
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
}
