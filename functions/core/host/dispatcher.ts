import { activateOrDeliver, NoTaker } from '../activation.ts';
import { branchEnded, joinReady, progressOf, siblingLanes } from '../branches.ts';
import { JOIN_CHECK } from '../due.ts';
import { InvalidMessage, boundReason, describeError } from '../errors.ts';
import { InstanceStatus, type InstanceState, type JoinEntry, type OutboxEntry } from '../instance.ts';
import { MAX_DELAY_SECONDS, MAX_HINT_BYTES, traced, workItem, type WorkItem } from '../ports.ts';
import { keysField, keysFor } from '../receive/keys.ts';
import { TRACE_ATTRIBUTE } from '../trace.ts';
import type { Commits } from './commits.ts';
import type { ProcessingHostDeps } from './deps.ts';

type Entry<K extends OutboxEntry['kind']> = Extract<OutboxEntry, { kind: K }>;

/** What eager execution gives a dispatch (core/host/eager.ts). */
interface Eager {
  /** Keeps the work items it will run in this invocation; returns the rest, for the work queue. */
  readonly offer: (items: readonly WorkItem[]) => readonly WorkItem[];
  /** A branch instance this invocation saw end, as it ended. */
  readonly ended: (instanceId: string) => InstanceState | undefined;
}

/**
 * Dispatches a commit's effects, one handler per outbox entry kind. Each is idempotent, because a host that died
 * before finishing leaves them to the next one: sends keep their message ids, a started instance's id derives from
 * its message id, a branch instance is created once, a join is only woken. Work items go out last, in one batch.
 */
export class OutboxDispatcher {
  readonly #deps: ProcessingHostDeps;
  readonly #commits: Commits;
  /** Joins this host sent a last-branch wake-up for lately, by join (instance and fork), when. */
  readonly #wokenJoins = new Map<string, number>();
  /** Ends the branch instances a join went on without (see `OperatorActions.cancel`). */
  readonly #cancel: (instanceIds: readonly string[], reason: string) => Promise<void>;

  constructor(
    deps: ProcessingHostDeps,
    commits: Commits,
    cancel: (instanceIds: readonly string[], reason: string) => Promise<void>,
  ) {
    this.#deps = deps;
    this.#commits = commits;
    this.#cancel = cancel;
  }

  /**
   * `eager`: offered the work items this dispatch makes; those it keeps run in this invocation (see
   * `ProcessingHostDeps.eager`), the rest are enqueued. It also knows the branch instances this invocation saw end.
   */
  async dispatch(outbox: readonly OutboxEntry[], from: InstanceState, eager?: Eager): Promise<void> {
    // Before the messages that carry them go out: an answer can only come after its request, and finds its instance.
    for (const entry of outbox)
      if (entry.kind === 'correlate')
        await this.#deps.store.correlate(
          { orchestration: entry.orchestration, set: entry.set, value: entry.value },
          entry.instanceId,
        );
    const sends = outbox.filter((e) => e.kind === 'send');
    if (sends.length > 0) await this.#deps.sendPort.dispatch(sends);
    const items: WorkItem[] = [];
    for (const entry of outbox) {
      if (entry.kind === 'start') await this.#start(entry, from, items);
      else if (entry.kind === 'fork') await this.#fork(entry, from, items);
      else if (entry.kind === 'join') await this.#join(entry, from, items, eager?.ended);
      else if (entry.kind === 'retire') await this.#deps.store.retire(entry.instanceIds, this.#deps.clock.now());
      else if (entry.kind === 'cancel') await this.#cancel(entry.instanceIds, entry.reason);
      else if (entry.kind === 'unlock') await this.#unlock(entry, from, items);
    }
    await this.#orphansCancelled(outbox, from, items);
    const queued = eager ? eager.offer(items) : items;
    if (queued.length === 0) return;
    try {
      await this.#deps.workQueue.enqueue(queued);
    } catch (error) {
      // Not sent: its branch's work item comes back and sends it again, which must not look like a second wake-up.
      for (const item of queued) if (item.reason === 'join') this.#forgetWake(item.instanceId);
      throw error;
    }
  }

  /**
   * The forking instance may have been terminated (a join's cancel, an operator) while its branch instances were being
   * created: its terminate ended those it found, and these were not there yet. So, once they exist, it is read again,
   * and if it ended they are ended too, and not run. (A terminate reads the branches again after its own write: of the
   * two reads, one sees the other's write.)
   */
  async #orphansCancelled(outbox: readonly OutboxEntry[], from: InstanceState, items: WorkItem[]): Promise<void> {
    const forked = outbox.flatMap((e) => (e.kind === 'fork' ? [e.branch.instanceId] : []));
    if (forked.length === 0) return;
    const forker = await this.#deps.store.load(from.instanceId);
    if (forker && forker.status !== InstanceStatus.Terminated) return;
    await this.#cancel(forked, `cancelled: ${from.instanceId}, which forked it, was ended before it was created`);
    const orphans = new Set(forked);
    items.splice(0, items.length, ...items.filter((item) => !orphans.has(item.instanceId)));
  }

  /** A Start shape's orchestration: activated (or delivered to) as its receive host would, else kept, visible. */
  async #start(entry: Entry<'start'>, from: InstanceState, items: WorkItem[]): Promise<void> {
    const { store, registry, clock } = this.#deps;
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
      return;
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
        ...keysField(keysFor([target], message)),
      });
      if (error instanceof NoTaker && error.copy) await store.discard(error.copy.instanceId, [error.copy.messageId]);
    }
  }

  /**
   * Frees a synchronized scope's lock (core/locks.ts), after the commit's other effects went out, and wakes its waiters:
   * one takes it, the others wait again. A wake-up lost on the way is found by the waiter's due time. The waiters are
   * instances of the same orchestration instance, whose trace they share.
   */
  async #unlock(entry: Entry<'unlock'>, from: InstanceState, items: WorkItem[]): Promise<void> {
    const waiters = await this.#deps.store.releaseLock(entry.lock, entry.holder, this.#deps.clock.now());
    for (const waiter of waiters) items.push({ instanceId: waiter, reason: 'lock', ...traced(from) });
  }

  /** A branch instance, made once; it starts with what the forking instance had at the fork (its committed state). */
  async #fork(entry: Entry<'fork'>, from: InstanceState, items: WorkItem[]): Promise<void> {
    const branch: InstanceState = {
      ...entry.branch,
      vars: entry.branch.vars ?? structuredClone(from.vars),
      messages: entry.branch.messages ?? from.messages,
    };
    const created = await this.#deps.store.create(branch);
    items.push(workItem(branch.instanceId, 'fork', created ? branch : undefined));
  }

  /**
   * Only the branch whose end meets its join's policy wakes the join (the last to end, by default; one that failed, at
   * once): a join woken earlier finds it cannot go on and does nothing. Each branch reads its siblings after its own end
   * was committed, so of two that end at once at least the later reader sees both ended (both may: the join runs once
   * all the same). A policy not met means another wake-up is still to come, or the join's watch finds it (core/due.ts).
   */
  async #join(
    given: JoinEntry,
    from: InstanceState,
    items: WorkItem[],
    endedHere?: (instanceId: string) => InstanceState | undefined,
  ): Promise<void> {
    const entry = given.lanes === undefined ? given : { ...given, siblings: siblingLanes(from) };
    // A branch that meets its join's policy alone (the first to end, one that failed) reads no sibling.
    const alone = entry.need !== undefined && joinReady([from], entry.need);
    const siblings = entry.siblings && !alone ? await this.#siblings(entry.siblings, endedHere) : [];
    if (entry.siblings && !alone && !joinReady([...siblings, from], entry.need ?? entry.siblings.length + 1)) {
      if (!from.branchOf?.watched) await this.#watchJoin(entry.instanceId);
      return;
    }
    // A wake-up sent by a branch that saw every sibling ended is enough alone: the join it wakes sees them all. Two
    // such branches on this host (a fork's branches often share a batch) send it once. Should the first send fail, its
    // branch's work item comes back and sends it again, so skipping the second loses nothing.
    // Read alone, a branch knows only its own progress: its wake-up is its own.
    const progress = alone ? `${from.instanceId}:${progressOf([from])}` : `${progressOf([...siblings, from])}`;
    if (entry.siblings && !this.#firstWake(entry, progress)) return;
    // It read them all ended: the join may take them as read (when small enough to ride along).
    const ended = entry.siblings && branchEnded(from) ? [...siblings, from] : undefined;
    items.push(
      ended && JSON.stringify(ended).length <= MAX_HINT_BYTES
        ? { instanceId: entry.instanceId, reason: 'join', branches: ended, ...traced(from) }
        : { instanceId: entry.instanceId, reason: 'join', ...traced(from) },
    );
  }

  /** A join's sibling branch instances: those this invocation saw end as they ended (they do not change), the rest read. */
  async #siblings(
    ids: readonly string[],
    ended: ((instanceId: string) => InstanceState | undefined) | undefined,
  ): Promise<InstanceState[]> {
    const known = ids.map((id) => ended?.(id));
    const unknown = ids.filter((_, n) => !known[n]);
    const read = new Map(
      (unknown.length > 0 ? await this.#commits.loadAll(unknown) : []).map((s) => [s.instanceId, s]),
    );
    // In the siblings' order, as a read of them all gives them; one that is gone is left out, as there.
    return ids.flatMap((id, n) => known[n] ?? read.get(id) ?? []);
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

  #forgetWake(instanceId: string): void {
    for (const key of this.#wokenJoins.keys()) if (key.startsWith(`${instanceId} `)) this.#wokenJoins.delete(key);
  }

  /**
   * Whether this is the first wake-up of its join this host sends for the progress its branches made (within a minute;
   * older ones are forgotten): a join all its branches must end is woken once; one that went on before they all ended
   * (and may wait for them again, `rest: 'block'`) is woken again as more of them end.
   */
  #firstWake(entry: JoinEntry, progress: string): boolean {
    const now = this.#deps.clock.now();
    for (const [key, at] of this.#wokenJoins) if (at < now - 60_000) this.#wokenJoins.delete(key);
    const key = `${entry.instanceId} ${entry.fork} ${progress}`;
    if (this.#wokenJoins.has(key)) return false;
    this.#wokenJoins.set(key, now);
    return true;
  }

  /**
   * Arms a timer: a delayed work item when SQS's delay reaches (≤ 15 min); beyond, the timer scheduler
   * when there is one (named after the instance and the due time, so a retried start cannot fire twice),
   * else a delayed work item that hops again on arrival.
   */
  async armTimer(instanceId: string, dueAt: number, trace?: string): Promise<void> {
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
}
