/**
 * What an operator does, over the engine's own ports and adapters (no second data model): the web console and the
 * CLI both call this. Every action asks nothing twice of the engine: resume and terminate are the processing host's
 * own (conditional writes that respect a live lease), a resubmission claims its record before it sends one message
 * that the receive host takes once (core/resubmission.ts), and each action is written to the audit trail with its
 * outcome. The parts are in operations/: the search, the story of a key, suspended messages.
 */
import { OwnershipLost, remedyOf } from '../functions/core/errors.ts';
import type { InstanceState, SuspendedMessage } from '../functions/core/instance.ts';
import type { InboxEntry } from '../functions/core/message.ts';
import type { FlowLimits } from '../functions/core/message-flow.ts';
import type { HistoryPage } from '../functions/core/ports.ts';
import { endedKey } from '../functions/core/tracking.ts';
import type { AuditEntry } from './audit.ts';
import { discard, resubmit, sendAgain, type Resubmitted } from './operations/messages.ts';
import { newestFirst, search, searchAll } from './operations/search.ts';
import {
  activatingMessage,
  branchesOf,
  story,
  type ActivatingMessage,
  type Branch,
  type Story,
} from './operations/story.ts';
import {
  ACTIVE_STATUSES,
  type ActionResult,
  type ConsoleDeps,
  ENDED_STATUSES,
  type OperationContext,
  type Overview,
  type SearchPage,
  type SearchQuery,
} from './operations/types.ts';
import type { PeekedMessage, QueueDepth, Redrive } from './queues.ts';

export { shownStatus, type ShownStatus } from './operations/status.ts';
export type { ActivatingMessage, Branch, Story } from './operations/story.ts';
export {
  ACTIVE_STATUSES,
  ENDED_STATUSES,
  PAGE_SIZE,
  type ActionResult,
  type ConsoleDeps,
  type HostList,
  type HostSource,
  type HostView,
  type Overview,
  type SearchPage,
  type SearchQuery,
} from './operations/types.ts';

/** An instance as its page shows it: its state and inbox, the message that created it, the branches it forked. */
export interface InstanceDetails {
  readonly state: InstanceState;
  readonly inbox: InboxEntry[];
  readonly activating: ActivatingMessage;
  readonly branches: readonly Branch[];
}

/** A redrive, and how many messages its DLQ held when it started (as SQS counts them: approximately). */
export type RedriveResult = ActionResult & { redrive?: Redrive; held?: number };

/** Suspended messages a list shows at most. */
const LISTED_MESSAGES = 500;

export class Operations {
  readonly #d: ConsoleDeps;
  readonly #o: OperationContext;

  constructor(deps: ConsoleDeps) {
    this.#d = deps;
    this.#o = {
      deps,
      now: () => this.#now(),
      audit: (action, result) => this.#audit(action, result),
    };
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

  /**
   * Instances matching a query, newest first, a page at a time; a text (a business key, a message id, an instance id)
   * names the suspended messages that carry it too. The query names where its candidates come from.
   */
  search(query: SearchQuery): Promise<SearchPage> {
    return search(this.#d, this.#now(), query);
  }

  /** Every instance id a query matches (for a bulk action over a search result). */
  searchAll(query: SearchQuery): Promise<string[]> {
    return searchAll(this.#d, this.#now(), query);
  }

  async instance(instanceId: string): Promise<InstanceDetails | undefined> {
    const state = await this.#d.store.load(instanceId);
    if (!state) return undefined;
    const [inbox, branches] = await Promise.all([
      this.#d.store.deliveries(instanceId),
      branchesOf(this.#d, instanceId),
    ]);
    return { state, inbox, activating: activatingMessage(state, inbox), branches };
  }

  history(subject: string, after?: string, limit = 50): Promise<HistoryPage> {
    return this.#d.history.history(subject, { limit, after });
  }

  /**
   * The message flow of a business key, a message id or an instance id (or of several at once: an instance and its
   * keys), with its instances and its suspended messages as the MessageBox has them now.
   */
  flow(
    query: string | readonly string[],
    limits: FlowLimits = { maxSubjects: 50, maxEventsPerSubject: 500 },
  ): Promise<Story> {
    return story(this.#d, query, limits);
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

  /** The unresolved suspended messages, the last received first (of the first LISTED_MESSAGES the index gives). */
  async suspendedMessages(): Promise<SuspendedMessage[]> {
    // The list shows no body: large ones stay in the claim check until one is opened.
    return newestFirst(await this.#d.store.listSuspendedMessages(LISTED_MESSAGES, { bodies: false }));
  }

  suspendedMessage(messageId: string): Promise<SuspendedMessage | undefined> {
    return this.#d.store.suspendedMessage(messageId);
  }

  /** Resubmits a suspended message (as it is, or edited) to the receive queue, once: see operations/messages.ts. */
  resubmit(messageId: string, edit: { body?: string; messageType?: string } = {}): Promise<Resubmitted> {
    return resubmit(this.#o, messageId, edit);
  }

  /** Sends again the resubmission a suspended message's record names (a send that failed after the claim). */
  sendAgain(messageId: string): Promise<Resubmitted> {
    return sendAgain(this.#o, messageId);
  }

  discard(messageId: string, reason: string): Promise<ActionResult> {
    return discard(this.#o, messageId, reason);
  }

  queueDepths(): Promise<QueueDepth[]> {
    return this.#d.queues.depths();
  }

  /** How many messages a queue's DLQ holds, as SQS counts them (approximately); none for a queue it does not know. */
  async deadLetterCount(queue: string): Promise<number | undefined> {
    return (await this.#d.queues.depths()).find((q) => q.name === queue)?.dlq;
  }

  deadLetters(queue: string): Promise<PeekedMessage[]> {
    return this.#d.queues.peekDlq(queue);
  }

  /** Sends a DLQ's messages back to their queue, saying how many it held and how many moved. */
  async redrive(queue: string): Promise<RedriveResult> {
    let result: RedriveResult;
    const held = await this.deadLetterCount(queue).catch(() => undefined);
    const about = held === undefined ? '' : ` (the DLQ held about ${held})`;
    try {
      const redrive = await this.#d.queues.redrive(queue);
      result = {
        target: queue,
        outcome: 'done',
        redrive,
        ...(held === undefined ? {} : { held }),
        detail:
          redrive.how === 'StartMessageMoveTask'
            ? `move task ${redrive.taskHandle ?? ''} started${about}: SQS moves them in the background`
            : `${redrive.moved} message(s) moved${about}`,
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
