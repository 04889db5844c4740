/** What the operations are given and what they answer (console/operations.ts), apart so each part can import them. */
import { InstanceStatus, type InstanceState, type SuspendedMessage } from '../../functions/core/instance.ts';
import type { HistoryStore, InstanceStore } from '../../functions/core/ports.ts';
import type { AuditEntry, AuditTrail } from '../audit.ts';
import type { OperatorQueues, QueueDepth } from '../queues.ts';

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
  /** The id of a new resubmission. @default randomUUID */
  readonly newId?: () => string;
}

/** What each part of the operations works with: the deps, the time, and the audit trail every action is written to. */
export interface OperationContext {
  readonly deps: ConsoleDeps;
  now(): number;
  audit(action: string, result: ActionResult): Promise<void>;
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
  /** A business key (a correlation value), a message id or an instance id. */
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
  /** For a text search: the suspended messages it names (by their business key or their id), newest first. */
  readonly messages?: readonly SuspendedMessage[];
}

export interface ActionResult {
  readonly target: string;
  readonly outcome: AuditEntry['outcome'];
  readonly detail?: string;
}

export const PAGE_SIZE = 25;
/** A search reads at most this many candidates. */
export const MAX_CANDIDATES = 2_000;
