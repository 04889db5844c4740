import type {
  CallableOrchestration,
  CodeShape,
  CorrelationSet,
  DelayShape,
  ListenBranch,
  ReceiveShape,
  DecideBranch,
  OrchestrationDefinition,
  ParallelBranch,
  PropertyFilter,
  RetryPolicy,
  Shape,
} from './definition.ts';
import type { StepContext } from './context.ts';
import type { MessageType } from './schema.ts';

/** A message type as shapes take it: declared with `messageType` (validated), or just its name (not validated). */
export type MessageTypeRef = MessageType | string;

const typeName = (type: MessageTypeRef): string => (typeof type === 'string' ? type : type?.name);
const schemaOf = (type: MessageTypeRef) => (typeof type === 'string' ? undefined : type?.schema);

/**
 * Shape constructors, so a definition reads like the orchestration designer's canvas.
 *
 * @example
 * const hello = orchestration('Hello', 1, [
 *   receive('start', 'Greeting', { into: 'greeting' }),
 *   send('reply', 'out', 'Reply', (ctx) => ({ text: `hi ${ctx.message('greeting').body.name}` })),
 * ]);
 */
export function orchestration(
  name: string,
  version: number,
  steps: Shape[],
  options: { correlationSets?: Record<string, CorrelationSet> } = {},
): OrchestrationDefinition {
  return { name, version, steps, correlationSets: options.correlationSets };
}

/** The activating receive (first step); `correlation` names the set it initializes (a convoy). */
export function receive(
  id: string,
  messageType: MessageTypeRef,
  options: { into: string; filter?: PropertyFilter[]; correlation?: string },
): Shape {
  return {
    kind: 'receive',
    id,
    messageType: typeName(messageType),
    schema: schemaOf(messageType),
    activate: true,
    into: options.into,
    filter: options.filter,
    correlation: options.correlation,
  };
}

/** A later receive: waits (dehydrated) for a message of this type whose key matches the correlation set. */
export function receiveCorrelated(
  id: string,
  messageType: MessageTypeRef,
  options: { into: string; correlation: string },
): Shape {
  return {
    kind: 'receive',
    id,
    messageType: typeName(messageType),
    schema: schemaOf(messageType),
    activate: false,
    into: options.into,
    correlation: options.correlation,
  };
}

export function code(
  id: string,
  run: (ctx: StepContext) => void | Promise<void>,
  options: { retry?: RetryPolicy; persistAfter?: boolean; exclusive?: boolean } = {},
): CodeShape {
  return { kind: 'code', id, run, ...options };
}

export function decide(id: string, branches: DecideBranch[], otherwise: Shape[] = []): Shape {
  return { kind: 'decide', id, branches, otherwise };
}

export function when(name: string, condition: (ctx: StepContext) => boolean, steps: Shape[]): DecideBranch {
  return { name, when: condition, steps };
}

/**
 * Sends a message to a send port, through the outbox. When the type has a schema the body is validated first;
 * a body that does not match fails the step (the scope's error handler, else the instance is suspended), so
 * nothing malformed leaves.
 */
export function send(
  id: string,
  port: string,
  messageType: MessageTypeRef,
  body: (ctx: StepContext) => unknown,
): Shape {
  return { kind: 'send', id, port, messageType: typeName(messageType), schema: schemaOf(messageType), body };
}

export function complete(id: string): Shape {
  return { kind: 'complete', id };
}

/** A duration as AWS's durable functions spell it: `{ minutes: 30 }`. */
export interface Duration {
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
  readonly ms?: number;
}

export function toMs(d: Duration): number {
  return (d.hours ?? 0) * 3_600_000 + (d.minutes ?? 0) * 60_000 + (d.seconds ?? 0) * 1_000 + (d.ms ?? 0);
}

/** Waits, dehydrated, for a fixed or computed duration (a durable timer, not a sleeping host). */
export function delay(id: string, duration: Duration | ((ctx: StepContext) => number)): Shape {
  return { kind: 'delay', id, duration: typeof duration === 'function' ? duration : toMs(duration) };
}

/** Listen: the first of several correlated receives, or a timeout, decides the branch. */
export function listen(id: string, branches: ListenBranch[]): Shape {
  return { kind: 'listen', id, branches };
}

/** A listen branch taken when a correlated message arrives first. */
export function onMessage(name: string, trigger: Shape, steps: Shape[]): ListenBranch {
  if (trigger.kind !== 'receive') throw new TypeError(`onMessage("${name}") takes a receiveCorrelated(...) trigger`);
  return { name, trigger: trigger as ReceiveShape, steps };
}

/** A listen branch taken when nothing arrived within the duration. */
export function onTimeout(
  name: string,
  id: string,
  duration: Duration | ((ctx: StepContext) => number),
  steps: Shape[],
): ListenBranch {
  return { name, trigger: delay(id, duration) as DelayShape, steps };
}

/** Runs `steps` while `condition` holds. */
export function loop(id: string, condition: (ctx: StepContext) => boolean, steps: Shape[]): Shape {
  return { kind: 'loop', id, while: condition, steps };
}

/** Raises an orchestration error; uncaught, it suspends the instance with this message. */
export function throwError(id: string, error: (ctx: StepContext) => string): Shape {
  return { kind: 'throw', id, error };
}

/** Ends the instance as terminated. */
export function terminate(id: string, reason: (ctx: StepContext) => string): Shape {
  return { kind: 'terminate', id, reason };
}

/** A scope: steps, what to do when one of them fails, and how to undo them once they completed. */
export function scope(id: string, steps: Shape[], handlers: { onError?: Shape[]; compensation?: Shape[] } = {}): Shape {
  return { kind: 'scope', id, steps, onError: handlers.onError, compensation: handlers.compensation };
}

/** Runs the compensations of all completed scopes, newest first. */
export function compensate(id: string): Shape {
  return { kind: 'compensate', id };
}

/** Parallel Actions: all branches run, possibly on several hosts at once; the orchestration goes on when all ended. */
export function parallel(id: string, branches: ParallelBranch[]): Shape {
  return { kind: 'parallel', id, branches };
}

/** One branch of a Parallel Actions shape. */
export function branch(name: string, steps: Shape[]): ParallelBranch {
  return { name, steps };
}

/** An orchestration other orchestrations call (no activating receive): see `call`. */
export function callable(name: string, steps: Shape[]): CallableOrchestration {
  return { name, steps };
}

/** Call Orchestration: runs the callee inline, on this instance's variables, and continues after it. */
export function call(id: string, callee: CallableOrchestration): Shape {
  return { kind: 'call', id, callee };
}

/** Start Orchestration: activates another orchestration with this message body, without waiting for it. */
export function start(id: string, orchestrationName: string, body: (ctx: StepContext) => unknown): Shape {
  return { kind: 'start', id, orchestration: orchestrationName, body };
}
