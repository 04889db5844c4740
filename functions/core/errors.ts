import { describeIssues, type SchemaIssue } from './schema.ts';

/**
 * What a failure asks of whoever handles it (a host, the transport, an operator's tool):
 * - `retry`: the same work may succeed later, as it is (a message whose instance does not exist yet, a write that lost
 *   to another host, an outage): deliver it again, and never suspend anything for it;
 * - `suspend`: it will not, as it is (a bad message, a definition's code that throws): keep it aside, visible, with
 *   the error as its reason, for an operator;
 * - `refuse`: the caller asked for what does not apply (resume a running instance, an orchestration not deployed):
 *   tell them; nothing was written.
 */
export type Remedy = 'retry' | 'suspend' | 'refuse';

/**
 * Baton's errors say what the caller should do next (their `remedy`), and carry the context a caller needs. An error
 * Baton did not raise has no remedy of its own: see `remedyOf`.
 */
export abstract class BatonError extends Error {
  /** What the caller should do: `retry`, `suspend` or `refuse`. */
  abstract readonly remedy: Remedy;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BatonError';
  }
}

/**
 * The remedy an error asks for: a Baton error's own; `retry` for an outage (`isTransient`: throttled, a 5xx, a
 * connection that dropped); undefined for anything else (a bug, an error from a definition's code the engine did not
 * catch), which the hosts retry a few times and then suspend (see core/work-items.ts).
 */
export function remedyOf(error: unknown): Remedy | undefined {
  if (error instanceof BatonError) return error.remedy;
  return isTransient(error) ? 'retry' : undefined;
}

/**
 * An orchestration definition is malformed; raised when it is loaded, never at run time.
 *
 * @remarks
 * Its message names the orchestration (`name@version`) and lists every problem, one a line; `cdk synth` and the
 * local cluster fail with it before anything runs.
 */
export class DefinitionError extends BatonError {
  /** `refuse`: the definition must be fixed. */
  readonly remedy = 'refuse';
  /** Every problem found, each saying where (`steps[2].branches[0]: ...`). */
  readonly problems: string[];
  constructor(orchestration: string, problems: string[]) {
    super(`orchestration ${orchestration} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}

/** The inbound message cannot be accepted: it becomes a suspended message record with this reason. */
export class InvalidMessage extends BatonError {
  readonly remedy: Remedy = 'suspend';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'InvalidMessage';
  }
}

/** No subscription matches the message: it becomes a suspended message record, as in BizTalk. */
export class RoutingFailure extends BatonError {
  readonly remedy = 'suspend';
  readonly messageType: string;
  constructor(messageType: string) {
    super(`no subscription matches message type "${messageType}"`);
    this.name = 'RoutingFailure';
    this.messageType = messageType;
  }
}

/** An inbound body that does not match its message type's schema: suspended with every issue and its path. */
export class SchemaMismatch extends InvalidMessage {
  readonly messageType: string;
  readonly issues: readonly SchemaIssue[];
  constructor(messageType: string, issues: readonly SchemaIssue[]) {
    super(`${messageType} does not match its schema: ${describeIssues(issues)}`);
    this.name = 'SchemaMismatch';
    this.messageType = messageType;
    this.issues = issues;
  }
}

/** Every subscriber refused the message, each for its reason. */
export class Refused extends InvalidMessage {
  readonly refusals: readonly InvalidMessage[];
  constructor(refusals: readonly InvalidMessage[]) {
    super(refusals.map((r) => r.message).join('; '));
    this.name = 'Refused';
    this.refusals = refusals;
  }
}

/** A message for an instance that does not exist yet: left on the queue to come back later. */
export class UncorrelatedMessage extends BatonError {
  readonly remedy = 'retry';
  constructor(orchestration: string, set: string, value: string) {
    super(`no ${orchestration} instance has ${set}="${value}" yet; holding the message`);
    this.name = 'UncorrelatedMessage';
  }
}

/** Recorded as suspended, but left to fail so that SQS moves the intact original to the DLQ. */
export class OversizedMessage extends InvalidMessage {
  constructor(messageId: string) {
    super(`message ${messageId} is too large for the MessageBox; it is kept whole by the receive queue's DLQ`);
    this.name = 'OversizedMessage';
  }
}

/** What a write that lost its condition found in its place: the instance as it stood then. */
export interface Collision {
  readonly revision: number;
  readonly status: string;
  /** The lease it found: which host instance held it, and until when (epoch ms). */
  readonly lease?: { readonly owner: string; readonly expiresAt: number };
}

/**
 * A conditional write lost: another host holds the lease or committed first (its revision moved on), or the instance
 * is gone. The loser must drop its in-memory work; nothing it computed has left the host. Another delivery of the
 * work reads what the winner left.
 */
export class OwnershipLost extends BatonError {
  readonly remedy = 'retry';
  readonly instanceId: string;
  readonly expectedRevision: number;
  /** What the write collided with, when the store said (DynamoDB returns the item a condition failed on). */
  readonly collided?: Collision;
  constructor(instanceId: string, expectedRevision: number, options?: { cause?: unknown; collided?: Collision }) {
    super(
      `instance ${instanceId} is no longer at revision ${expectedRevision} or its lease is held by another host${collisionText(options?.collided)}`,
      options,
    );
    this.name = 'OwnershipLost';
    this.instanceId = instanceId;
    this.expectedRevision = expectedRevision;
    if (options?.collided) this.collided = options.collided;
  }
}

function collisionText(collided: Collision | undefined): string {
  if (!collided) return '';
  const until = Number.isFinite(collided.lease?.expiresAt) ? new Date(collided.lease!.expiresAt).toISOString() : '?';
  const lease = collided.lease ? `, leased to ${collided.lease.owner} until ${until}` : '';
  return `: it is ${collided.status} at revision ${collided.revision}${lease}`;
}

/**
 * A definition's own code failed (a step past its retry policy, a condition, a message body, a duration): the
 * instance is suspended (resumable), with this as its reason, where the shape that failed is named.
 */
export class DefinitionCodeFailed extends BatonError {
  readonly remedy = 'suspend';
  readonly shapeId: string;
  constructor(reason: string, shapeId: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'DefinitionCodeFailed';
    this.shapeId = shapeId;
  }

  /** A step that failed each of its `attempts`, the last time with `cause`. */
  static afterAttempts(shapeId: string, attempts: number, cause: unknown): DefinitionCodeFailed {
    return new DefinitionCodeFailed(
      `step "${shapeId}" failed after ${attempts} attempt(s): ${describeError(cause)}`,
      shapeId,
      { cause },
    );
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The most characters a reason keeps where it is stored (a suspended or terminated instance, a suspended message) and
 * tracked: enough for an error and its context, or a schema's issues (MAX_ISSUES of them). A reason is text from
 * outside (an exception's message, a message type, a correlation value): unbounded, it would not fit the item that
 * keeps it, nor the history's (DynamoDB takes 400 KB an item), and the write would fail every retry.
 */
export const MAX_REASON_CHARS = 4_096;

/**
 * A reason as it is kept: itself up to `max` characters; a longer one cut, saying so and how long it was (the whole
 * text may still go to the logs). Cutting again changes nothing.
 */
export function boundReason(reason: string, max: number = MAX_REASON_CHARS): string {
  if (reason.length <= max) return reason;
  const note = ` … [cut: ${reason.length} characters in all]`;
  let head = reason.slice(0, Math.max(0, max - note.length));
  // Never half of a surrogate pair: the rest would not be valid UTF-8.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head + note;
}

/**
 * An object the MessageBox refers to (a claim-checked state, message or body) and the object store does not hold: it
 * was deleted once its item moved on, and the store reads the item again to find what replaced it. It has no remedy
 * of its own (see `remedyOf`): met again, it is a race run twice (retried) or an object lost for good, which no remedy
 * fits better than the hosts' retries and then a suspension.
 */
export class PayloadMissing extends Error {
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super(`claim-checked object ${key} is missing`, options);
    this.name = 'PayloadMissing';
    this.key = key;
  }
}

/**
 * A work item still running shortly before its host's time limit: reported failed so its batch-mates are not
 * delivered again with it; it is delivered again alone (and the instance's count of runs suspends it if it hangs).
 */
export class StillRunningAtDeadline extends BatonError {
  readonly remedy = 'retry';
  readonly instanceId: string;
  constructor(instanceId: string, remainingMs: number) {
    super(
      `work item for ${instanceId} still running ${remainingMs} ms before the host's time limit; reported failed so its batch-mates are not redelivered`,
    );
    this.name = 'StillRunningAtDeadline';
    this.instanceId = instanceId;
  }
}

export class InstanceNotFound extends BatonError {
  readonly remedy = 'refuse';
  constructor(instanceId: string) {
    super(`no instance ${instanceId} in the MessageBox`);
    this.name = 'InstanceNotFound';
  }
}

/** An admin operation that does not apply to the instance's status (resume a running one, say). */
export class InvalidTransition extends BatonError {
  readonly remedy = 'refuse';
  constructor(instanceId: string, status: string, operation: string) {
    super(`cannot ${operation} instance ${instanceId}: it is ${status}`);
    this.name = 'InvalidTransition';
  }
}

/**
 * An admin operation needs the definition of an orchestration this host does not have: to name an instance's
 * parallel branch instances (terminate), or to start an orchestration its outbox starts (resume). Refused before
 * anything is written or sent. On a host this means the orchestration is not deployed there; an operator's console
 * or CLI lacks it when it was not given the module the hosts run.
 */
export class UnknownOrchestration extends BatonError {
  readonly remedy = 'refuse';
  readonly orchestration: string;
  readonly version?: number;
  constructor(message: string, orchestration: string, version?: number) {
    super(message);
    this.name = 'UnknownOrchestration';
    this.orchestration = orchestration;
    this.version = version;
  }
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Whether an error says the infrastructure was out of reach for a while (throttled, a 5xx, a connection that dropped
 * or timed out), not that the work is wrong: what the AWS SDK v3 puts on its errors (`$retryable`, `$metadata`, the
 * error's name), read without importing it, through the causes Baton wraps it in.
 */
export function isTransient(error: unknown): boolean {
  for (
    let e = error as
        | {
            name?: unknown;
            code?: unknown;
            $retryable?: unknown;
            $metadata?: { httpStatusCode?: number };
            cause?: unknown;
          }
        | undefined,
      depth = 0;
    e && typeof e === 'object' && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (e.$retryable !== undefined || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
    if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  }
  return false;
}
