import type { SendEntry } from '../functions/core/instance.ts';
import { RESUBMISSION_ID } from '../functions/core/resubmission.ts';
import { accountFor, describeDelivery } from '../functions/core/conservation.ts';
import { RESUBMITTED_FROM } from '../functions/core/tracking.ts';
import type { Change } from '../functions/core/tracking.ts';
import type { OrchestrationRegistry } from '../functions/core/registry.ts';
import type { MemoryHistory } from '../test/helpers/memory-history.ts';
import { JoinOracle, type JoinViolationKind } from './join-oracle.ts';
import type { SimMessageBox } from './message-box.ts';
import type { SimQueue } from './queue.ts';
import type { Scheduler } from './scheduler.ts';
import { short } from './short.ts';

/** What the oracle reads of the world (simulation/world.ts), which holds it. */
export interface WorldView {
  readonly scheduler: Scheduler;
  readonly box: SimMessageBox;
  readonly receiveQueue: SimQueue;
  readonly receiveDlq: SimQueue;
  readonly workQueue: SimQueue;
  readonly history: MemoryHistory;
  readonly registry: OrchestrationRegistry;
}

/** Something that must never happen, said with what shows it. */
export interface Violation {
  readonly kind:
    | 'effect twice'
    | 'unaccounted'
    | 'strand'
    | 'leak'
    | 'history lost'
    | 'never settled'
    | 'wrong outcome'
    | 'lease not exclusive'
    | JoinViolationKind;
  readonly detail: string;
}

/** What each outcome of the sample sends, once: the messages an order's instance ends with. */
const ORDER_OUTCOMES = [['Invoice', 'Shipment'], ['OrderCancelled'], ['OrderRejected']] as const;
/** Types an instance sends at most once (per incarnation): two MessageIds of one is an effect twice. */
const ONCE = new Set([
  'Invoice',
  'Shipment',
  'OrderCancelled',
  'OrderRejected',
  'ApprovalRequest',
  'Charged',
  'Audited',
]);

/**
 * Reads what happened in a run, as it happens (effects) and once the world has settled (where every message went,
 * what every instance became, what is left behind), against the models' ground truth.
 */
export class Oracle {
  readonly violations: Violation[] = [];
  readonly #world: WorldView;
  /** MessageId → who sent it first (instance and incarnation) and what. */
  readonly #sent = new Map<string, { instanceId: string; incarnation: number | undefined; body: string }>();
  /** Instance incarnation → message type → the distinct MessageIds it sent of that type. */
  readonly #sentBy = new Map<string, Map<string, Set<string>>>();
  /** The newest fencing token applied to the ledger, per instance. */
  readonly #fence = new Map<string, number>();
  /** Effects against commits, and the join policies of Parallel Actions (join-oracle.ts). */
  readonly #joins: JoinOracle;

  constructor(world: WorldView) {
    this.#world = world;
    this.#joins = new JoinOracle(world.box, (kind, detail) => this.#violate(kind, detail));
  }

  /** What the run exercised of the join policies: cancellations by what the branch was doing, and so on. */
  get coverage(): Readonly<Record<string, number>> {
    return this.#joins.coverage;
  }

  cover(what: string): void {
    this.#joins.cover(what);
  }

  /** A send port dispatched `entry` (again, perhaps: a re-dispatch keeps its MessageId). */
  sent(entry: SendEntry): void {
    this.#joins.sent(entry);
    const sender = this.#world.box.state(entry.instanceId);
    const incarnation = sender?.createdAt;
    const body = JSON.stringify(entry.body);
    const first = this.#sent.get(entry.messageId);
    if (first) {
      if (
        first.instanceId !== entry.instanceId ||
        (incarnation !== undefined && first.incarnation !== undefined && first.incarnation !== incarnation)
      ) {
        this.#violate(
          'effect twice',
          `MessageId ${entry.messageId} went out for ${short(first.instanceId)}@${first.incarnation} and again for ${short(entry.instanceId)}@${incarnation}: a consumer that drops copies by MessageId drops the second ${entry.messageType}`,
        );
      } else if (first.body !== body) {
        this.#violate(
          'effect twice',
          `MessageId ${entry.messageId} (${entry.messageType}) went out with two bodies: ${first.body.slice(0, 80)} and ${body.slice(0, 80)}`,
        );
      }
      return;
    }
    this.#sent.set(entry.messageId, { instanceId: entry.instanceId, incarnation, body });
    if (!ONCE.has(entry.messageType)) return;
    const key = `${entry.instanceId}@${incarnation}`;
    const types = this.#sentBy.get(key) ?? new Map<string, Set<string>>();
    const ids = types.get(entry.messageType) ?? new Set<string>();
    ids.add(entry.messageId);
    types.set(entry.messageType, ids);
    this.#sentBy.set(key, types);
    if (ids.size > 1)
      this.#violate(
        'effect twice',
        `${short(entry.instanceId)} sent ${ids.size} distinct ${entry.messageType} (${[...ids].join(', ')})`,
      );
  }

  /** The ledger an exclusive step charges: fenced, it refuses a token older than one it applied. */
  charge(instanceId: string, _chargeId: string, token: number): boolean {
    const newest = this.#fence.get(instanceId) ?? -1;
    if (token < newest) return false;
    this.#fence.set(instanceId, token);
    return true;
  }

  historyLost(origin: string, change: Change): void {
    this.#violate(
      'history lost',
      `stream record ${origin} (${change.kind}${change.kind === 'instance' ? ` of ${short((change.after ?? change.before)!.instanceId)}` : ''}) failed six times and was given up`,
    );
  }

  neverSettled(why: string): void {
    const moving = this.#world.box
      .states()
      .filter((s) => s.status !== 'completed' && s.status !== 'terminated')
      .map(
        (s) =>
          `${short(s.instanceId)} ${s.orchestration} ${s.status} at ${s.cursor.threads[0]?.at}${s.lease ? ` leased by ${s.lease.owner} until t+${((s.lease.expiresAt - this.#world.scheduler.now) / 1000).toFixed(1)}s from now` : ''}`,
      );
    this.#violate(
      'never settled',
      `${why}: ${moving.join('; ') || 'no unfinished instance'}; ${this.#world.workQueue.messages.length} work item(s), ${this.#world.receiveQueue.messages.length} received message(s) queued`,
    );
  }

  /** The world has settled: nothing is in flight and nothing will happen by itself. */
  async settled(): Promise<void> {
    const w = this.#world;
    this.#joins.settled();
    // The engine's own accounting (core/conservation.ts), the one the chaos run, the soak, the demo and the bench use,
    // over the MessageBox and the tracked history as they are now: every message a client sent, to every subscriber.
    const sent = [...w.receiveQueue.sent]
      .filter(([, m]) => !m.attributes[RESUBMITTED_FROM])
      .map(([messageId, m]) => ({ messageId, body: m.body, attributes: m.attributes }));
    const accounting = await accountFor(sent, { store: w.box.inner, history: w.history, registry: w.registry });
    for (const delivery of accounting.unaccounted)
      this.#violate('unaccounted', `(the accounting) ${describeDelivery(delivery)}`);
    const states = w.box.states();
    for (const state of states) {
      if (state.status === 'running' || state.status === 'waiting')
        this.#violate(
          'strand',
          `${short(state.instanceId)} (${state.orchestration}) is ${state.status} at "${state.cursor.threads[0]?.at}" and nothing will wake it`,
        );
      if (state.status === 'suspended')
        this.#violate(
          'strand',
          `${short(state.instanceId)} (${state.orchestration}) is still suspended after an operator resumed it: ${state.error?.reason}`,
        );
    }
    // Every message the receive queue took ends taken, kept (suspended, then resolved: resubmitted messages are
    // followed to where their resubmission went) or in a dead-letter queue; and no orchestration takes one message twice
    // (its resubmissions are the same message: an instance of an orchestration that took it must not take them again).
    const resubmissionsOf = new Map<string, string[]>();
    for (const [transportId, message] of w.receiveQueue.sent) {
      const of = message.attributes[RESUBMITTED_FROM];
      if (of)
        resubmissionsOf.set(of, [
          ...(resubmissionsOf.get(of) ?? []),
          message.attributes[RESUBMISSION_ID] ?? transportId,
        ]);
    }
    for (const [transportId, message] of w.receiveQueue.sent) {
      // A resubmission is accounted for with the message it resubmits.
      if (message.attributes[RESUBMITTED_FROM]) continue;
      const messageId = message.attributes[RESUBMISSION_ID] ?? transportId;
      const chain = [messageId];
      for (let i = 0; i < chain.length; i++)
        for (const next of resubmissionsOf.get(chain[i]!) ?? []) if (next && !chain.includes(next)) chain.push(next);
      const fates = chain.map((id) => this.#fate(id));
      const last = chain.at(-1)!;
      const lastFate = fates.at(-1)!;
      if (
        lastFate === 'nowhere' ||
        (lastFate === 'resubmitted' && !w.box.inner.suspended.get(last)?.resolution?.resubmittedAs)
      ) {
        const waiting = [...w.box.inner.inboxes]
          .filter(([, inbox]) => inbox.some((m) => m.messageId === last))
          .map(([id]) => short(id));
        const via = chain.length > 1 ? ` (resubmitted as ${chain.slice(1).join(', then ')})` : '';
        this.#violate(
          'unaccounted',
          `${message.attributes.MessageType} ${messageId}${via} ${message.body.slice(0, 60)} was neither taken nor kept${waiting.length ? ` (it lies in the inbox of ${waiting.join(', ')})` : ''}`,
        );
      }
      const takers = new Map<string, Set<string>>();
      for (const id of chain)
        for (const [instanceId, orchestration] of w.box.taken.get(id) ?? [])
          takers.set(orchestration, (takers.get(orchestration) ?? new Set()).add(instanceId));
      for (const [orchestration, instances] of takers) {
        if (instances.size > 1)
          this.#violate(
            'effect twice',
            `${message.attributes.MessageType} ${messageId} was taken by ${instances.size} ${orchestration} instances (${[...instances].map(short).join(', ')}), its resubmissions counted as itself`,
          );
      }
    }
    // Nothing outlives its instance: an inbox item of an instance that ended, or is gone, is left behind.
    for (const [instanceId, inbox] of w.box.inner.inboxes) {
      if (inbox.length === 0) continue;
      const state = w.box.state(instanceId);
      if (!state || state.status === 'completed' || state.status === 'terminated') {
        this.#violate(
          'leak',
          `the inbox of ${short(instanceId)} (${state ? state.status : 'gone'}) still holds ${inbox.map((m) => `${m.messageType} ${m.messageId}`).join(', ')}`,
        );
      }
    }
    // What each instance that completed sent: its outcome, whole, once.
    for (const state of states.filter((s) => s.status === 'completed' && !s.branchOf)) {
      const types = this.#sentBy.get(`${state.instanceId}@${state.createdAt}`) ?? new Map<string, Set<string>>();
      if (state.orchestration === 'OrderFulfilment') {
        const outcomes = ORDER_OUTCOMES.filter((outcome) => outcome.some((t) => types.has(t)));
        const whole = outcomes.length === 1 && outcomes[0]!.every((t) => types.has(t));
        if (!whole)
          this.#violate(
            'wrong outcome',
            `order ${short(state.instanceId)} completed having sent ${[...types.keys()].join(', ') || 'nothing'}`,
          );
      }
      if (state.orchestration === 'Charge') {
        if (!types.has('Charged'))
          this.#violate('wrong outcome', `charge ${short(state.instanceId)} completed without sending Charged`);
        else if (state.vars.applied !== true)
          this.#violate(
            'lease not exclusive',
            `charge ${short(state.instanceId)} committed a run whose charge the ledger refused: a run with a newer fencing token charged meanwhile`,
          );
      }
    }
  }

  /** Where one message went: taken by an instance, kept as a suspended message (resolved how), dead-lettered, or nowhere. */
  #fate(messageId: string): 'taken' | 'resubmitted' | 'kept' | 'dead' | 'nowhere' {
    const w = this.#world;
    if (w.box.taken.get(messageId)?.size) return 'taken';
    const kept = w.box.inner.suspended.get(messageId);
    if (kept) return kept.resolution?.kind === 'resubmitted' ? 'resubmitted' : 'kept';
    return w.receiveDlq.messages.some((m) => m.messageId === messageId) ? 'dead' : 'nowhere';
  }

  #violate(kind: Violation['kind'], detail: string): void {
    this.violations.push({ kind, detail });
  }
}
