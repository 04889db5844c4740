import { branchEnded, forkedBranches, wakeJoin } from '../branches.ts';
import { atJoin } from '../due.ts';
import { InstanceNotFound, InvalidTransition, UnknownOrchestration, boundReason } from '../errors.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState } from '../instance.ts';
import { takeoverBefore } from '../ownership.ts';
import { traced, type IdSource, type WorkItem } from '../ports.ts';
import type { Commits } from './commits.ts';
import { undispatched, type ProcessingHostDeps, type ProcessOutcome } from './deps.ts';
import type { OutboxDispatcher } from './dispatcher.ts';
import { keepUnread } from './unread.ts';
import { heldLocks } from '../locks.ts';

/**
 * What an operator (or the processing host itself, for an instance whose work keeps failing) does to an instance:
 * resume, terminate, suspend. Each is one conditional write, its effects dispatched as a commit's are.
 */
export class OperatorActions {
  readonly #deps: ProcessingHostDeps;
  readonly #commits: Commits;
  readonly #dispatcher: OutboxDispatcher;
  readonly #newId: IdSource;

  constructor(deps: ProcessingHostDeps, commits: Commits, dispatcher: OutboxDispatcher, newId: IdSource) {
    this.#deps = deps;
    this.#commits = commits;
    this.#dispatcher = dispatcher;
    this.#newId = newId;
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
    // Unless recorded as gone out after the commit that suspended it (a Suspend shape's sends, say).
    if (undispatched(state))
      await this.#dispatcher.dispatch(
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
      await this.#commits.commit(ended, state.revision, takeoverBefore(now, lease));
      if (wakes.length > 0) await this.#dispatcher.dispatch(wakes, ended);
      // Suspended, it still took deliveries (it could have been resumed to run on): finished again, it keeps them.
      if (TERMINAL_STATUSES.has(ended.status))
        await keepUnread(store, ended, registry.get(ended.orchestration, ended.version));
      return ended;
    }
    const next: InstanceState = { ...base, status: InstanceStatus.Running, error: undefined };
    await this.#commits.commit(next, state.revision, takeoverBefore(now, lease));
    await workQueue.enqueue([{ instanceId, reason: 'resume', ...traced(next) }]);
    return next;
  }

  /**
   * Ends an instance that is not finished: one conditional write that respects a live lease (a host mid-step
   * keeps its step; try again after it). Its parallel branch instances are ended first, so none keeps sending
   * for an orchestration that is over (a branch mid-step refuses, and so does the whole terminate: call it again),
   * and the ones that ended are let expire. What its last commit may not have sent goes out before the write. Messages
   * delivered to it and not taken become suspended messages.
   *
   * Without the instance's definition it is terminated all the same, unless it waits at a join: its branch
   * instances are named by the definition (`branchInstanceId(instance, fork, branch name)`), and terminating it
   * without them would leave them running, so that is refused (UnknownOrchestration) before anything is written.
   */
  terminate(instanceId: string, reason: string): Promise<InstanceState> {
    return this.#terminate(instanceId, reason, true);
  }

  /**
   * Ends the branch instances a join went on without (a `first` or `atLeast` join, a sibling that failed), as a
   * terminate does, waking nothing: the join is past them. What they sent is sent; what they would still do is not.
   * One that ended meanwhile, or is gone, is left as it is. Unlike an operator's terminate, it does not wait for a
   * branch mid-step under a live lease: the join went on, so the step's result would be dropped anyway; its host
   * finds its lease taken at its next write (a heartbeat, its commit) and commits nothing.
   */
  async cancel(instanceIds: readonly string[], reason: string): Promise<void> {
    for (const instanceId of instanceIds) {
      const branch = await this.#deps.store.load(instanceId);
      if (!branch || branchEnded(branch)) continue;
      try {
        await this.#terminate(instanceId, reason, false, true);
      } catch (error) {
        // It ended between the read and the write.
        if (!(error instanceof InvalidTransition)) throw error;
      }
    }
  }

  /**
   * `wakesJoin`: a branch instance ended on its own wakes its join; one ended because its orchestration is being
   * terminated does not (the join would run and move the orchestration on before the terminate's own write, which then
   * fails; should that write fail anyway, the join's watch finds its branches ended).
   */
  async #terminate(instanceId: string, reason: string, wakesJoin: boolean, force = false): Promise<InstanceState> {
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
    // Those of the join it waits at, and those earlier joins let run on.
    const branchIds = [
      ...new Set([...(orchestration ? forkedBranches(orchestration, state) : []), ...(state.outliving ?? [])]),
    ];
    const branches = await this.#commits.loadAll(branchIds);
    for (const branch of branches) {
      if (!branchEnded(branch))
        await this.#terminate(
          branch.instanceId,
          `its orchestration ${instanceId} was terminated: ${reason}`,
          false,
          force,
        );
    }
    const now = clock.now();
    // A branch instance wakes its join, which raises the termination as the branch's failure.
    const wake = state.branchOf && wakesJoin ? [wakeJoin(state, orchestration)] : [];
    // Branch instances expire once ended (terminated ones too); those an earlier version kept for their join are let go.
    const awaiting = branches.filter((b) => b.awaitsRetire).map((b) => b.instanceId);
    const retire = awaiting.length > 0 ? [{ kind: 'retire' as const, instanceIds: awaiting }] : [];
    // Forks its last commit made but never dispatched (a suspended instance whose branch creation kept failing) are
    // dropped: kept, a later redelivery would create and run branches for an orchestration that is over.
    const kept = state.outbox.filter((e) => e.kind !== 'fork');
    // What its last commit may not have sent goes out first (under the same ids): the host that made that commit may
    // not have sent it yet, and, should the reply to its commit be lost, it finds the instance terminated and cannot
    // tell the commit was its own, so it never will. Its join wake-ups stay, as a resume leaves them.
    const unsent = undispatched(state) ? kept.filter((e) => e.kind !== 'join') : [];
    if (unsent.length > 0) await this.#dispatcher.dispatch(unsent, state);
    // A lock it holds in a synchronized scope is freed, its waiters woken (one it took and had not committed yet, its
    // waiters find gone: see core/locks.ts).
    const unlock = heldLocks(state);
    const next: InstanceState = {
      ...state,
      status: InstanceStatus.Terminated,
      error: { reason: boundReason(`terminated: ${reason}`), at: now },
      outbox: [...kept, ...wake, ...retire, ...unlock],
      revision: state.revision + 1,
      lease: undefined,
      updatedAt: now,
      lastHost: hostId,
      commitId: this.#newId(),
    };
    // Forced: whatever lease it holds (see `cancel`).
    await this.#commits.commit(next, state.revision, force ? Number.MAX_SAFE_INTEGER : takeoverBefore(now, lease));
    // A branch instance created between the read above and this write (its fork's creation still going on) is ended now:
    // read again, what the forking host created before it read this instance terminated is here (see the dispatcher).
    for (const late of await this.#commits.loadAll(branchIds)) {
      if (branches.some((b) => b.instanceId === late.instanceId) || branchEnded(late)) continue;
      await this.#terminate(
        late.instanceId,
        `its orchestration ${instanceId} was terminated: ${reason}`,
        false,
        force,
      ).catch((error: unknown) => {
        if (!(error instanceof InvalidTransition)) throw error;
      });
    }
    if (wake.length + retire.length + unlock.length > 0)
      await this.#dispatcher.dispatch([...wake, ...retire, ...unlock], next);
    await keepUnread(store, next, orchestration);
    return next;
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
    return this.commitSuspended(state, reason);
  }

  /** Suspends the instance as it is read, with the reason, in one conditional write. */
  async commitSuspended(state: InstanceState, reason: string): Promise<ProcessOutcome> {
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
    await this.#commits.commit(next, state.revision, takeoverBefore(now, lease));
    return { result: 'done', detail: reason, instance: next };
  }
}
