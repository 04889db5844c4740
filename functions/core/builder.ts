import { REPLY_SET } from './correlation.ts';
import type {
  CallableOptions,
  CallableOrchestration,
  ChildOptions,
  CodeShape,
  CorrelationSet,
  DelayShape,
  ForEachOptions,
  ListenBranch,
  ReceiveShape,
  DecideBranch,
  OrchestrationDefinition,
  ParallelBranch,
  ParallelOptions,
  BranchOptions,
  PropertyFilter,
  RetryPolicy,
  ScopeEvent,
  ScopeOptions,
  Shape,
  StateMachine,
} from './definition.ts';
import type { StepContext } from './context.ts';
import type { MessageType } from './schema.ts';

// Shape constructors, so a definition reads like the orchestration designer's canvas. `designer` types them for one
// orchestration; at run time the typed functions are these.

/**
 * A message type as shapes take it: declared with {@link baton#(messageType:1) | messageType} (its bodies are validated
 * against its schema),
 * or just its name (not validated; bodies are `unknown` to step code).
 */
export type MessageTypeRef = MessageType | string;

const typeName = (type: MessageTypeRef): string => (typeof type === 'string' ? type : type?.name);
const schemaOf = (type: MessageTypeRef) => (typeof type === 'string' ? undefined : type?.schema);

/**
 * Declares an orchestration: its name, its version and its steps, the first of which is the activating receive.
 *
 * @remarks
 * A definition is checked when it is loaded (by the hosts, the local cluster and `cdk synth`): a malformed one
 * raises a {@link baton#DefinitionError | DefinitionError} listing every problem at once. Versions run side by side:
 * running instances keep
 * the version they started with, new activations take the newest. Typed for its messages, use the one
 * {@link baton#designer | designer} returns.
 *
 * @param name - The orchestration's name: a letter, then up to 79 letters, digits, `_`, `.` or `-`. A Start shape
 *   names it.
 * @param version - A positive integer. Deploy a new version beside the old one while instances of the old still run.
 * @param steps - The shapes, in order. The first is the activating {@link baton-builders#receive | receive}; reaching
 * the end completes the
 *   instance.
 * @param options - `correlationSets`: how each correlation set its receives name reads its key from each message
 *   type taking part in it, by the set's name.
 * @returns The definition, to export from your orchestrations module (see {@link baton#OrchestrationsModule |
 * OrchestrationsModule}).
 *
 * @example
 * ```ts
 * import { complete, orchestration, receive, send } from 'baton/builders';
 *
 * export const hello = orchestration('Hello', 1, [
 *   receive('receiveGreeting', 'Greeting', { into: 'greeting' }),
 *   send('reply', 'send', 'Reply', (ctx) => ({
 *     text: `Hello, ${(ctx.message('greeting').body as { name: string }).name}!`,
 *   })),
 *   complete('done'),
 * ]);
 * ```
 */
export function orchestration(
  name: string,
  version: number,
  steps: Shape[],
  options: { correlationSets?: Record<string, CorrelationSet> } = {},
): OrchestrationDefinition {
  return { name, version, steps, correlationSets: options.correlationSets };
}

/**
 * Receive (activating): the orchestration's first step. A message of this type, matching `filter`, starts a new
 * instance with the message bound to the message variable `into`.
 *
 * @remarks
 * Publish/subscribe: every orchestration whose activating receive matches a message gets an instance of its own.
 * With `correlation`, the receive initializes that correlation set, which makes a convoy: the instance's id derives
 * from the set's value, later messages with that value go to this instance ({@link baton-builders#receiveCorrelated |
 * receiveCorrelated}), and a second
 * first message with the same value starts no second instance.
 *
 * @param id - The shape's id, unique in the orchestration: a letter, then up to 63 letters, digits, `_` or `-`.
 * @param messageType - The message type it takes: declared with {@link baton#(messageType:1) | messageType} (bodies are
 * validated before
 *   routing), or its name.
 * @param options - `into`: the message variable the message is bound to (`ctx.message(into)`). `filter`: conditions
 *   on the message's properties (its attributes), all of which must hold. `correlation`: the name of the correlation
 *   set this receive initializes.
 *
 * @example
 * ```ts
 * import { complete, orchestration, receive } from 'baton/builders';
 *
 * const priority = orchestration('PriorityOrders', 1, [
 *   receive('receiveOrder', 'Order', {
 *     into: 'order',
 *     filter: [{ property: 'Priority', equals: 'high' }],
 *     correlation: 'order',
 *   }),
 *   complete('done'),
 * ], { correlationSets: { order: { Order: (m) => (m.body as { orderId: string }).orderId } } });
 * ```
 */
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

/**
 * Receive (correlated): a later receive. The instance waits, dehydrated (status `waiting`, no host holds it), for a
 * message of this type whose key in the correlation set is the one the instance initialized.
 *
 * @remarks
 * The set must be the one the activating receive initializes. The receive host routes such a message straight to
 * its instance's inbox, where it is kept if the instance has not reached this receive yet (unless `transient`, below). A message whose instance
 * does not exist yet is left on the receive queue and, after a few deliveries, suspended. Also the trigger of a
 * listen's {@link baton-builders#onMessage | onMessage} branch.
 *
 * With `transient: true` it is a transient trigger (Workflow Patterns' WCP-23; the default is a persistent one,
 * WCP-24): a message counts for it only if it arrived while the instance waited at it (on a listen's
 * {@link baton-builders#onMessage | onMessage}: while it waited at the listen). One received more than the hosts'
 * clock skew bound (`MAX_CLOCK_SKEW_MS`, 1 s) before the instance reached the receive does not count, and stays in the
 * inbox; one received within that bound, or after, counts: in doubt a message is taken, never passed over. The moment
 * the instance reached the receive is kept with the commit that dehydrates it there (no write of its own), so a crash
 * or a redelivery after that does not move it, and a message SQS delivers again keeps its first arrival. A message
 * passed over is not lost: another receive may take it, and if none does it becomes a suspended message when the
 * instance ends, its reason saying it arrived before the transient receive waited.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param messageType - The message type it waits for (declared with {@link baton#(messageType:1) | messageType}, or its
 * name). One message
 *   type follows one correlation set in an orchestration.
 * @param options - `into`: the message variable the message is bound to. `correlation`: the correlation set whose
 *   key the message must match. `transient`: count only a message that arrives while it waits (default false: one
 *   delivered before the instance got here counts too).
 *
 * @example
 * ```ts
 * import { complete, orchestration, receive, receiveCorrelated } from 'baton/builders';
 *
 * const orderIdOf = (m: { body: unknown }) => (m.body as { orderId: string }).orderId;
 * const approvals = orchestration('Approvals', 1, [
 *   receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
 *   receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
 *   // Only a price quoted once the approval is in: an earlier quote does not count (it ends suspended, with why).
 *   receiveCorrelated('receiveQuote', 'Quote', { into: 'quote', correlation: 'order', transient: true }),
 *   complete('done'),
 * ], { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Quote: orderIdOf } } });
 * ```
 */
export function receiveCorrelated(
  id: string,
  messageType: MessageTypeRef,
  options: { into: string; correlation: string; transient?: boolean },
): Shape {
  return {
    kind: 'receive',
    id,
    messageType: typeName(messageType),
    schema: schemaOf(messageType),
    activate: false,
    into: options.into,
    correlation: options.correlation,
    ...(options.transient ? { transient: true } : {}),
  };
}

/**
 * A reply's receive (the response of BizTalk's solicit-response port): the message answering a request this instance
 * sent. It follows no correlation set: every message an instance sends goes out with the instance's id in its
 * `InstanceId` attribute, and the service that answers sends its reply to the receive queue with the same attribute
 * (and its `MessageType`); the reply goes to that instance, which takes it here. A reply naming no instance of an
 * orchestration waiting for its type, or none at all, is suspended with the reason.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param messageType - The reply's message type (declared with {@link baton#(messageType:1) | messageType}, or its
 *   name). One message type follows one correlation (this one, or a set) in an orchestration.
 * @param options - `into`: the message variable the reply is bound to. `transient`: count only a reply that arrives
 *   while the instance waits here.
 *
 * @example
 * ```ts
 * import { complete, orchestration, receive, receiveReply, send } from 'baton/builders';
 *
 * const priced = orchestration('Priced', 1, [
 *   receive('receiveOrder', 'Order', { into: 'order' }),
 *   // The pricing service reads the request from its send port's queue and answers with its InstanceId attribute.
 *   send('askPrice', 'pricing', 'PriceRequest', (ctx) => ctx.message('order').body),
 *   receiveReply('receivePrice', 'PriceResponse', { into: 'price' }),
 *   complete('done'),
 * ]);
 * ```
 */
export function receiveReply(
  id: string,
  messageType: MessageTypeRef,
  options: { into: string; transient?: boolean },
): Shape {
  return receiveCorrelated(id, messageType, { ...options, correlation: REPLY_SET });
}

/**
 * Code (an Expression shape): your logic, on the orchestration's variables (`ctx.vars`) and its bound messages
 * (`ctx.message(name)`).
 *
 * @remarks
 * Steps run optimistically between persistence points: after a crash, the steps since the last one run again on
 * another host. Keep what a step computes in `ctx.vars`; mark a step whose work is slow or must not run twice
 * `persistAfter`, and one that acts on the outside world directly `exclusive` (see {@link
 * baton#StepContext.fencingToken | StepContext.fencingToken}).
 * A step that throws is tried again (`retry`); past its attempts, the innermost enclosing {@link baton-builders#scope |
 * scope} with an
 * `onError` handler takes over (`ctx.vars.lastError` says why), or else the instance is suspended with the reason.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param run - The step: may be async. What it writes to `ctx.vars` must be JSON data (it is persisted).
 * @param options - `retry`: attempts and backoff (see {@link baton#RetryPolicy | RetryPolicy}; by default 3 attempts,
 * 50 ms doubling).
 *   `persistAfter`: persist right after this step (a persistence point), so a crash later never repeats it.
 *   `exclusive`: run only while holding the instance's lease (claimed first, renewed while the step runs).
 * @returns The Code shape.
 *
 * @example
 * ```ts
 * import { code } from 'baton/builders';
 *
 * const charge = code(
 *   'charge',
 *   async (ctx) => {
 *     ctx.vars.charged = true;
 *   },
 *   { retry: { attempts: 5, backoffMs: 200 }, persistAfter: true },
 * );
 * ```
 */
export function code(
  id: string,
  run: (ctx: StepContext) => void | Promise<void>,
  options: { retry?: RetryPolicy; persistAfter?: boolean; exclusive?: boolean } = {},
): CodeShape {
  return { kind: 'code', id, run, ...options };
}

/**
 * Decide: runs the steps of the first branch whose condition holds, else those of `otherwise`; then the steps after
 * the decide.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param branches - The branches, made with {@link baton-builders#when | when}, in the order their conditions are
 * checked; at least one,
 *   each named once.
 * @param otherwise - The steps when no condition holds (none by default).
 *
 * @example
 * ```ts
 * import { decide, send, terminate, when } from 'baton/builders';
 *
 * const route = decide(
 *   'byTotal',
 *   [
 *     when('large', (ctx) => (ctx.vars.total as number) >= 10_000, [
 *       send('askApproval', 'send', 'ApprovalRequest', (ctx) => ({ total: ctx.vars.total })),
 *     ]),
 *     when('empty', (ctx) => ctx.vars.total === 0, [terminate('nothingToDo', () => 'an empty order')]),
 *   ],
 *   [send('accept', 'send', 'OrderAccepted', (ctx) => ({ total: ctx.vars.total }))],
 * );
 * ```
 */
export function decide(id: string, branches: DecideBranch[], otherwise: Shape[] = []): Shape {
  return { kind: 'decide', id, branches, otherwise };
}

/**
 * A branch of a {@link baton-builders#decide | decide}: taken when `condition` is the first to hold.
 *
 * @param name - The branch's name, unique in its decide (the history shows which branch ran).
 * @param condition - Checked on the step context when the decide runs; it must not change anything. If it throws,
 *   the instance is suspended with the reason.
 * @param steps - What runs when the branch is taken.
 *
 * @example
 * ```ts
 * import { complete, decide, when } from 'baton/builders';
 *
 * const stopIfRefused = decide('isRefused', [
 *   when('refused', (ctx) => ctx.vars.approved === false, [complete('refused')]),
 * ]);
 * ```
 */
export function when(name: string, condition: (ctx: StepContext) => boolean, steps: Shape[]): DecideBranch {
  return { name, when: condition, steps };
}

/**
 * Send: sends a message to a send port, through the outbox. When the type has a schema the body is validated first;
 * a body that does not match fails the step (the scope's error handler, else the instance is suspended), so
 * nothing malformed leaves.
 *
 * @remarks
 * The message goes out once the step's persistence point is committed, with an id stable across a re-run after a
 * crash (what a consumer deduplicates on); a crash can deliver it twice, never lose it.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param port - The send port's name: a letter, then up to 39 letters, digits, `_` or `-`. Each port is a queue of
 *   its own (on AWS and locally).
 * @param messageType - The message's type (declared with {@link baton#(messageType:1) | messageType}, or its name),
 * carried by its
 *   `MessageType` attribute.
 * @param body - Builds the body from the step context: JSON data, and its schema's input when the type has one.
 * @param options - `initializes`: a correlation set whose value is read from this message (the set must say how
 *   for its type), so that a later `receiveCorrelated` of that set takes the answer of that value (BizTalk's
 *   `send (…, initialize Set)`). Sent again, it initializes the set again: the answer to the latest is the one taken.
 *
 * @example
 * ```ts
 * import { send } from 'baton/builders';
 *
 * const confirm = send('confirm', 'send', 'OrderConfirmed', (ctx) => ({
 *   orderId: (ctx.message('order').body as { orderId: string }).orderId,
 *   total: ctx.vars.total,
 * }));
 * ```
 */
export function send(
  id: string,
  port: string,
  messageType: MessageTypeRef,
  body: (ctx: StepContext) => unknown,
  options: { initializes?: string } = {},
): Shape {
  return {
    kind: 'send',
    id,
    port,
    messageType: typeName(messageType),
    schema: schemaOf(messageType),
    body,
    ...(options.initializes === undefined ? {} : { initializes: options.initializes }),
  };
}

/**
 * Complete: ends the instance here, as completed (as reaching the end of its steps does). Sends still in its outbox
 * go out first.
 *
 * @param id - The shape's id, unique in the orchestration.
 *
 * @example
 * ```ts
 * import { complete, decide, when } from 'baton/builders';
 *
 * const endIfDone = decide('isDone', [when('done', (ctx) => ctx.vars.done === true, [complete('finished')])]);
 * ```
 */
export function complete(id: string): Shape {
  return { kind: 'complete', id };
}

/**
 * A duration as AWS's durable functions spell it: `{ minutes: 30 }`. The fields given are added up (see
 * {@link baton-builders#toMs | toMs}); `{ hours: 1, minutes: 30 }` is 90 minutes.
 *
 * @example
 * ```ts
 * import { delay, type Duration } from 'baton/builders';
 *
 * const coolOff: Duration = { minutes: 30 };
 * const wait = delay('coolOff', coolOff);
 * ```
 */
export interface Duration {
  /** Days (of 24 hours). */
  readonly days?: number;
  /** Hours. */
  readonly hours?: number;
  /** Minutes. */
  readonly minutes?: number;
  /** Seconds. */
  readonly seconds?: number;
  /** Milliseconds. */
  readonly ms?: number;
}

/**
 * The milliseconds a {@link Duration} adds up to.
 *
 * @param d - The duration.
 * @returns Its days, hours, minutes, seconds and milliseconds, in milliseconds.
 *
 * @example
 * ```ts
 * import { toMs } from 'baton/builders';
 *
 * toMs({ minutes: 1, seconds: 30 }); // 90000
 * ```
 */
export function toMs(d: Duration): number {
  return (
    (d.days ?? 0) * 86_400_000 +
    (d.hours ?? 0) * 3_600_000 +
    (d.minutes ?? 0) * 60_000 +
    (d.seconds ?? 0) * 1_000 +
    (d.ms ?? 0)
  );
}

/**
 * Delay: waits, dehydrated, for a fixed or computed duration (a durable timer, not a sleeping host).
 *
 * @remarks
 * The instance is persisted with its timer's due time and no host holds it while it waits; a delayed work item (SQS,
 * up to 15 minutes a hop) or, on AWS, the timer state machine (Step Functions) wakes it.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param duration - A {@link Duration}, or a function of the step context returning milliseconds, computed when the
 *   delay starts (from a message, say).
 *
 * @example
 * ```ts
 * import { delay } from 'baton/builders';
 *
 * const coolOff = delay('coolOff', { minutes: 30 });
 * const untilDue = delay('untilDue', (ctx) => (ctx.message('reminder').body as { dueAt: number }).dueAt - ctx.now);
 * ```
 */
export function delay(id: string, duration: Duration | ((ctx: StepContext) => number)): Shape {
  return { kind: 'delay', id, duration: typeof duration === 'function' ? duration : toMs(duration) };
}

/**
 * Listen: the first of several correlated receives, or a timeout, decides the branch.
 *
 * @remarks
 * The instance waits, dehydrated, for whichever comes first; the branch it triggers runs, then the steps after the
 * listen. A message for another branch arriving later stays in the instance's inbox. A branch whose receive is
 * `transient` counts only a message that arrives while the listen waits: one delivered before the instance reached
 * the listen does not decide it (with only such a message, the timeout does).
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param branches - At least two: {@link baton-builders#onMessage | onMessage} branches, each triggered by a {@link
 * baton-builders#receiveCorrelated | receiveCorrelated}, and at
 *   most one {@link baton-builders#onTimeout | onTimeout} branch.
 *
 * @example
 * ```ts
 * import { listen, onMessage, onTimeout, receiveCorrelated, send } from 'baton/builders';
 *
 * const awaitApproval = listen('awaitApproval', [
 *   onMessage(
 *     'answered',
 *     receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
 *     [],
 *   ),
 *   onTimeout('timedOut', 'approvalTimeout', { hours: 48 }, [
 *     send('reject', 'send', 'OrderRejected', () => ({ reason: 'approval timeout' })),
 *   ]),
 * ]);
 * ```
 */
export function listen(id: string, branches: ListenBranch[]): Shape {
  return { kind: 'listen', id, branches };
}

/**
 * A {@link baton-builders#listen | listen} branch taken when a correlated message arrives first.
 *
 * @param name - The branch's name, unique in its listen.
 * @param trigger - A {@link baton-builders#receiveCorrelated | receiveCorrelated}: the message it waits for, and the
 * message variable it binds it to; `transient`, only a message that arrives while the listen waits counts.
 * @param steps - What runs when this message came first.
 * @returns The branch.
 * @throws `TypeError` when `trigger` is not a receive.
 *
 * @example
 * ```ts
 * import { onMessage, receiveCorrelated, send } from 'baton/builders';
 *
 * const cancelled = onMessage(
 *   'cancelled',
 *   receiveCorrelated('receiveCancel', 'Cancel', { into: 'cancel', correlation: 'order' }),
 *   [send('confirmCancel', 'send', 'OrderCancelled', (ctx) => ctx.message('cancel').body)],
 * );
 * ```
 */
export function onMessage(name: string, trigger: Shape, steps: Shape[]): ListenBranch {
  if (trigger.kind !== 'receive') throw new TypeError(`onMessage("${name}") takes a receiveCorrelated(...) trigger`);
  return { name, trigger: trigger as ReceiveShape, steps };
}

/**
 * A {@link baton-builders#listen | listen} branch taken when no message arrived within the duration, counted from when
 * the listen started
 * waiting.
 *
 * @param name - The branch's name, unique in its listen.
 * @param id - The id of the branch's timer (a Delay shape), unique in the orchestration.
 * @param duration - A {@link Duration}, or a function of the step context returning milliseconds.
 * @param steps - What runs when the time ran out first.
 * @returns The branch.
 *
 * @example
 * ```ts
 * import { complete, onTimeout } from 'baton/builders';
 *
 * const expired = onTimeout('timedOut', 'approvalTimeout', { hours: 48 }, [complete('expired')]);
 * const computed = onTimeout('late', 'deadline', (ctx) => (ctx.vars.waitMs as number | undefined) ?? 60_000, []);
 * ```
 */
export function onTimeout(
  name: string,
  id: string,
  duration: Duration | ((ctx: StepContext) => number),
  steps: Shape[],
): ListenBranch {
  return { name, trigger: delay(id, duration) as DelayShape, steps };
}

/**
 * Loop: runs `steps` while `condition` holds, checked before each pass.
 *
 * @remarks
 * A run persists and goes on after 1,000 shapes, so no loop holds a host forever; a `persistAfter` step in the body
 * makes each pass a persistence point.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param condition - Checked on the step context before each pass; it must not change anything.
 * @param steps - The body: at least one step.
 *
 * @example
 * ```ts
 * import { code, loop, send } from 'baton/builders';
 *
 * const eachLine = loop('eachLine', (ctx) => (ctx.vars.line as number) < (ctx.vars.lines as number), [
 *   send('pick', 'send', 'Pick', (ctx) => ({ line: ctx.vars.line })),
 *   code('next', (ctx) => {
 *     ctx.vars.line = (ctx.vars.line as number) + 1;
 *   }),
 * ]);
 * ```
 */
export function loop(id: string, condition: (ctx: StepContext) => boolean, steps: Shape[]): Shape {
  return { kind: 'loop', id, while: condition, steps };
}

/**
 * Until (a do-until, BPEL's repeatUntil): runs `steps`, then checks `condition` after each pass and stops once it
 * holds. The steps run at least once, even when the condition holds from the start ({@link baton-builders#loop |
 * loop} checks before each pass, so its steps may never run).
 *
 * @remarks
 * A run persists and goes on after 1,000 shapes, so no loop holds a host forever; a `persistAfter` step in the body
 * makes each pass a persistence point. A condition that throws suspends the instance with the reason.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param condition - Checked on the step context after each pass; it must not change anything.
 * @param steps - The body: at least one step.
 *
 * @example
 * ```ts
 * import { code, send, until } from 'baton/builders';
 *
 * const poll = until('untilShipped', (ctx) => ctx.vars.shipped === true || (ctx.vars.polls as number) >= 5, [
 *   send('ask', 'send', 'ShipmentQuery', (ctx) => ({ orderId: ctx.vars.orderId })),
 *   code('count', (ctx) => {
 *     ctx.vars.polls = ((ctx.vars.polls as number | undefined) ?? 0) + 1;
 *   }),
 * ]);
 * ```
 */
export function until(id: string, condition: (ctx: StepContext) => boolean, steps: Shape[]): Shape {
  return { kind: 'until', id, until: condition, steps };
}

/**
 * State machine (Workflow Patterns' arbitrary cycles, WCP-10): named states, each with its steps and a `next` that
 * chooses, once they ran, the state to go to (itself, an earlier one, any) or `'$end'` to leave the machine.
 *
 * @remarks
 * The machine starts in `initial`. Where it is shows in the instance's cursor (a step of a state, or the end of a
 * state, `<id>$<state>$next`), which is persisted as any other: a crash or a wait (a receive, a delay, a listen in a
 * state) goes on in the same state. A state may have no steps: it only chooses where to go. A `next` that returns a
 * name that is not one of the states, or throws, suspends the instance with the reason. Like a loop, a run persists
 * and goes on after 1,000 shapes, so no cycle holds a host forever.
 *
 * @typeParam S - The state names, read from `states`: `initial` and what `next` returns are checked against them.
 * @param id - The shape's id, unique in the orchestration.
 * @param machine - `initial`, the state it starts in, and `states`, by name (each name matches the pattern of an id).
 *
 * @example
 * ```ts
 * import { receiveCorrelated, send, stateMachine } from 'baton/builders';
 *
 * // A document goes back to its author until a reviewer approves it (its receives follow the set `doc`).
 * const review = stateMachine('review', {
 *   initial: 'draft',
 *   states: {
 *     draft: {
 *       steps: [send('submit', 'send', 'ReviewRequest', (ctx) => ({ document: ctx.message('document').body }))],
 *       next: () => 'inReview',
 *     },
 *     inReview: {
 *       steps: [receiveCorrelated('verdict', 'Verdict', { into: 'verdict', correlation: 'doc' })],
 *       next: (ctx) => ((ctx.message('verdict').body as { approved: boolean }).approved ? 'published' : 'draft'),
 *     },
 *     published: { steps: [send('publish', 'send', 'Published', () => ({}))], next: () => '$end' },
 *   },
 * });
 * ```
 */
export function stateMachine<S extends string>(id: string, machine: StateMachine<S>): Shape {
  return { kind: 'stateMachine', id, initial: machine.initial, states: machine.states };
}

/**
 * Throw: raises an orchestration error. The innermost enclosing {@link baton-builders#scope | scope} with an `onError`
 * handler takes over,
 * with `ctx.vars.lastError` set to `thrown by "<id>": <message>`; uncaught, it suspends the instance with it.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param error - The error's message, from the step context.
 *
 * @example
 * ```ts
 * import { decide, throwError, when } from 'baton/builders';
 *
 * const check = decide('inStock', [
 *   when('outOfStock', (ctx) => ctx.vars.available === false, [throwError('noStock', () => 'out of stock')]),
 * ]);
 * ```
 */
export function throwError(id: string, error: (ctx: StepContext) => string): Shape {
  return { kind: 'throw', id, error };
}

/**
 * Terminate: ends the instance at once, as terminated, with a reason (`terminated by "<id>": <reason>`). Sends still
 * in its outbox go out first.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param reason - The reason, from the step context.
 *
 * @example
 * ```ts
 * import { terminate } from 'baton/builders';
 *
 * const giveUp = terminate('giveUp', (ctx) => `no answer for order ${ctx.vars.orderId}`);
 * ```
 */
export function terminate(id: string, reason: (ctx: StepContext) => string): Shape {
  return { kind: 'terminate', id, reason };
}

/**
 * Suspend (BizTalk's Suspend shape): the instance stops, suspended with the reason, and waits for an operator. Resumed
 * (`baton resume`, the console), it goes on after this shape; what it sent before went out. Unlike a Throw, no scope
 * handles it: it is for what only a person can decide (a manual check, data to fix by hand). In a parallel branch it
 * suspends that branch instance; its join waits for it.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param reason - The reason, from the step context: what the operator sees.
 *
 * @example
 * ```ts
 * import { suspend } from 'baton/builders';
 *
 * const check = suspend('manualCheck', (ctx) => `check order ${ctx.vars.orderId} by hand, then resume it`);
 * ```
 */
export function suspend(id: string, reason: (ctx: StepContext) => string): Shape {
  return { kind: 'suspend', id, reason };
}

/**
 * Scope: steps, what to do when one of them fails, and how to undo them once they completed (a long-running
 * transaction, with its exception handler and its compensation); synchronized, a critical section among the parallel
 * branches of its orchestration instance.
 *
 * @remarks
 * When a step inside fails past its retries, or a {@link baton-builders#throwError | throwError} inside is not caught
 * by an inner scope,
 * `onError` runs instead of the rest of the scope, with `ctx.vars.lastError` holding the reason (at most 4,096
 * characters); then the steps after the scope. Without `onError` the failure goes to the next scope out, or
 * suspends the instance. Once the scope completed, its `compensation` is what undoes it: a {@link
 * baton-builders#compensate | compensate}
 * shape runs the compensations of completed scopes, newest first, each once.
 *
 * `synchronized` (BizTalk's synchronized scope, BPEL's isolated scope): the branches of a {@link
 * baton-builders#parallel | parallel} run as branch instances of their own, possibly on several hosts at once, and no
 * two of them (nor the orchestration itself) run synchronized scopes of one lock at the same time. `true` takes the
 * orchestration instance's one lock; a name (`synchronized: 'stock'`) takes that lock, shared by the scopes that name
 * it. A branch that finds the lock held waits, dehydrated, and is woken when it is freed. What this guarantees is the
 * mutual exclusion of the scope's steps and their effects: exclusive steps, sends (dispatched before the lock is
 * freed), starts. It does not share variables: each branch still works on its own copy, merged at the join as before.
 * The lock is freed when the scope's steps end or fail (its `onError` runs after), or when the branch ends, is
 * cancelled or terminated; a branch suspended inside keeps it until it is resumed or terminated, and one whose host
 * dies goes on, with the lock, on another host. It costs two writes (taking the lock and freeing it) beside the
 * persistence points, and three more for a branch that waits (a refused take, its registration, its dehydration). A
 * synchronized scope may not hold another one (a branch forked inside would wait for its own lock), nor a receive or
 * a listen (the lock would be held until a message comes).
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param steps - The scope's body: at least one step.
 * @param options - `onError`: the steps that run when the body fails. `compensation`: the steps that undo the body,
 *   run by a later {@link baton-builders#compensate | compensate}. `synchronized`: `true`, or a lock's name.
 *   `events`: its event handlers, made with {@link baton-builders#onEvent | onEvent}, live while the body runs.
 *
 * @example
 * ```ts
 * import { branch, code, compensate, parallel, scope, send } from 'baton/builders';
 *
 * const payment = scope(
 *   'payment',
 *   [send('authorise', 'send', 'Authorise', (ctx) => ({ orderId: ctx.vars.orderId }))],
 *   {
 *     onError: [
 *       code('noteFailure', (ctx) => {
 *         ctx.vars.rejection = ctx.vars.lastError;
 *       }),
 *       compensate('undoEarlierScopes'),
 *     ],
 *     compensation: [send('void', 'send', 'VoidAuthorisation', (ctx) => ({ orderId: ctx.vars.orderId }))],
 *   },
 * );
 *
 * // Two branches reserve from one stock: their read-and-reserve never interleave.
 * const reserve = (line: string) =>
 *   scope(
 *     `reserve${line}`,
 *     [
 *       code(
 *         `take${line}`,
 *         async (ctx) => {
 *           ctx.vars[line] = await fetch(`https://stock.example/${line}`, { method: 'POST' }).then((r) => r.status);
 *         },
 *         { exclusive: true },
 *       ),
 *     ],
 *     { synchronized: 'stock' },
 *   );
 * const both = parallel('lines', [branch('first', [reserve('A')]), branch('second', [reserve('B')])]);
 * ```
 */
export function scope(id: string, steps: Shape[], options: ScopeOptions = {}): Shape {
  return {
    kind: 'scope',
    id,
    steps,
    onError: options.onError,
    compensation: options.compensation,
    ...(options.synchronized !== undefined ? { synchronized: options.synchronized } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
}

/**
 * An event handler of a {@link baton-builders#scope | scope}: while the scope runs, a message its trigger takes runs
 * its steps, wherever the scope waits (a receive, a delay, the join of a Parallel Actions, a For Each or a child).
 *
 * @remarks
 * Interrupting (the default: BPMN's interrupting event sub-process, BizTalk's listen around a long-running scope),
 * the handler runs instead of the rest of the scope: branch instances still running in it are cancelled (what they
 * sent is sent), and after the handler the steps after the scope run. Not interrupting (BPEL's event handler), the
 * handler runs and the scope goes back to waiting where it was; a second message runs it again. Messages are taken
 * when the scope waits, not in the middle of a step. A message that comes while nothing listens for it stays in the
 * instance's inbox (a later receive may take it; else it becomes a suspended message when the instance ends); one
 * that came before the scope began is taken, unless the trigger is `transient`, which counts only what arrives once
 * the scope began.
 *
 * @param name - The handler's name, unique in its scope.
 * @param trigger - A {@link baton-builders#receiveCorrelated | receiveCorrelated}: the message it waits for.
 * @param steps - What runs when it comes.
 * @param options - `interrupting`: whether the rest of the scope is given up (default true).
 * @returns The event handler, for the scope's `events`.
 *
 * @example
 * ```ts
 * import { branch, onEvent, parallel, receiveCorrelated, scope, send } from 'baton/builders';
 *
 * // A Cancel while the order is being prepared stops both branches, wherever they are.
 * const preparation = scope(
 *   'prepare',
 *   [
 *     parallel('both', [
 *       branch('pick', [send('pick', 'send', 'Pick', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 *       branch('bill', [send('bill', 'send', 'Bill', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 *     ]),
 *   ],
 *   {
 *     events: [
 *       onEvent('cancelled', receiveCorrelated('cancel', 'Cancel', { into: 'cancel', correlation: 'order' }), [
 *         send('ack', 'send', 'CancelAcknowledged', (ctx) => ({ orderId: ctx.vars.orderId })),
 *       ]),
 *     ],
 *   },
 * );
 * ```
 */
export function onEvent(
  name: string,
  trigger: Shape,
  steps: Shape[],
  options: { interrupting?: boolean } = {},
): ScopeEvent {
  if (trigger.kind !== 'receive') throw new TypeError(`onEvent("${name}") takes a receiveCorrelated(...) trigger`);
  return { name, trigger: trigger as ReceiveShape, steps, interrupting: options.interrupting ?? true };
}

/**
 * Compensate: runs the compensations of all completed scopes, newest first, each once; then the steps after it.
 * Typically in an `onError` handler, or in the branch that handles a cancellation. Given a `scope`, only that scope's
 * completions are compensated (newest first; a scope completed in a loop once per completion), and the others stay
 * compensable.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param options - `scope`: the id of the one scope to compensate, a scope with a compensation in the same
 *   orchestration (or callable).
 *
 * @example
 * ```ts
 * import { compensate, onMessage, receiveCorrelated } from 'baton/builders';
 *
 * const cancelled = onMessage(
 *   'cancelled',
 *   receiveCorrelated('receiveCancel', 'Cancel', { into: 'cancel', correlation: 'order' }),
 *   [compensate('undoAll')],
 * );
 * ```
 */
export function compensate(id: string, options: { scope?: string } = {}): Shape {
  return options.scope === undefined ? { kind: 'compensate', id } : { kind: 'compensate', id, scope: options.scope };
}

/**
 * Parallel Actions: all branches run (those whose guard holds), possibly on several hosts at once; the orchestration
 * goes on when all ended, or as its join policy says.
 *
 * @remarks
 * Each branch runs as a branch instance of its own in the MessageBox (its own revision, lease and persistence
 * points), on a copy of the variables taken at the fork. At the join the changes each ended branch made are applied
 * in branch order, and the scopes those branches completed become compensable. A branch cannot receive, listen,
 * complete or terminate: those belong to the orchestration.
 *
 * `join` says when it goes on: `'all'` (the default), `'first'` (a race, a discriminator), or `{ atLeast: n }` (n
 * fixed, or read from the variables at the fork: an n-out-of-m join). A branch that fails (into an error handler
 * around the Parallel Actions) raises its error at the join at once. `rest` says what becomes of branches still
 * running then: `'cancel'` (the default) terminates them, what they sent stays sent; `'ignore'` lets them run to
 * their end; `'block'` lets them run to their end too, and the next visit to this shape (a loop) waits for them
 * before it forks again (a blocking discriminator). Either way their changes are not applied.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param branches - The branches, made with {@link baton-builders#branch | branch}; at least one, each named once.
 * @param options - `join`, `rest`, and `merge`: steps every branch runs after its own, in its own branch instance,
 *   once per branch that gets there, without waiting for the others (the Workflow Patterns' multi-merge).
 *
 * @example
 * ```ts
 * import { branch, parallel, send } from 'baton/builders';
 *
 * const reserveAndPay = parallel('reserveAndPay', [
 *   branch('inventory', [send('reserve', 'send', 'Reserve', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 *   branch('payment', [send('authorise', 'send', 'Authorise', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 * ]);
 *
 * // Asks two carriers; the first quote wins and the other is cancelled.
 * const quickestQuote = parallel(
 *   'quote',
 *   [
 *     branch('north', [send('askNorth', 'send', 'QuoteRequest', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 *     branch('south', [send('askSouth', 'send', 'QuoteRequest', (ctx) => ({ orderId: ctx.vars.orderId }))]),
 *   ],
 *   { join: 'first', rest: 'cancel' },
 * );
 * ```
 */
export function parallel(
  id: string,
  branches: ParallelBranch[],
  options: ParallelOptions & { merge?: Shape[] } = {},
): Shape {
  return { kind: 'parallel', id, branches, ...options };
}

/**
 * For Each (dynamic fan-out, scatter-gather): runs its steps once per item of a list read at run time, at most
 * `maxConcurrency` items at once, and goes on as `join` says.
 *
 * @remarks
 * The list is read at the fork from the orchestration's variables and messages (and read again, from the same ones,
 * by each lane: it must not depend on the time or on chance). Its items run in lanes, `maxConcurrency` of them (10 by
 * default, at most 100): each lane is a branch instance of its own in the MessageBox that runs every
 * `maxConcurrency`-th item in turn. So 10,000 items make 50 instances at `maxConcurrency: 50`, each write touches one
 * lane, and no item is written by every item: the fan-out costs no more writes per item than the steps' own
 * persistence points (an item that sends is one).
 *
 * Each item starts from the variables the orchestration had at the fork, with `ctx.item` and `ctx.index`; what it
 * changes is its own. With `into` (and `result`), the orchestration's variable `into` gets the items' results in item
 * order (null for an item that did not end), for at most 1,000 items. `join` is `'all'` (the default), `'first'` or
 * `{ atLeast: n }` items (a partial join makes every item a persistence point, and its end reads every lane); an item
 * that fails (into an error handler around the For Each) raises its error at once. `rest` says what becomes of the
 * lanes still running then: `'cancel'` (the default), `'ignore'`, or `'block'` (the next visit waits for them).
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param items - Lists the items from the step context: an array of JSON data.
 * @param steps - What runs for each item: no receive, listen, complete or terminate.
 * @param options - `maxConcurrency`, `join`, `rest`, `into` and `result`.
 *
 * @example
 * ```ts
 * import { code, forEach, send } from 'baton/builders';
 *
 * // Prices every line of an order, five at a time, and keeps the prices in line order.
 * const priceLines = forEach(
 *   'priceLines',
 *   (ctx) => (ctx.message('order').body as { lines: { sku: string; quantity: number }[] }).lines,
 *   [
 *     code('price', (ctx) => {
 *       const line = ctx.item as { sku: string; quantity: number };
 *       ctx.vars.price = line.quantity * 10;
 *     }),
 *     send('priced', 'send', 'LinePriced', (ctx) => ({ index: ctx.index, price: ctx.vars.price })),
 *   ],
 *   { maxConcurrency: 5, into: 'prices', result: (ctx) => ctx.vars.price },
 * );
 * ```
 */
export function forEach(
  id: string,
  items: (ctx: StepContext) => readonly unknown[],
  steps: Shape[],
  options: ForEachOptions = {},
): Shape {
  return { kind: 'forEach', id, items, steps, ...options };
}

/**
 * One branch of a {@link baton-builders#parallel | parallel} (Parallel Actions) shape.
 *
 * @param name - The branch's name, unique in its Parallel Actions: a letter, then up to 63 letters, digits, `_` or
 *   `-` (it is part of the branch instance's id).
 * @param steps - The branch's steps: no receive, listen, complete or terminate.
 * @param options - `when`: its guard, read at the fork; false, no branch instance is made for it and the join does
 *   not wait for it.
 * @returns The branch.
 *
 * @example
 * ```ts
 * import { branch, delay, send } from 'baton/builders';
 *
 * const payment = branch('payment', [
 *   delay('settle', { seconds: 5 }),
 *   send('authorise', 'send', 'Authorise', (ctx) => ({ orderId: ctx.vars.orderId })),
 * ]);
 * // Forked only for orders with a gift message.
 * const giftCard = branch('giftCard', [send('printCard', 'send', 'GiftCard', (ctx) => ({ orderId: ctx.vars.orderId }))], {
 *   when: (ctx) => ctx.vars.giftMessage !== undefined,
 * });
 * ```
 */
export function branch(name: string, steps: Shape[], options: BranchOptions = {}): ParallelBranch {
  return { name, steps, ...options };
}

/**
 * A callable orchestration: steps other orchestrations run inline with {@link baton-builders#call | call}, or as a
 * child instance of their own with {@link baton-builders#child | child}. It has no activating receive.
 *
 * @param name - The callable's name (a call path shows it).
 * @param steps - Its steps: no receive, listen or complete (it receives through its caller and returns at its end);
 *   no terminate either when it runs as a child.
 * @param options - `result`: what it returns when it runs as a child, read from its variables at its end (by
 *   default its variables, all of them).
 * @returns The callable orchestration, to pass to {@link baton-builders#call | call} or
 *   {@link baton-builders#child | child}.
 *
 * @example
 * ```ts
 * import { call, callable, code } from 'baton/builders';
 *
 * const stamp = callable('Stamp', [
 *   code('stamp', (ctx) => {
 *     ctx.vars.stamped = ((ctx.vars.stamped as number | undefined) ?? 0) + 1;
 *   }),
 * ]);
 * const stampOnce = call('stampOnce', stamp);
 * ```
 */
export function callable(name: string, steps: Shape[], options: CallableOptions = {}): CallableOrchestration {
  return { name, steps, ...options };
}

/**
 * A child orchestration: runs the callee as a child instance of its own and waits for its result.
 *
 * @remarks
 * The child starts with the variables `params` builds from the parent's (none by default) and no bound messages. It
 * has its own persistence points, lease and retries, like a parallel branch: a crash in it is recovered from its
 * own last persistence point, and the parent waits dehydrated. At its end its result (the callable's `result`, else
 * its variables) goes into the parent's variable `into`. A child may run children of its own, its own callable
 * among them: recursion, one instance per call. A child that fails, with an error handler around this shape in the
 * parent, raises its error here (`child "<id>" failed: ...`); without one, the child instance is suspended where it
 * failed, resumable, and the parent waits for it. Terminating the parent terminates its child. Compare
 * {@link baton-builders#call | call}, which runs the callee inline, on the caller's own variables.
 *
 * @param id - The shape's id, unique in the orchestration (and part of the child instance's id).
 * @param callee - The orchestration to run, made with {@link baton-builders#callable | callable}; or a function
 *   that returns it, for a callable that runs itself.
 * @param options - `params` (the child's variables, from the parent's) and `into` (the variable for its result).
 *
 * @example
 * ```ts
 * import { callable, child, code, decide, when } from 'baton/builders';
 *
 * // n! by recursion: each level is a child instance of its own. The callable names itself through a function, as it
 * // is not made yet where its steps are written.
 * const factorial = callable(
 *   'Factorial',
 *   [
 *     decide(
 *       'more',
 *       [
 *         when('recurse', (ctx) => (ctx.vars.n as number) > 1, [
 *           child('below', () => factorial, { params: (ctx) => ({ n: (ctx.vars.n as number) - 1 }), into: 'below' }),
 *           code('times', (ctx) => {
 *             ctx.vars.value = (ctx.vars.n as number) * (ctx.vars.below as number);
 *           }),
 *         ]),
 *       ],
 *       [
 *         code('one', (ctx) => {
 *           ctx.vars.value = 1;
 *         }),
 *       ],
 *     ),
 *   ],
 *   { result: (ctx) => ctx.vars.value },
 * );
 * const fiveFactorial = child('fact', factorial, { params: () => ({ n: 5 }), into: 'fact' });
 * ```
 */
export function child(
  id: string,
  callee: CallableOrchestration | (() => CallableOrchestration),
  options: ChildOptions = {},
): Shape {
  // Read when the definition is compiled, so a callable may run itself (its steps are written before it exists).
  return {
    kind: 'child',
    id,
    get callee() {
      return typeof callee === 'function' ? callee() : callee;
    },
    ...options,
  };
}

/**
 * Call Orchestration: runs the callee inline, on this instance's variables, and continues after it.
 *
 * @remarks
 * The callee's shapes persist with the caller's state, their ids prefixed with the call's (`<call id>/<shape id>`).
 * A callee may be called more than once, never recursively.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param callee - The orchestration to run, made with {@link baton-builders#callable | callable}.
 *
 * @example
 * ```ts
 * import { call, callable, send } from 'baton/builders';
 *
 * const notify = callable('Notify', [
 *   send('notify', 'send', 'Notification', (ctx) => ({ orderId: ctx.vars.orderId })),
 * ]);
 * const notifyCustomer = call('notifyCustomer', notify);
 * ```
 */
export function call(id: string, callee: CallableOrchestration): Shape {
  return { kind: 'call', id, callee };
}

/**
 * Start Orchestration: activates another orchestration with this message body, without waiting for it.
 *
 * @remarks
 * The newest version of the started orchestration gets a message of its activating receive's type, validated
 * against that type's schema. It goes through the outbox, once this step's persistence point is committed; a retry
 * starts the same instance, not a second one.
 *
 * @param id - The shape's id, unique in the orchestration.
 * @param orchestrationName - The name of the orchestration to start; it must be deployed with this one.
 * @param body - Builds the activation message's body from the step context.
 *
 * @example
 * ```ts
 * import { start } from 'baton/builders';
 *
 * const audit = start('startAudit', 'Audit', (ctx) => ({ orderId: ctx.vars.orderId }));
 * ```
 */
export function start(id: string, orchestrationName: string, body: (ctx: StepContext) => unknown): Shape {
  return { kind: 'start', id, orchestration: orchestrationName, body };
}
