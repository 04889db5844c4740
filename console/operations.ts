/**
 * What an operator does, over the engine's own ports and adapters (no second data model): the web console and the
 * CLI both call this. Every action asks nothing twice of the engine: resume and terminate are the processing host's
 * own (conditional writes that respect a live lease), a resubmission claims its record before it sends one message
 * that the receive host takes once (core/resubmission.ts), and each action is written to the audit trail with its
 * outcome.
 */
import { randomUUID } from 'node:crypto';
import { isOffloaded, parsePointer, withoutSizeAttribute } from '../functions/adapters/extended-client.ts';
import { OwnershipLost, remedyOf } from '../functions/core/errors.ts';
import {
  InstanceStatus,
  type InstanceState,
  type MessageResolution,
  type SuspendedMessage,
} from '../functions/core/instance.ts';
import { messageFlow, type FlowLimits, type MessageFlow } from '../functions/core/message-flow.ts';
import type { HistoryPage, HistoryStore, InstanceStore } from '../functions/core/ports.ts';
import { RESUBMISSION_ID } from '../functions/core/resubmission.ts';
import { TRACE_ATTRIBUTE, traceOf } from '../functions/core/trace.ts';
import {
  activatedKey,
  endedKey,
  hourOf,
  instanceKey,
  messageKey,
  RESUBMITTED_FROM,
  subjectOfMessage,
  valueKey,
} from '../functions/core/tracking.ts';
import type { InboxEntry } from '../functions/core/message.ts';
import type { AuditEntry, AuditTrail } from './audit.ts';
import { resubmissionKey, type OperatorQueues, type PeekedMessage, type QueueDepth, type Redrive } from './queues.ts';

export const ACTIVE_STATUSES = [InstanceStatus.Running, InstanceStatus.Waiting, InstanceStatus.Suspended] as const;
export const ENDED_STATUSES = [InstanceStatus.Completed, InstanceStatus.Terminated] as const;

/** A host instance as the console shows it (locally, from the cluster; on Lambda, from the history). */
export interface HostView {
  readonly name: string;
  readonly status: string;
  readonly lastHeartbeat?: number;
  readonly workItems: number;
  readonly completed: number;
  readonly restarts?: number;
  readonly zone?: string;
}

/** The host instances the overview shows, and where they came from when that needs saying. */
export interface HostList {
  readonly hosts: readonly HostView[];
  /** Said under the list (on Lambda: which part of the history it was read from). */
  readonly basis?: string;
}

/** Where the host instances come from: the local cluster's processes, or a deployed stack's tracked history. */
export type HostSource = () => HostList | Promise<HostList>;

export interface ConsoleDeps {
  readonly store: InstanceStore & { countByStatus(statuses?: readonly string[]): Promise<Record<string, number>> };
  readonly history: HistoryStore;
  /** Resume and terminate, as the processing host does them. */
  readonly admin: {
    resume(instanceId: string): Promise<InstanceState>;
    terminate(instanceId: string, reason: string): Promise<InstanceState>;
  };
  /** What of the queues the operations use (OperatorQueues; a test's fake in memory). */
  readonly queues: Pick<OperatorQueues, 'depths' | 'peekDlq' | 'redrive' | 'send'>;
  /** Where each action is written (AuditTrail; a test's fake in memory). */
  readonly audit: Pick<AuditTrail, 'record' | 'recent'>;
  /** Who acts: the operator's name locally, their AWS identity against a deployed stack. */
  readonly operator: string;
  readonly hosts?: HostSource;
  readonly now?: () => number;
  /** The id of a new resubmission. @defaultValue randomUUID */
  readonly newId?: () => string;
}

export interface Overview {
  readonly counts: Record<string, number>;
  /** Completed and terminated in the last 24 hours (finished instances are not indexed: tracking counts them). */
  readonly ended24h: Record<string, number>;
  /** Active instances by orchestration@version and status (from the first `sample` of each status). */
  readonly byOrchestration: Record<string, Record<string, number>>;
  readonly sampled: number;
  readonly hosts: readonly HostView[];
  readonly hostsBasis?: string;
  readonly queues: readonly QueueDepth[];
}

export interface SearchQuery {
  /** A correlation value, a message id or an instance id. */
  readonly text?: string;
  /** A name, or name@version. */
  readonly orchestration?: string;
  readonly status?: string;
  readonly messageType?: string;
  /** Epoch ms: instances updated (or, without a status, activated) in this range. */
  readonly from?: number;
  readonly to?: number;
  readonly page?: number;
}

export interface SearchPage {
  readonly rows: readonly InstanceState[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  /** Where the candidates came from, said to the operator. */
  readonly basis: string;
  /** The search stopped at its limit: narrow it to see the rest. */
  readonly truncated: boolean;
}

export interface ActionResult {
  readonly target: string;
  readonly outcome: AuditEntry['outcome'];
  readonly detail?: string;
}

export const PAGE_SIZE = 25;
const MAX_CANDIDATES = 2_000;

export class Operations {
  readonly #d: ConsoleDeps;

  constructor(deps: ConsoleDeps) {
    this.#d = deps;
  }

  get operator(): string {
    return this.#d.operator;
  }

  #now(): number {
    return this.#d.now?.() ?? Date.now();
  }

  async overview(sample = 200): Promise<Overview> {
    const { store, queues } = this.#d;
    const [counts, ended24h, depths, lists, hosts] = await Promise.all([
      store.countByStatus([...ACTIVE_STATUSES, 'message']),
      this.#endedInLastDay(),
      queues.depths(),
      // What each is, not its state: a state kept in the claim check is not read on every refresh.
      Promise.all(ACTIVE_STATUSES.map((status) => store.listInstances(status, sample, { states: false }))),
      this.#d.hosts?.() ?? { hosts: [] },
    ]);
    const byOrchestration: Record<string, Record<string, number>> = {};
    for (const state of lists.flat()) {
      const row = (byOrchestration[`${state.orchestration}@${state.version}`] ??= {});
      row[state.status] = (row[state.status] ?? 0) + 1;
    }
    return {
      counts,
      ended24h,
      byOrchestration,
      sampled: sample,
      hosts: hosts.hosts,
      ...(hosts.basis ? { hostsBasis: hosts.basis } : {}),
      queues: depths,
    };
  }

  async #endedInLastDay(): Promise<Record<string, number>> {
    const now = this.#now();
    const result: Record<string, number> = {};
    for (const status of ENDED_STATUSES) {
      const hours = Array.from({ length: 24 }, (_, i) => endedKey(status, now - i * 3_600_000));
      result[status] = (await Promise.all(hours.map((key) => this.#d.history.countLinked(key)))).reduce(
        (a, b) => a + b,
        0,
      );
    }
    return result;
  }

  /** Instances matching a query, newest first, a page at a time. The query names where its candidates come from. */
  async search(query: SearchQuery): Promise<SearchPage> {
    const { store, history } = this.#d;
    const now = this.#now();
    const from = query.from ?? now - 24 * 3_600_000;
    const to = query.to ?? now;
    let states: InstanceState[];
    let basis: string;
    let truncated = false;
    if (query.text?.trim()) {
      const text = query.text.trim();
      const subjects = new Set<string>();
      for (const key of [valueKey(text), messageKey(text), instanceKey(text)])
        for (const s of await history.linked(key, MAX_CANDIDATES)) subjects.add(s);
      subjects.add(text);
      states = await this.#load([...subjects].filter((s) => !s.startsWith('message:')));
      basis = `instances "${text}" names (a correlation value, a message id or an instance id)`;
    } else if (query.status && (ACTIVE_STATUSES as readonly string[]).includes(query.status)) {
      states = await store.listInstances(query.status as InstanceStatus, MAX_CANDIDATES);
      truncated = states.length >= MAX_CANDIDATES;
      basis = `${query.status} instances (the status index)`;
    } else {
      const keys = hoursBetween(from, to).map((hour) =>
        query.status
          ? endedKey(query.status, Date.parse(`${hour}:00:00Z`))
          : activatedKey(Date.parse(`${hour}:00:00Z`)),
      );
      const subjects: string[] = [];
      for (const key of keys.reverse()) {
        subjects.push(...(await history.linked(key, MAX_CANDIDATES - subjects.length)));
        if (subjects.length >= MAX_CANDIDATES) {
          truncated = true;
          break;
        }
      }
      states = await this.#load(subjects);
      basis = query.status
        ? `instances ${query.status} between ${iso(from)} and ${iso(to)} (tracked)`
        : `instances activated between ${iso(from)} and ${iso(to)} (tracked)`;
    }
    const rows = states
      .filter((s) => matches(s, query, from, to))
      .sort((a, b) => b.updatedAt - a.updatedAt || a.instanceId.localeCompare(b.instanceId));
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    const page = Math.min(Math.max(1, query.page ?? 1), pages);
    return {
      rows: rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
      total: rows.length,
      page,
      pages,
      basis,
      truncated,
    };
  }

  /** Every instance id a query matches (for a bulk action over a search result). */
  async searchAll(query: SearchQuery): Promise<string[]> {
    const first = await this.search({ ...query, page: 1 });
    const ids = first.rows.map((r) => r.instanceId);
    for (let page = 2; page <= first.pages; page++)
      ids.push(...(await this.search({ ...query, page })).rows.map((r) => r.instanceId));
    return ids;
  }

  async #load(ids: readonly string[]): Promise<InstanceState[]> {
    const loaded = await Promise.all(ids.slice(0, MAX_CANDIDATES).map((id) => this.#d.store.load(id)));
    return loaded.filter((s): s is InstanceState => s !== undefined);
  }

  async instance(instanceId: string): Promise<{ state: InstanceState; inbox: InboxEntry[] } | undefined> {
    const state = await this.#d.store.load(instanceId);
    if (!state) return undefined;
    return { state, inbox: await this.#d.store.deliveries(instanceId) };
  }

  history(subject: string, after?: string, limit = 50): Promise<HistoryPage> {
    return this.#d.history.history(subject, { limit, after });
  }

  flow(query: string, limits: FlowLimits = { maxSubjects: 50, maxEventsPerSubject: 500 }): Promise<MessageFlow> {
    return messageFlow(this.#d.history, query, limits);
  }

  /** Resumes or terminates each instance, one at a time, each written to the audit trail with its outcome. */
  async act(action: 'resume' | 'terminate', instanceIds: readonly string[], reason = ''): Promise<ActionResult[]> {
    if (action === 'terminate' && !reason.trim()) throw new Error('a termination needs a reason');
    const results: ActionResult[] = [];
    for (const target of instanceIds) {
      let result: ActionResult;
      try {
        if (action === 'resume') await this.#d.admin.resume(target);
        else await this.#d.admin.terminate(target, `${reason.trim()} (by ${this.#d.operator})`);
        result = { target, outcome: 'done', ...(reason.trim() ? { detail: reason.trim() } : {}) };
      } catch (error) {
        result = { target, outcome: refused(error) ? 'refused' : 'failed', detail: (error as Error).message };
      }
      await this.#audit(action, result);
      results.push(result);
    }
    return results;
  }

  suspendedMessages(): Promise<SuspendedMessage[]> {
    // The list shows no body: large ones stay in the claim check until one is opened.
    return this.#d.store.listSuspendedMessages(500, { bodies: false });
  }

  suspendedMessage(messageId: string): Promise<SuspendedMessage | undefined> {
    return this.#d.store.suspendedMessage(messageId);
  }

  /**
   * Resubmits a suspended message (as it is, or edited) to the receive queue, once. The record is claimed first: one
   * conditional write names the resubmission (an id chosen now) and what it goes with, so of two operators (or two
   * clicks) one wins and the other is refused, sending nothing. Then it is sent, naming the original and itself; the
   * receive host takes it under that id, so any second copy of it is a redelivery (core/resubmission.ts). The original's
   * record stays, body and reason. A send that fails after the claim leaves the record naming a resubmission that was
   * not sent: `sendAgain` sends it.
   */
  async resubmit(
    messageId: string,
    edit: { body?: string; messageType?: string } = {},
  ): Promise<ActionResult & { newMessageId?: string }> {
    const original = await this.#d.store.suspendedMessage(messageId);
    let result: ActionResult & { newMessageId?: string };
    if (!original) result = { target: messageId, outcome: 'refused', detail: 'no such suspended message' };
    else if (original.resolution)
      result = { target: messageId, outcome: 'refused', detail: resolvedAlready(original.resolution) };
    else {
      const messageType = edit.messageType?.trim();
      const edited = edit.body !== undefined && edit.body !== original.body;
      const resolution: MessageResolution = {
        kind: 'resubmitted',
        by: this.#d.operator,
        at: this.#now(),
        resubmittedAs: (this.#d.newId ?? randomUUID)(),
        ...(edited ? { reason: 'edited', body: edit.body } : {}),
        ...(messageType && messageType !== original.attributes.MessageType ? { messageType } : {}),
      };
      if (!(await this.#d.store.resolveSuspendedMessage(messageId, resolution))) {
        const now = await this.#d.store.suspendedMessage(messageId, { bodies: false });
        result = {
          target: messageId,
          outcome: 'refused',
          detail: now?.resolution ? resolvedAlready(now.resolution) : 'no such suspended message',
        };
      } else result = await this.#sendResubmission(original, resolution);
    }
    await this.#audit('resubmit', result);
    return result;
  }

  /**
   * Sends again the resubmission a suspended message's record names, the same message (a send that failed, or a crash,
   * after the claim). Harmless if it was sent after all: the receive host takes a second copy as a redelivery. Refused
   * once its tracked history shows it arrived (no need; and long after, its instances may have expired).
   */
  async sendAgain(messageId: string): Promise<ActionResult & { newMessageId?: string }> {
    const original = await this.#d.store.suspendedMessage(messageId);
    const resolution = original?.resolution;
    let result: ActionResult & { newMessageId?: string };
    if (!original) result = { target: messageId, outcome: 'refused', detail: 'no such suspended message' };
    else if (resolution?.kind !== 'resubmitted' || !resolution.resubmittedAs)
      result = {
        target: messageId,
        outcome: 'refused',
        detail: resolution ? resolvedAlready(resolution) : 'it was not resubmitted: resubmit it',
      };
    else {
      const arrived = await this.#arrived(messageId, resolution.resubmittedAs);
      result = arrived
        ? {
            target: messageId,
            outcome: 'refused',
            detail: `resubmission ${resolution.resubmittedAs} arrived (${arrived}): nothing to send again`,
          }
        : await this.#sendResubmission(original, resolution);
    }
    await this.#audit('resubmit again', result);
    return result;
  }

  /** What shows that a resubmission reached the receive host, if anything does: a record of its own, or its history. */
  async #arrived(original: string, resubmission: string): Promise<string | undefined> {
    if (await this.#d.store.suspendedMessage(resubmission, { bodies: false })) return 'it was suspended in its turn';
    // The original's own record links to it from its claim: anything else is where it went.
    const went = (await this.#d.history.linked(messageKey(resubmission), 10)).filter(
      (subject) => subject !== subjectOfMessage(original),
    );
    return went.length > 0 ? `taken by ${went.join(', ')}` : undefined;
  }

  /**
   * The message a resubmission's record describes, sent to the receive queue: the same each time. A body too large to
   * send goes to the bucket under `inbound/<resubmission id>` and out as a pointer. A size attribute (an extended
   * client's: its body is a pointer) goes only with a pointer that came as one, unedited (the receive host follows it
   * again: its object may be back); never with a body the operator wrote, which the receive host would take for one.
   */
  async #sendResubmission(
    original: SuspendedMessage,
    resolution: MessageResolution,
  ): Promise<ActionResult & { newMessageId?: string }> {
    const id = resolution.resubmittedAs!;
    try {
      const pointer =
        resolution.body === undefined && isOffloaded(original.attributes) && parsePointer(original.body) !== undefined;
      const { MessageType: _type, [RESUBMITTED_FROM]: _from, [RESUBMISSION_ID]: _id, ...copied } = original.attributes;
      const kept = pointer ? copied : withoutSizeAttribute(copied);
      const messageType = resolution.messageType ?? original.attributes.MessageType;
      const attributes = {
        ...kept,
        ...(messageType ? { MessageType: messageType } : {}),
        // Its own trace unless the original brought one: every copy of it in the same one, as the engine derives it.
        ...(kept[TRACE_ATTRIBUTE] ? {} : { [TRACE_ATTRIBUTE]: traceOf({ messageId: id, properties: {} }) }),
        [RESUBMITTED_FROM]: original.messageId,
        [RESUBMISSION_ID]: id,
      };
      await this.#d.queues.send(
        'receive',
        resolution.body ?? original.body,
        attributes,
        pointer ? {} : { offloadAs: resubmissionKey(id) },
      );
      return {
        target: original.messageId,
        outcome: 'done',
        newMessageId: id,
        detail: `resubmitted as ${id}${resolution.reason ? ` (${resolution.reason})` : ''}`,
      };
    } catch (error) {
      return {
        target: original.messageId,
        outcome: 'failed',
        newMessageId: id,
        detail: `claimed as resubmission ${id}, but sending it failed: ${(error as Error).message}; send it again (baton resubmit ${original.messageId} --again, or the console's Send it again)`,
      };
    }
  }

  async discard(messageId: string, reason: string): Promise<ActionResult> {
    if (!reason.trim()) throw new Error('discarding a message needs a reason');
    const done = await this.#d.store.resolveSuspendedMessage(messageId, {
      kind: 'discarded',
      by: this.#d.operator,
      at: this.#now(),
      reason: reason.trim(),
    });
    const result: ActionResult = done
      ? { target: messageId, outcome: 'done', detail: reason.trim() }
      : { target: messageId, outcome: 'refused', detail: 'no such unresolved suspended message' };
    await this.#audit('discard', result);
    return result;
  }

  queueDepths(): Promise<QueueDepth[]> {
    return this.#d.queues.depths();
  }

  deadLetters(queue: string): Promise<PeekedMessage[]> {
    return this.#d.queues.peekDlq(queue);
  }

  async redrive(queue: string): Promise<ActionResult & { redrive?: Redrive }> {
    let result: ActionResult & { redrive?: Redrive };
    try {
      const redrive = await this.#d.queues.redrive(queue);
      result = {
        target: queue,
        outcome: 'done',
        redrive,
        detail:
          redrive.how === 'StartMessageMoveTask'
            ? `move task ${redrive.taskHandle ?? ''}`.trim()
            : `${redrive.moved} message(s) moved`,
      };
    } catch (error) {
      result = { target: queue, outcome: 'failed', detail: (error as Error).message };
    }
    await this.#audit('redrive', result);
    return result;
  }

  auditTrail(limit = 200): Promise<AuditEntry[]> {
    return this.#d.audit.recent({ limit, now: this.#now() });
  }

  async #audit(action: string, result: ActionResult): Promise<void> {
    await this.#d.audit.record({
      at: this.#now(),
      who: this.#d.operator,
      action,
      target: result.target,
      outcome: result.outcome,
      ...(result.detail ? { detail: result.detail } : {}),
    });
  }
}

/**
 * The engine said no for a reason an operator can act on (wrong status, a live lease, gone, an orchestration this
 * console was not given), not a failure.
 */
function refused(error: unknown): boolean {
  // Another host's live lease, or a write that lost to it: the operator may try again once it is done.
  return remedyOf(error) === 'refuse' || error instanceof OwnershipLost;
}

function resolvedAlready(resolution: MessageResolution): string {
  return `already ${resolution.kind}${resolution.resubmittedAs ? ` as ${resolution.resubmittedAs}` : ''} by ${resolution.by} at ${new Date(resolution.at).toISOString()}`;
}

function matches(state: InstanceState, query: SearchQuery, from: number, to: number): boolean {
  if (query.status && state.status !== query.status) return false;
  if (query.orchestration) {
    const [name, version] = query.orchestration.split('@');
    if (state.orchestration !== name || (version !== undefined && String(state.version) !== version)) return false;
  }
  if (query.messageType && !Object.values(state.messages).some((m) => m.messageType === query.messageType))
    return false;
  // A text search finds what it names, whenever it was; the others keep to the time range.
  if (!query.text && (state.updatedAt < from || state.createdAt > to)) return false;
  return true;
}

function hoursBetween(from: number, to: number): string[] {
  const hours: string[] = [];
  for (let t = Math.floor(from / 3_600_000) * 3_600_000; t <= to && hours.length < 24 * 31; t += 3_600_000)
    hours.push(hourOf(t));
  return hours;
}

function iso(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}
