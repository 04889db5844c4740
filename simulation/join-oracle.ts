import type { InstanceState, SendEntry } from '../functions/core/instance.ts';
import { JOINS, type JoinSpec } from './flows.ts';
import type { SimMessageBox } from './message-box.ts';
import { short } from './short.ts';

/** What the join oracle finds wrong, said as the oracle says it (see oracle.ts). */
export type JoinViolationKind =
  | 'effect without commit'
  | 'effect lost'
  | 'end undone'
  | 'sent after cancel'
  | 'join'
  | 'critical section';

/** An instance's first end: where in the MessageBox's stream it was written, what it became, and what it was before. */
interface End {
  readonly at: number;
  readonly state: InstanceState;
  readonly before: InstanceState | undefined;
  /** Simulated time of the write. */
  readonly time: number;
}

/** One instance incarnation: its id, and its creation time (an id may be made again once its predecessor expired). */
const keyOf = (s: InstanceState) => `${s.instanceId}@${s.createdAt}`;
const ended = (s: InstanceState | undefined) => s?.status === 'completed' || s?.status === 'terminated';
const cancelled = (s: InstanceState) => s.status === 'terminated' && /cancelled:/.test(s.error?.reason ?? '');
const mainThread = (s: InstanceState | undefined) => s?.cursor.threads.find((t) => t.id === 'main');

/** What a cancelled branch was doing when its cancellation was written, as far as the MessageBox tells. */
function doing({ before, time }: End): string {
  if (before?.lease && before.lease.expiresAt > time) return 'under a lease';
  if (before?.status === 'waiting') return mainThread(before)?.fork !== undefined ? 'at its own join' : 'on a timer';
  return before?.status === 'suspended' ? 'suspended' : 'running without a lease';
}

/**
 * The invariants of effects and of Parallel Actions' join policies, read off the MessageBox's stream (every write, in
 * the order applied, with what it replaced) and the sends as they go out:
 *
 * - no effect without its commit: every message sent was in the outbox of a committed write of its instance;
 * - no effect lost: every send a committed write held went out, at least once, by the time the world settled;
 * - an end stays: a completed or terminated instance never becomes anything else (but suspended, keeping what it was);
 * - a cancelled branch sends nothing it committed after its cancellation (what it committed before may go out later:
 *   its outbox is kept, and sent by the cancellation, as by whoever redoes its last commit);
 * - per orchestration with a join (flows.ts, `JOINS`): its downstream goes out once, the outcome its request asks for;
 *   the branches its join applied ended well before the join went on, and there were enough of them; a branch is
 *   cancelled only after its join went on, and only by a join that cancels; every branch ends; a branch that ends
 *   well sends its last message exactly once (one that outlives an ignoring join too);
 * - no two branches of one instance are inside synchronized scopes of one lock at once, as their sections' sends show.
 */
export class JoinOracle {
  readonly #box: SimMessageBox;
  readonly #violate: (kind: JoinViolationKind, detail: string) => void;
  /** How far into the stream it has read. */
  #read = 0;
  /** Each send's MessageId: where in the stream an outbox first held it, and whose. */
  readonly #committed = new Map<string, { readonly at: number; readonly key: string }>();
  /** Each send that went out: who sent it, of what type, with what body. */
  readonly #dispatched = new Map<string, { readonly key: string; readonly type: string; readonly body: unknown }>();
  /** Each incarnation as last written. */
  readonly #last = new Map<string, InstanceState>();
  readonly #ends = new Map<string, End>();
  /** Who is in each quorum's synchronized section now, as its sends say (by the quorum's id). */
  readonly #inSection = new Map<string, string>();
  /** Where each instance of an orchestration with a join left its Parallel Actions (went on, or raised). */
  readonly #joined = new Map<string, number>();
  /** What the run exercised, for the report: cancellations by what the branch was doing, branches that outlived. */
  readonly coverage: Record<string, number> = {};

  constructor(box: SimMessageBox, violate: (kind: JoinViolationKind, detail: string) => void) {
    this.#box = box;
    this.#violate = violate;
  }

  /** A send port dispatched `entry` (perhaps again, under the same MessageId). */
  sent(entry: SendEntry): void {
    this.#catchUp();
    const committed = this.#committed.get(entry.messageId);
    if (!committed)
      this.#violate(
        'effect without commit',
        `${short(entry.instanceId)} sent ${entry.messageType} ${entry.messageId}, which no committed write of it held`,
      );
    if (!this.#dispatched.has(entry.messageId) && entry.messageType === 'Section') this.#section(entry);
    if (!this.#dispatched.has(entry.messageId))
      this.#dispatched.set(entry.messageId, {
        key: committed?.key ?? entry.instanceId,
        type: entry.messageType,
        body: entry.body,
      });
  }

  /**
   * A synchronized scope's section said it enters or leaves (flows.ts, `ballot`), sent for the first time: no two
   * branches of one instance are in sections of one lock at once, as what they send shows (a section's sends go out
   * before the commit that leaves it frees the lock).
   */
  #section(entry: SendEntry): void {
    const { id, from, at } = entry.body as { id: string; from: string; at: 'enter' | 'leave' };
    const inside = this.#inSection.get(id);
    if (at === 'enter' && inside !== undefined && inside !== from)
      this.#violate('critical section', `${from} entered the ballot of ${id} while ${inside} was in it`);
    if (at === 'leave' && inside !== from)
      this.#violate('critical section', `${from} left the ballot of ${id} while ${inside ?? 'nobody'} was in it`);
    if (at === 'enter') this.#inSection.set(id, from);
    else this.#inSection.delete(id);
    this.coverage.sections = (this.coverage.sections ?? 0) + (at === 'enter' ? 1 : 0);
  }

  /** Reads the stream's new writes. */
  #catchUp(): void {
    const stream = this.#box.stream;
    for (; this.#read < stream.length; this.#read++) {
      const { change } = stream[this.#read]!;
      if (change.kind !== 'instance' || !change.after) continue;
      this.#write(this.#read, change.before, change.after, change.at);
    }
  }

  #write(at: number, before: InstanceState | undefined, after: InstanceState, time: number): void {
    const key = keyOf(after);
    const previous = before && keyOf(before) === key ? before : undefined;
    if (ended(previous) && after.status !== previous!.status) {
      const kept = after.status === 'suspended' && after.suspendedFrom?.status === previous!.status;
      if (!kept)
        this.#violate(
          'end undone',
          `${short(after.instanceId)} (${after.orchestration}) was ${previous!.status} and became ${after.status} at revision ${after.revision}`,
        );
    }
    for (const entry of after.outbox)
      if (entry.kind === 'send' && !this.#committed.has(entry.messageId))
        this.#committed.set(entry.messageId, { at, key });
    if (ended(after) && !this.#ends.has(key)) this.#ends.set(key, { at, state: after, before: previous, time });
    this.#last.set(key, after);
    const spec = JOINS[after.orchestration];
    if (spec && !after.branchOf && !this.#joined.has(key)) {
      const was = mainThread(previous);
      const now = mainThread(after);
      if (was?.at === spec.parallel && was.fork !== undefined && (now?.at !== spec.parallel || now.fork !== was.fork)) {
        this.#joined.set(key, at);
        this.#cancels(after, spec, was.fork);
      }
    }
  }

  /**
   * The write that took `main` past its join: with rest 'cancel', its outbox cancels every branch not ended by then
   * (each exists: a fork's work items go out only once all its branches were created); with 'ignore', none.
   */
  #cancels(main: InstanceState, spec: JoinSpec, fork: number): void {
    const named = new Set(main.outbox.flatMap((e) => (e.kind === 'cancel' ? e.instanceIds : [])));
    const running = [...this.#last.values()].filter(
      (b) =>
        b.branchOf?.instanceId === main.instanceId &&
        b.branchOf.fork === fork &&
        b.branchOf.parallel === spec.parallel &&
        !this.#ends.has(keyOf(b)),
    );
    const missed = spec.rest === 'cancel' ? running.filter((b) => !named.has(b.instanceId)) : [];
    if (missed.length > 0 || (spec.rest === 'ignore' && named.size > 0))
      this.#violate(
        'join',
        `${main.orchestration} ${short(main.instanceId)} went past its join (rest ${spec.rest}) at revision ${main.revision} cancelling ${[...named].map(short).join(', ') || 'nothing'}, with ${running.map((b) => `${short(b.instanceId)} ${b.status}`).join(', ') || 'none'} still running`,
      );
  }

  /** The world has settled: what every instance ended as, against what it sent. */
  settled(): void {
    this.#catchUp();
    const sentBy = new Map<string, { id: string; type: string; body: unknown }[]>();
    for (const [id, d] of this.#dispatched) sentBy.set(d.key, [...(sentBy.get(d.key) ?? []), { id, ...d }]);
    for (const [id, { key }] of this.#committed)
      if (!this.#dispatched.has(id)) {
        const state = this.#last.get(key);
        this.#violate(
          'effect lost',
          `${short(key)} (${state?.orchestration} ${state?.status}) committed send ${id} and it never went out`,
        );
      }
    for (const [key, end] of this.#ends)
      if (end.state.branchOf && cancelled(end.state)) this.#cancelled(key, end, sentBy);
    for (const [key, main] of this.#last) {
      const spec = JOINS[main.orchestration];
      if (spec && !main.branchOf && main.status === 'completed') this.#joinOf(key, main, spec, sentBy);
    }
  }

  /** A cancelled branch: nothing it committed after its cancellation went out; counted by what it was doing. */
  #cancelled(key: string, end: End, sentBy: Map<string, { id: string; type: string }[]>): void {
    for (const { id, type } of sentBy.get(key) ?? []) {
      const at = this.#committed.get(id)!.at;
      if (at > end.at)
        this.#violate(
          'sent after cancel',
          `branch ${short(key)} sent ${type} ${id}, committed at stream position ${at}, after its cancellation at ${end.at}`,
        );
    }
    this.cover(`cancelled ${doing(end)}`);
    if (/its orchestration \S+ was terminated: cancelled:/.test(end.state.error?.reason ?? ''))
      this.cover('cancelled with the branch it is in');
    if (/a sibling failed/.test(end.state.error?.reason ?? '')) this.cover('cancelled by a failing sibling');
  }

  /** An instance of an orchestration with a join that completed: its join, its downstream, its branches. */
  #joinOf(
    key: string,
    main: InstanceState,
    spec: JoinSpec,
    sentBy: Map<string, { id: string; type: string; body: unknown }[]>,
  ): void {
    const name = `${main.orchestration} ${short(main.instanceId)}`;
    const request = (main.messages.request?.body ?? {}) as Record<string, unknown>;
    const joined = this.#joined.get(key);
    if (joined === undefined) {
      this.#violate('join', `${name} completed without going past its join`);
      return;
    }
    const outcomes = (sentBy.get(key) ?? []).filter((s) => spec.outcomes.includes(s.type));
    const expected = spec.outcome(request);
    if (outcomes.length !== 1 || outcomes[0]!.type !== expected)
      this.#violate(
        'join',
        `${name} sent ${outcomes.map((o) => o.type).join(', ') || 'nothing'} after its join; ${expected} once was due`,
      );
    for (const o of outcomes) this.#wrong(name, spec, o.body, request);
    const branches = [...this.#last.values()].filter(
      (b) => b.branchOf?.instanceId === main.instanceId && b.branchOf.parallel === spec.parallel,
    );
    const winners = ((outcomes[0]?.body as { winners?: string[] } | undefined)?.winners ?? []) as string[];
    if (outcomes[0]?.type === expected && expected !== 'JobHandled' && winners.length < spec.need(request))
      this.#violate('join', `${name} went on with ${winners.join(', ') || 'none'}: ${spec.need(request)} needed`);
    for (const winner of winners) {
      const b = branches.find((s) => s.branchOf!.branch === winner);
      const end = b && this.#ends.get(keyOf(b));
      if (end?.state.status !== 'completed' || end.state.error || end.at > joined)
        this.#violate(
          'join',
          `${name} applied branch ${winner}, which had not ended well when its join went on (${end ? `${end.state.status} at ${end.at}, joined at ${joined}` : 'it never ended'})`,
        );
    }
    if (branches.length !== spec.forks(request))
      this.#violate(
        'join',
        `${name} forked ${branches.map((b) => b.branchOf!.branch).join(', ')}; ${spec.forks(request)} branch(es) were due`,
      );
    // Only a join that went on without some branch (its policy met, or a branch failed) cancels any.
    const withoutSome = spec.need(request) < branches.length;
    for (const b of branches) this.#branch(name, b, spec, request, { joined, withoutSome }, sentBy);
  }

  #branch(
    name: string,
    b: InstanceState,
    spec: JoinSpec,
    request: Record<string, unknown>,
    { joined, withoutSome }: { joined: number; withoutSome: boolean },
    sentBy: Map<string, { id: string; type: string; body: unknown }[]>,
  ): void {
    const which = `${name}'s branch ${b.branchOf!.branch}`;
    const end = this.#ends.get(keyOf(b));
    if (!end) {
      this.#violate('join', `${which} is still ${b.status} after its join went on`);
      return;
    }
    if (cancelled(end.state) && (spec.rest === 'ignore' || !withoutSome || end.at < joined))
      this.#violate(
        'join',
        `${which} was cancelled (${end.state.error?.reason.slice(0, 80)}) at ${end.at}; its join (rest ${spec.rest}) went on at ${joined}`,
      );
    if (spec.rest === 'ignore' && end.at > joined) this.cover('outlived its join');
    const failed = end.state.error !== undefined && !cancelled(end.state);
    const shouldFail = request.fail === true && b.branchOf!.branch === 'bad';
    // A cancellation ends the branches inside a branch first: should it stop there (its writer died, or the branch moved
    // meanwhile), the branch's own join raises their end, and the branch fails with it, after its join went on.
    const halfCancelled =
      failed && withoutSome && end.at > joined && /was terminated: cancelled:/.test(end.state.error!.reason);
    if (halfCancelled) this.cover('failed by a cancellation that stopped halfway');
    if (failed !== shouldFail && !halfCancelled)
      this.#violate(
        'join',
        `${which} ended ${end.state.status}${end.state.error ? ` (${end.state.error.reason.slice(0, 80)})` : ''}: ${shouldFail ? 'its failure was due' : 'no failure was due'}`,
      );
    if (failed && end.at <= joined) this.cover('failed, raised at its join');
    const own = (sentBy.get(keyOf(b)) ?? []).filter((s) => s.type === spec.branchSends);
    for (const o of own) this.#wrong(which, spec, o.body, request);
    if (end.state.status === 'completed' && !failed && own.length !== 1)
      this.#violate('join', `${which} completed having sent ${own.length} ${spec.branchSends}: one was due`);
  }

  #wrong(who: string, spec: JoinSpec, body: unknown, request: Record<string, unknown>): void {
    const wrong = spec.wrong?.(body as Record<string, unknown>, request);
    if (wrong) this.#violate('join', `${who}: ${wrong}`);
  }

  /** Counts something the run exercised. */
  cover(what: string): void {
    this.coverage[what] = (this.coverage[what] ?? 0) + 1;
  }
}
