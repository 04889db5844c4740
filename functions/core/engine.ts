import {
  END,
  DEFAULT_RETRY,
  type CompiledOrchestration,
  type DelayShape,
  type MessageSchemas,
  type ProgramShape,
  type ReceiveShape,
} from './definition.ts';
import type { StepContext } from './context.ts';
import { StepFailed, boundReason, describeError } from './errors.ts';
import { activationInstanceId, branchInstanceId, convoyInstanceId, outboundMessageId } from './ids.ts';
import { InstanceStatus, type InstanceState, type JoinEntry, type OutboxEntry, type Thread } from './instance.ts';
import { bodyLeft, type InboundMessage, type InboxEntry } from './message.ts';
import { conform, describeIssues, type Schema } from './schema.ts';
import { completed, concat, newestFirst, takeNext } from './compensable.ts';
import { traceOf } from './trace.ts';

/** Why a run stopped: each is a persistence point except `needsLease`. */
export type StopReason =
  | 'completed'
  | 'terminated'
  /** A `persistAfter` step finished, or a run went long (see MAX_SHAPES_PER_RUN); more to run. */
  | 'checkpoint'
  | 'suspended'
  /** A later receive has no matching message yet: the instance dehydrates until one is delivered. */
  | 'waiting'
  /** The next step is exclusive: the host must claim the lease before running it. */
  | 'needsLease';

export interface RunResult {
  /** The state to persist. Its revision is the one read; the store sets the next. */
  readonly state: InstanceState;
  readonly stop: StopReason;
  readonly shapesRun: number;
}

export interface RunOptions {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** True when the caller holds the lease, so exclusive steps may run. */
  readonly holdsLease: boolean;
  /** The revision the lease was last written at, handed to exclusive steps (see `StepContext.fencingToken`). */
  readonly fencingToken?: number;
  /** Reads the messages delivered to this instance (oldest first, consumed or not); called only at a receive or listen. */
  readonly inbox?: () => Promise<readonly InboxEntry[]>;
  /** Reads a message of the inbox whole, for a receive that takes one listed without its body; undefined once it left. */
  readonly whole?: (entry: InboxEntry) => Promise<InboundMessage | undefined>;
  /**
   * Which of these messages the instance already settled (see `InstanceStore.settle`): asked of a message about to be
   * taken that `consumed` no longer lists, since a copy SQS brought back while it was being settled may lie in the inbox.
   */
  readonly settled?: (messageIds: readonly string[]) => Promise<ReadonlySet<string>>;
  /** The branch instances of the fork the instance waits on (see `forkedBranches`), as stored now. */
  readonly branches?: readonly InstanceState[];
  /**
   * Schemas of every deployed message type (the registry), for outbound bodies: a type this orchestration
   * only names may be declared with a schema elsewhere, and a Start shape's body is the started
   * orchestration's activating message. @default this orchestration's own schemas
   */
  readonly schemas?: MessageSchemas;
}

/** Ids of the branch instances an instance waits on at a Parallel Actions join, if it is at one. */
export function forkedBranches(orchestration: CompiledOrchestration, state: InstanceState): string[] {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  const shape = thread ? orchestration.shapes.get(thread.at) : undefined;
  if (thread?.fork === undefined || shape?.kind !== 'parallel') return [];
  return shape.branches.map((b) => branchInstanceId(state.instanceId, thread.fork!, b.name, state.incarnation));
}

/** A branch instance has ended (and will not change again): completed, or terminated. */
export function branchEnded(branch: InstanceState | undefined): boolean {
  return branch?.status === InstanceStatus.Completed || branch?.status === InstanceStatus.Terminated;
}

/** The key of a message in a correlation set, if the set reads one from its type. */
export function correlationValue(
  orchestration: CompiledOrchestration,
  set: string,
  message: InboundMessage,
): string | undefined {
  const read = orchestration.correlationSets[set]?.[message.messageType];
  let value: unknown;
  try {
    value = read?.(message);
  } catch {
    // A key function written for validated bodies, given a body stored before its type had a schema: no key.
    return undefined;
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The definition's own code threw (a condition, a message body, a duration): the instance is suspended. */
class DefinitionCodeFailed extends Error {
  readonly shapeId: string;
  constructor(reason: string, shapeId: string) {
    super(reason);
    this.shapeId = shapeId;
  }
}

/** What a branch instance dispatches when it ends: a wake-up for its orchestration's join, once its siblings ended. */
export function wakeJoin(branch: InstanceState, orchestration: CompiledOrchestration | undefined): JoinEntry {
  const of = branch.branchOf!;
  const shape = orchestration?.shapes.get(of.parallel);
  if (shape?.kind !== 'parallel') return { kind: 'join', instanceId: of.instanceId };
  const siblings = shape.branches
    .filter((b) => b.name !== of.branch)
    .map((b) => branchInstanceId(of.instanceId, of.fork, b.name, of.incarnation));
  return { kind: 'join', instanceId: of.instanceId, siblings, fork: of.fork };
}

/** Shapes one run may execute before it persists and continues (a checkpoint). */
export const MAX_SHAPES_PER_RUN = 1_000;

/** The first state of an instance activated by `message`: the message is bound, the cursor after the receive. */
export function activate(orchestration: CompiledOrchestration, message: InboundMessage, now: number): InstanceState {
  const set = orchestration.activation.correlation;
  const key = set === undefined ? undefined : correlationValue(orchestration, set, message);
  const instanceId =
    set !== undefined && key !== undefined
      ? convoyInstanceId(orchestration.name, set, key)
      : activationInstanceId(orchestration.name, message.messageId);
  return {
    instanceId,
    orchestration: orchestration.name,
    version: orchestration.version,
    status: InstanceStatus.Running,
    cursor: { threads: [{ id: 'main', at: orchestration.next.get(orchestration.activation.id)!, attempts: 0 }] },
    vars: {},
    messages: { [orchestration.activation.into]: message },
    correlations: set !== undefined && key !== undefined ? { [set]: key } : {},
    // A convoy's id can be made again once this one expired: what it makes carries when it was made.
    ...(set !== undefined && key !== undefined ? { incarnation: now.toString(36) } : {}),
    consumed: [message.messageId],
    outbox: [],
    sendSequence: 0,
    causationId: message.messageId,
    trace: traceOf(message),
    revision: 0,
    failovers: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Runs an instance from its cursor to the next persistence point. Pure with respect to the outside world:
 * sends are only appended to the outbox of the returned state, so a run that is never committed leaves
 * no trace. Step code must be deterministic given the state (or exclusive, see CodeShape).
 */
export async function run(
  orchestration: CompiledOrchestration,
  current: InstanceState,
  options: RunOptions,
): Promise<RunResult> {
  const vars = structuredClone(current.vars) as Record<string, unknown>;
  const outbox: OutboxEntry[] = [];
  let sendSequence = current.sendSequence;
  const messages = { ...current.messages };
  const consumed = [...(current.consumed ?? [])];
  let causationId = current.causationId;
  let compensable = [...(current.compensable ?? [])];
  let forks = current.forks ?? 0;
  let thread: Thread = current.cursor.threads.find((t) => t.id === 'main') ?? { id: 'main', at: END, attempts: 0 };
  let shapesRun = 0;

  const context = (exclusive = false): StepContext => ({
    ...(exclusive && options.holdsLease ? { fencingToken: options.fencingToken } : {}),
    instanceId: current.instanceId,
    orchestration: current.orchestration,
    version: current.version,
    vars,
    now: options.now(),
    message: (name) => {
      const message = messages[name];
      if (!message) throw new Error(`no message bound to "${name}"`);
      return message;
    },
  });

  /**
   * A step failed (past its retries) or threw. The innermost enclosing scope with an error handler takes
   * over; with none, the instance is suspended with the reason. Returns the result to return, if any.
   */
  const fail = (text: string, shapeId: string): RunResult | undefined => {
    // An exception's message may be of any size: what the instance keeps of it (lastError, its error) is bounded.
    const reason = boundReason(text);
    const scopes = thread.scopes ?? [];
    for (let i = scopes.length - 1; i >= 0; i--) {
      const handler = orchestration.branchEntry.get(scopes[i]!)?.get('onError');
      if (handler === undefined) continue;
      vars.lastError = reason;
      thread = { ...thread, at: handler, attempts: 0, scopes: scopes.slice(0, i) };
      shapesRun++;
      return undefined;
    }
    if (current.branchOf?.handled) {
      // The orchestration has a handler around the Parallel Actions: the branch ends and the join raises it.
      const error = `branch "${current.branchOf.branch}" failed: ${reason}`;
      outbox.push(wakeJoin(current, orchestration));
      return finish('completed', { error: { reason: error, shapeId, at: options.now() } });
    }
    return finish('suspended', { error: { reason, shapeId, at: options.now() } });
  };

  const schemaOf = (type: string | undefined): Schema | undefined =>
    type === undefined ? undefined : options.schemas ? options.schemas.schemaOf(type) : orchestration.schemas.get(type);

  /**
   * Validates an outbound body against its type's schema. A body that does not match fails the step like a
   * failed code step (the scope's handler, else suspended): it is deterministic, so it is not retried.
   */
  const conformOutbound = async (
    type: string | undefined,
    body: unknown,
    shapeId: string,
    what: string,
  ): Promise<{ body: unknown; output: unknown } | { failed: string }> => {
    const schema = schemaOf(type);
    if (!schema) return { body, output: body };
    let result;
    try {
      result = await conform(schema, body);
    } catch (error) {
      throw new DefinitionCodeFailed(`${what}: the schema of ${type} threw: ${describeError(error)}`, shapeId);
    }
    return result.ok
      ? { body, output: result.value }
      : { failed: `${what}: the ${type} it built does not match its schema: ${describeIssues(result.issues)}` };
  };

  let inbox: readonly InboxEntry[] | undefined;
  /** Messages of the inbox that left it between the listing and their reading (another host took them): passed over. */
  const gone = new Set<string>();
  /** The key a message was delivered under for a set: read at delivery, else (an older delivery, whole) from its body. */
  const keyOf = (m: InboxEntry, set: string) =>
    m.keys?.[set] ?? (bodyLeft(m) ? undefined : correlationValue(orchestration, set, m));
  /** The oldest delivered, unconsumed message a receive takes: its type, with the instance's key; read whole. */
  const findDelivery = async (receive: ReceiveShape): Promise<InboundMessage | undefined> => {
    const expected = current.correlations?.[receive.correlation!];
    inbox ??= (await options.inbox?.()) ?? [];
    for (;;) {
      const found = inbox.find(
        (m) =>
          // A message delivered to an earlier instance of the same id (a convoy whose predecessor expired) is not this one's.
          (m.incarnation === undefined || m.incarnation === current.createdAt) &&
          m.messageType === receive.messageType &&
          !consumed.includes(m.messageId) &&
          !gone.has(m.messageId) &&
          expected !== undefined &&
          keyOf(m, receive.correlation!) === expected,
      );
      if (!found) return undefined;
      if (options.settled && (await options.settled([found.messageId])).has(found.messageId)) {
        // A copy of a message taken before: counted as consumed, so it is settled (removed) after this commit.
        consumed.push(found.messageId);
        continue;
      }
      if (!bodyLeft(found)) return found;
      const whole = await options.whole?.(found);
      if (whole) return whole;
      gone.add(found.messageId);
    }
  };

  /**
   * What `consumed` must keep: the activating message (index 0, which a redelivered activation is recognised by) and
   * the messages still in the inbox. Those the inbox no longer holds were settled: their records stand for them.
   */
  const stillConsumed = (): string[] => {
    if (inbox === undefined) return consumed;
    const held = new Set(inbox.map((m) => m.messageId));
    return consumed.filter((id, i) => (i === 0 && !current.branchOf) || held.has(id));
  };

  /**
   * Runs a piece of the definition's own code (a condition, a message body, a duration). If it throws, the
   * definition is at fault, not the moment: the instance is suspended with the reason (see the loop's catch).
   */
  const evaluate = <T>(what: string, shapeId: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw new DefinitionCodeFailed(`${what}: ${describeError(error)}`, shapeId);
    }
  };

  /** Starts the thread's timer for a delay (or a listen's timeout) unless it is already running. */
  const startTimer = (trigger: DelayShape): void => {
    if (thread.timerDue !== undefined) return;
    const ms = evaluate(`delay "${trigger.id}" could not compute its duration`, trigger.id, () =>
      typeof trigger.duration === 'function' ? trigger.duration(context()) : trigger.duration,
    );
    thread = { ...thread, timerDue: options.now() + Math.max(0, ms) };
  };

  /** Entry of the next compensation to run, or where the Compensate shape continues when all ran. */
  const nextCompensation = (): string => {
    const next = takeNext(thread.compensating ?? []);
    if (next === undefined) {
      const { compensating: _c, returnTo, ...plain } = thread;
      thread = plain;
      return returnTo ?? END;
    }
    thread = { ...thread, compensating: next.rest };
    return orchestration.branchEntry.get(next.scope)!.get('compensation')!;
  };

  const finish = (stop: StopReason, extra: Partial<InstanceState> = {}): RunResult => ({
    stop,
    shapesRun,
    state: {
      ...current,
      status:
        stop === 'completed'
          ? InstanceStatus.Completed
          : stop === 'terminated'
            ? InstanceStatus.Terminated
            : stop === 'suspended'
              ? InstanceStatus.Suspended
              : stop === 'waiting'
                ? InstanceStatus.Waiting
                : InstanceStatus.Running,
      cursor: { threads: [thread] },
      vars,
      messages,
      consumed: stillConsumed(),
      causationId,
      compensable,
      outbox,
      sendSequence,
      forks,
      updatedAt: options.now(),
      ...extra,
      ...(extra.error ? { error: { ...extra.error, reason: boundReason(extra.error.reason) } } : {}),
    },
  });

  /**
   * Sends and starts are persisted before the instance ends, in a commit of their own (a persistence point, as BizTalk
   * persists after a send): once finished, nothing but its work item's redelivery would bring back a dispatch its host
   * died before, and SQS may have deleted that item with a copy another host took. Running, the instance is due, and
   * the sweeper brings it back. So a run that would end with sends still to go out stops here first.
   */
  const endsAfterSends = () => outbox.some((e) => e.kind === 'send' || e.kind === 'start');

  while (thread.at !== END) {
    // A loop with no wait in it must not keep one host in one run forever: persist and go on.
    if (shapesRun >= MAX_SHAPES_PER_RUN) return finish('checkpoint');
    const key = thread.at;
    const shape: ProgramShape | undefined = orchestration.shapes.get(key);
    if (!shape) {
      return finish('suspended', { error: { reason: `cursor points at unknown shape "${key}"`, at: options.now() } });
    }
    const after = () => orchestration.next.get(key)!;
    const entry = (branch: string) => orchestration.branchEntry.get(key)!.get(branch)!;
    const advanceTo = (at: string) => {
      thread = { ...thread, at, attempts: 0 };
      shapesRun++;
    };
    try {
      switch (shape.kind) {
        case 'receive': {
          if (shape.activate) {
            // It ran when the receive host created the instance.
            advanceTo(after());
            break;
          }
          const match = await findDelivery(shape);
          if (!match) return finish('waiting');
          messages[shape.into] = match;
          consumed.push(match.messageId);
          causationId = match.messageId;
          advanceTo(after());
          break;
        }
        case 'code': {
          if (shape.exclusive && !options.holdsLease) return finish('needsLease');
          const policy = shape.retry ?? DEFAULT_RETRY;
          let attempt = thread.attempts;
          let failed: string | undefined;
          for (;;) {
            attempt++;
            try {
              await shape.run(context(shape.exclusive));
              break;
            } catch (error) {
              if (attempt >= policy.attempts) {
                const failure = new StepFailed(shape.id, attempt, error);
                thread = { ...thread, attempts: 0 };
                failed = failure.message;
                break;
              }
              await options.sleep(policy.backoffMs * 2 ** (attempt - 1));
            }
          }
          if (failed !== undefined) {
            const stop = fail(failed, key);
            if (stop) return stop;
            break;
          }
          advanceTo(after());
          if (shape.persistAfter && thread.at !== END) return finish('checkpoint');
          break;
        }
        case 'decide': {
          const chosen = evaluate(
            `decide "${shape.id}" failed`,
            key,
            () => shape.branches.find((branch) => branch.when(context()))?.name ?? 'otherwise',
          );
          advanceTo(entry(chosen));
          break;
        }
        case 'send': {
          const built = evaluate(`send "${shape.id}" could not build its message`, key, () => shape.body(context()));
          const checked = await conformOutbound(shape.messageType, built, key, `send "${shape.id}"`);
          if ('failed' in checked) {
            const stop = fail(checked.failed, key);
            if (stop) return stop;
            break;
          }
          // On the wire goes what was built and validated (the type's input shape): a receiver validates it
          // with the same schema, which a transformed output would no longer match.
          const body = checked.body;
          sendSequence++;
          outbox.push({
            kind: 'send',
            messageId: outboundMessageId(current.instanceId, sendSequence, current.incarnation),
            port: shape.port,
            messageType: shape.messageType,
            body,
            instanceId: current.instanceId,
            correlationId: causationId,
            ...(current.trace ? { trace: current.trace } : {}),
          });
          advanceTo(after());
          break;
        }
        case 'start': {
          const built = evaluate(`start "${shape.id}" could not build its message`, key, () => shape.body(context()));
          const messageType = options.schemas?.activationTypeOf(shape.orchestration);
          const checked = await conformOutbound(messageType, built, key, `start "${shape.id}"`);
          if ('failed' in checked) {
            const stop = fail(checked.failed, key);
            if (stop) return stop;
            break;
          }
          // The started orchestration takes it as its receive host would hand it over: the schema's output.
          const body = checked.output;
          // Numbered with the sends: one sequence gives every outgoing message a stable id.
          sendSequence++;
          outbox.push({
            kind: 'start',
            messageId: outboundMessageId(current.instanceId, sendSequence, current.incarnation),
            orchestration: shape.orchestration,
            messageType,
            body,
            instanceId: current.instanceId,
          });
          advanceTo(after());
          break;
        }
        case 'call':
          advanceTo(entry('body'));
          break;
        case 'delay': {
          startTimer(shape);
          if (thread.timerDue! > options.now()) return finish('waiting');
          const { timerDue: _done, ...rest } = thread;
          thread = rest;
          advanceTo(after());
          break;
        }
        case 'listen': {
          const taken = (branch: string, bind?: InboundMessage, into?: string) => {
            if (bind && into) {
              messages[into] = bind;
              consumed.push(bind.messageId);
              causationId = bind.messageId;
            }
            const { timerDue: _cleared, ...rest } = thread;
            thread = rest;
            advanceTo(entry(branch));
          };
          const candidates = await Promise.all(
            shape.branches
              .filter((b) => b.trigger.kind === 'receive')
              .map(async (b) => ({ branch: b, message: await findDelivery(b.trigger as ReceiveShape) })),
          );
          const byMessage = candidates
            .filter((c) => c.message !== undefined)
            .sort((a, b) => a.message!.receivedAt - b.message!.receivedAt)[0];
          if (byMessage) {
            taken(byMessage.branch.name, byMessage.message, (byMessage.branch.trigger as ReceiveShape).into);
            break;
          }
          const timeout = shape.branches.find((b) => b.trigger.kind === 'delay');
          if (timeout) {
            startTimer(timeout.trigger as DelayShape);
            if (thread.timerDue! <= options.now()) {
              taken(timeout.name);
              break;
            }
          }
          return finish('waiting');
        }
        case 'parallel': {
          if (thread.fork === undefined) {
            // Fork: each branch becomes a branch instance, created by the outbox once this commit lands.
            forks++;
            const handled =
              (thread.scopes ?? []).some((s) => orchestration.branchEntry.get(s)?.has('onError')) ||
              current.branchOf?.handled === true;
            const now = options.now();
            for (const branch of shape.branches) {
              const instanceId = branchInstanceId(current.instanceId, forks, branch.name, current.incarnation);
              outbox.push({
                kind: 'fork',
                branch: {
                  instanceId,
                  orchestration: current.orchestration,
                  version: current.version,
                  status: InstanceStatus.Running,
                  cursor: { threads: [{ id: 'main', at: entry(branch.name), attempts: 0 }] },
                  correlations: {},
                  ...(current.trace ? { trace: current.trace } : {}),
                  consumed: [],
                  outbox: [],
                  sendSequence: 0,
                  causationId,
                  revision: 0,
                  failovers: 0,
                  branchOf: {
                    instanceId: current.instanceId,
                    parallel: key,
                    fork: forks,
                    branch: branch.name,
                    handled,
                    watched: true,
                    ...(current.incarnation ? { incarnation: current.incarnation } : {}),
                  },
                  createdAt: now,
                  updatedAt: now,
                },
              });
            }
            thread = { ...thread, fork: forks };
            return finish('waiting');
          }
          // Join: continue only when every branch instance ended (a fenced commit, so exactly once).
          const ended = shape.branches.map((branch) => {
            const id = branchInstanceId(current.instanceId, thread.fork!, branch.name, current.incarnation);
            return (options.branches ?? []).find((b) => b.instanceId === id && branchEnded(b));
          });
          if (ended.some((b) => b === undefined)) return finish('waiting');
          const atFork = structuredClone(vars);
          const errors: string[] = [];
          for (const result of ended as InstanceState[]) {
            // Only what the branch changed is applied, in branch order: branches that touch different
            // variables never overwrite each other.
            for (const name of new Set([...Object.keys(atFork), ...Object.keys(result.vars)])) {
              if (!(name in result.vars)) delete vars[name];
              else if (JSON.stringify(result.vars[name]) !== JSON.stringify(atFork[name]))
                vars[name] = structuredClone(result.vars[name]);
            }
            compensable = concat(compensable, result.compensable ?? []);
            // A branch that failed into a handler, or was terminated, ended with its error.
            if (result.error !== undefined) errors.push(result.error.reason);
          }
          // Branch instances expire by themselves; those an earlier version kept for their join are let go here.
          const kept = (ended as InstanceState[]).filter((b) => b.awaitsRetire).map((b) => b.instanceId);
          if (kept.length > 0) outbox.push({ kind: 'retire', instanceIds: kept });
          const { fork: _joined, ...rest } = thread;
          thread = rest;
          if (errors.length > 0) {
            const stop = fail(errors.join('; '), key);
            if (stop) return stop;
            break;
          }
          advanceTo(after());
          break;
        }
        case 'branchEnd': {
          if (current.branchOf?.parallel !== shape.parallel) {
            return finish('suspended', {
              error: {
                reason: `reached the end of a branch of "${shape.parallel}" outside of it`,
                shapeId: key,
                at: options.now(),
              },
            });
          }
          if (endsAfterSends()) return finish('checkpoint');
          advanceTo(END);
          outbox.push(wakeJoin(current, orchestration));
          return finish('completed', { error: undefined });
        }
        case 'loop': {
          const again = evaluate(`loop "${shape.id}" failed`, key, () => shape.while(context()));
          advanceTo(again ? entry('body') : after());
          break;
        }
        case 'throw': {
          let message: string;
          try {
            message = shape.error(context());
          } catch (error) {
            message = describeError(error);
          }
          const stop = fail(`thrown by "${shape.id}": ${message}`, key);
          if (stop) return stop;
          break;
        }
        case 'scope':
          thread = { ...thread, scopes: [...(thread.scopes ?? []), key] };
          advanceTo(entry('body'));
          break;
        case 'scopeEnd': {
          thread = { ...thread, scopes: (thread.scopes ?? []).filter((s) => s !== shape.scope) };
          if (orchestration.branchEntry.get(shape.scope)!.has('compensation'))
            compensable = completed(compensable, shape.scope);
          advanceTo(after());
          break;
        }
        case 'compensate': {
          // Newest first; each completion is compensated once.
          const pending = newestFirst(compensable);
          compensable = [];
          thread = { ...thread, compensating: pending, returnTo: after() };
          advanceTo(nextCompensation());
          break;
        }
        case 'compensated':
          advanceTo(nextCompensation());
          break;
        case 'terminate': {
          if (endsAfterSends()) return finish('checkpoint');
          let reason = 'terminated';
          try {
            reason = shape.reason(context());
          } catch (error) {
            reason = describeError(error);
          }
          advanceTo(END);
          return finish('terminated', {
            error: { reason: `terminated by "${shape.id}": ${reason}`, shapeId: key, at: options.now() },
          });
        }
        case 'complete':
          if (endsAfterSends()) return finish('checkpoint');
          advanceTo(END);
          break;
      }
    } catch (error) {
      if (!(error instanceof DefinitionCodeFailed)) throw error;
      return finish('suspended', { error: { reason: error.message, shapeId: error.shapeId, at: options.now() } });
    }
  }
  // At the end: persisted first, then ended by the next run, which starts here with nothing to send.
  if (endsAfterSends()) return finish('checkpoint');
  return finish('completed', { error: undefined });
}
