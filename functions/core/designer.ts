import * as shapes from './builder.ts';
import type { Duration } from './builder.ts';
import type { StepContext } from './context.ts';
import type {
  CallableOptions,
  CallableOrchestration,
  ChildOptions,
  CodeShape,
  DecideBranch,
  ForEachOptions,
  ListenBranch,
  OrchestrationDefinition,
  ParallelBranch,
  ParallelOptions,
  BranchOptions,
  PropertyFilter,
  ScopeEvent,
  RetryPolicy,
  ScopeOptions,
  Shape,
  StateMachine,
} from './definition.ts';
import type { InboundMessage } from './message.ts';
import type { MessageType } from './schema.ts';

/**
 * Message variables: name → the message type a receive binds to it (BizTalk's orchestration view, Messages). What
 * {@link designer} takes.
 */
export type MessageVariables = Readonly<Record<string, MessageType>>;

// biome-ignore lint/suspicious/noExplicitAny: matches a message type whatever its schema's input (any variance)
type BodyOf<T> = T extends MessageType<string, infer Body, any> ? Body : never;
// biome-ignore lint/suspicious/noExplicitAny: matches a message type whatever its body and schema input (any variance)
type NameOf<T> = T extends MessageType<infer Name, any, any> ? Name : never;

/**
 * Body type of each message variable: the `Messages` of the {@link StepContext} a designer's step code sees.
 *
 * @typeParam M - The message variables.
 */
export type BodiesOf<M extends MessageVariables> = { [K in keyof M]: BodyOf<M[K]> };

/** Body type by message type name, for correlation sets (which read a key from each type of message). */
type BodiesByTypeName<M extends MessageVariables> = { [K in keyof M as NameOf<M[K]>]: BodyOf<M[K]> };

/**
 * The message variables declared with exactly message type T: where a receive of T may bind its message. Exact
 * both ways, so a union (`cond ? Order : Cancel`) matches no variable.
 */
type VariablesOf<M extends MessageVariables, T> = {
  [K in keyof M]: [T] extends [M[K]] ? ([M[K]] extends [T] ? K : never) : never;
}[keyof M] &
  string;

/** What a send's body function must return: its type's schema input (anything, without a schema). */
// biome-ignore lint/suspicious/noExplicitAny: matches a message type whatever its body (any variance)
type InputOf<T> = T extends MessageType<string, any, infer Input> ? Input : unknown;

/**
 * A correlation set whose key functions see each message type's typed body: by message type name, how to read the
 * set's key from a message of that type (undefined: the message has none).
 *
 * @typeParam M - The message variables; the set's keys are the names of their message types.
 */
export type TypedCorrelationSet<M extends MessageVariables> = {
  readonly [Name in keyof BodiesByTypeName<M>]?: (
    message: InboundMessage<BodiesByTypeName<M>[Name]>,
  ) => string | undefined;
} & {
  /** A type no receive binds (one a send initializes the set with): its body untyped. */
  // biome-ignore lint/suspicious/noExplicitAny: a key of a type the designer does not know, whatever its body
  readonly [messageType: string]: ((message: InboundMessage<any>) => string | undefined) | undefined;
};

/**
 * The shape functions, typed for one orchestration: step code sees `ctx.message(name).body` with its schema's
 * output type and `ctx.vars` with the declared variables, a receive can only bind a message to a variable of its
 * type, and a send's body must be its type's schema input. Types only: at run time these are the very functions
 * `baton/builders` exports ({@link baton-builders#receive | receive}, {@link baton-builders#code | code} and the
 * others), which say what each shape does.
 *
 * @remarks
 * {@link designer} returns one. The examples of its methods use these message types:
 *
 * ```ts
 * import * as v from 'valibot';
 * import { designer, messageType } from 'baton';
 *
 * const Order = messageType('Order', v.object({ orderId: v.string(), total: v.number() }));
 * const Approval = messageType('Approval', v.object({ orderId: v.string(), approved: v.boolean() }));
 * const OrderAccepted = messageType('OrderAccepted', v.object({ orderId: v.string(), total: v.number() }));
 * ```
 *
 * @typeParam M - The message variables: each variable's name, and the message type a receive binds to it.
 * @typeParam V - The type of `ctx.vars`, the orchestration's variables (see `withVariables`).
 */
export interface Designer<M extends MessageVariables, V> {
  /**
   * Declares the orchestration (see {@link baton-builders#orchestration | orchestration}); the key functions of its
   * correlation sets see each
   * message type's typed body.
   *
   * @param name - The orchestration's name.
   * @param version - A positive integer; versions run side by side.
   * @param steps - The shapes, the activating receive first.
   * @param options - `correlationSets`: by set name, how to read its key from each message type taking part in it.
   *
   * @example
   * ```ts
   * const { orchestration, receive, receiveCorrelated, complete } = designer({ order: Order, approval: Approval });
   *
   * export const approvals = orchestration(
   *   'Approvals',
   *   1,
   *   [
   *     receive('receiveOrder', Order, { into: 'order', correlation: 'order' }),
   *     receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' }),
   *     complete('done'),
   *   ],
   *   { correlationSets: { order: { Order: (m) => m.body.orderId, Approval: (m) => m.body.orderId } } },
   * );
   * ```
   */
  orchestration(
    name: string,
    version: number,
    steps: Shape[],
    options?: { correlationSets?: Record<string, TypedCorrelationSet<M>> },
  ): OrchestrationDefinition;
  /**
   * The activating receive (see {@link baton-builders#receive | receive}), typed: `messageType` is one of the declared
   * message types, and
   * `into` a message variable declared with exactly that type.
   *
   * @typeParam T - The message type received.
   * @param id - The shape's id, unique in the orchestration.
   * @param messageType - One of the message types given to {@link designer}.
   * @param options - `into`: a message variable of type `T`. `filter`: conditions on the message's properties.
   *   `correlation`: the correlation set this receive initializes.
   *
   * @example
   * ```ts
   * const { receive } = designer({ order: Order });
   *
   * const receiveOrder = receive('receiveOrder', Order, { into: 'order', correlation: 'order' });
   * ```
   */
  receive<T extends M[keyof M]>(
    id: string,
    messageType: T,
    options: { into: VariablesOf<M, T>; filter?: PropertyFilter[]; correlation?: string },
  ): Shape;
  /**
   * A later receive (see {@link baton-builders#receiveCorrelated | receiveCorrelated}), typed: `messageType` is one of
   * the declared message types, and
   * `into` a message variable declared with exactly that type.
   *
   * @typeParam T - The message type received.
   * @param id - The shape's id, unique in the orchestration.
   * @param messageType - One of the message types given to {@link designer}.
   * @param options - `into`: a message variable of type `T`. `correlation`: the correlation set (the one the
   *   activating receive initializes) whose key the message must match. `transient`: only a message that arrives
   *   while the instance waits here counts (see {@link baton-builders#receiveCorrelated | receiveCorrelated}).
   *
   * @example
   * ```ts
   * const { receiveCorrelated } = designer({ order: Order, approval: Approval });
   *
   * const receiveApproval = receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' });
   * ```
   */
  receiveCorrelated<T extends M[keyof M]>(
    id: string,
    messageType: T,
    options: { into: VariablesOf<M, T>; correlation: string; transient?: boolean },
  ): Shape;
  /**
   * A reply's receive (see {@link baton-builders#receiveReply | receiveReply}), typed: the answer to a request this
   * instance sent, which comes back with the request's `InstanceId` attribute; `into` a message variable declared with
   * exactly that type.
   *
   * @typeParam T - The message type received.
   * @param id - The shape's id, unique in the orchestration.
   * @param messageType - One of the message types given to {@link designer}.
   * @param options - `into`: a message variable of type `T`. `transient`: only a reply that arrives while the instance
   *   waits here counts.
   *
   * @example
   * ```ts
   * const { receiveReply } = designer({ order: Order, approval: Approval });
   *
   * const receiveApproval = receiveReply('receiveApproval', Approval, { into: 'approval' });
   * ```
   */
  receiveReply<T extends M[keyof M]>(
    id: string,
    messageType: T,
    options: { into: VariablesOf<M, T>; transient?: boolean },
  ): Shape;
  /**
   * Code (see {@link baton-builders#code | code}), typed: `ctx.message(name).body` has its type's schema output,
   * `ctx.vars` is `V`.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param run - The step.
   * @param options - `retry` (see {@link RetryPolicy}), `persistAfter`, `exclusive`.
   *
   * @example
   * ```ts
   * const { code } = designer({ order: Order }).withVariables<{ total?: number }>();
   *
   * const price = code('price', (ctx) => {
   *   ctx.vars.total = ctx.message('order').body.total * 1.2;
   * });
   * ```
   */
  code(
    id: string,
    run: (ctx: StepContext<BodiesOf<M>, V>) => void | Promise<void>,
    options?: { retry?: RetryPolicy; persistAfter?: boolean; exclusive?: boolean },
  ): CodeShape;
  /**
   * Decide (see {@link baton-builders#decide | decide}): the first branch whose condition holds, else `otherwise`.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param branches - The branches, made with `when`.
   * @param otherwise - The steps when no condition holds.
   *
   * @example
   * ```ts
   * const { decide, when, complete } = designer({ order: Order });
   *
   * const bySize = decide('bySize', [
   *   when('empty', (ctx) => ctx.message('order').body.total === 0, [complete('empty')]),
   * ]);
   * ```
   */
  decide(id: string, branches: DecideBranch[], otherwise?: Shape[]): Shape;
  /**
   * A branch of a decide (see {@link baton-builders#when | when}), its condition typed.
   *
   * @param name - The branch's name, unique in its decide.
   * @param condition - Checked on the step context when the decide runs.
   * @param steps - What runs when the branch is taken.
   *
   * @example
   * ```ts
   * const { when, complete } = designer({ order: Order });
   *
   * const large = when('large', (ctx) => ctx.message('order').body.total >= 10_000, [complete('tooLarge')]);
   * ```
   */
  when(name: string, condition: (ctx: StepContext<BodiesOf<M>, V>) => boolean, steps: Shape[]): DecideBranch;
  /**
   * Send (see {@link baton-builders#send | send}), typed: the body function must return `T`'s schema input.
   *
   * @typeParam T - The message type sent.
   * @param id - The shape's id, unique in the orchestration.
   * @param port - The send port's name.
   * @param messageType - The message's type, declared with {@link (messageType:1) | messageType}.
   * @param body - Builds the body from the step context.
   * @param options - `initializes`: a correlation set whose value is read from this message, for the answer a later
   *   `receiveCorrelated` of that set takes.
   *
   * @example
   * ```ts
   * const { send } = designer({ order: Order });
   *
   * const accept = send('accept', 'send', OrderAccepted, (ctx) => ({
   *   orderId: ctx.message('order').body.orderId,
   *   total: ctx.message('order').body.total,
   * }));
   * ```
   */
  send<T extends MessageType>(
    id: string,
    port: string,
    messageType: T,
    body: (ctx: StepContext<BodiesOf<M>, V>) => InputOf<T>,
    options?: { initializes?: string },
  ): Shape;
  /**
   * Complete (see {@link baton-builders#complete | complete}): ends the instance as completed.
   *
   * @param id - The shape's id, unique in the orchestration.
   *
   * @example
   * ```ts
   * const { complete } = designer({ order: Order });
   *
   * const done = complete('done');
   * ```
   */
  complete(id: string): Shape;
  /**
   * Delay (see {@link baton-builders#delay | delay}): a durable timer, its computed duration typed.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param duration - A {@link Duration}, or a function of the step context returning milliseconds.
   *
   * @example
   * ```ts
   * const { delay } = designer({ order: Order });
   *
   * const settle = delay('settle', (ctx) => (ctx.message('order').body.total > 1_000 ? 60_000 : 5_000));
   * ```
   */
  delay(id: string, duration: Duration | ((ctx: StepContext<BodiesOf<M>, V>) => number)): Shape;
  /**
   * Listen (see {@link baton-builders#listen | listen}): the first correlated message, or the timeout, picks the
   * branch.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param branches - `onMessage` branches and at most one `onTimeout` branch; two at least.
   *
   * @example
   * ```ts
   * const { listen, onMessage, onTimeout, receiveCorrelated, complete } = designer({
   *   order: Order,
   *   approval: Approval,
   * });
   *
   * const awaitApproval = listen('awaitApproval', [
   *   onMessage(
   *     'answered',
   *     receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' }),
   *     [],
   *   ),
   *   onTimeout('timedOut', 'approvalTimeout', { hours: 48 }, [complete('expired')]),
   * ]);
   * ```
   */
  listen(id: string, branches: ListenBranch[]): Shape;
  /**
   * A listen branch taken when a correlated message arrives first (see {@link baton-builders#onMessage | onMessage}).
   *
   * @param name - The branch's name, unique in its listen.
   * @param trigger - A `receiveCorrelated` (`transient`: only a message that arrives while the listen waits counts).
   * @param steps - What runs when this message came first.
   *
   * @example
   * ```ts
   * const { onMessage, receiveCorrelated, decide, when, complete } = designer({ order: Order, approval: Approval });
   *
   * const answered = onMessage(
   *   'answered',
   *   receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' }),
   *   [decide('isRefused', [when('refused', (ctx) => !ctx.message('approval').body.approved, [complete('refused')])])],
   * );
   * ```
   */
  onMessage(name: string, trigger: Shape, steps: Shape[]): ListenBranch;
  /**
   * A listen branch taken when nothing arrived within the duration (see {@link baton-builders#onTimeout | onTimeout}),
   * its computed duration
   * typed.
   *
   * @param name - The branch's name, unique in its listen.
   * @param id - The id of the branch's timer, unique in the orchestration.
   * @param duration - A {@link Duration}, or a function of the step context returning milliseconds.
   * @param steps - What runs when the time ran out first.
   *
   * @example
   * ```ts
   * const { onTimeout, complete } = designer({ order: Order });
   *
   * const timedOut = onTimeout(
   *   'timedOut',
   *   'approvalTimeout',
   *   (ctx) => (ctx.message('order').body.total > 50_000 ? 48 : 24) * 3_600_000,
   *   [complete('expired')],
   * );
   * ```
   */
  onTimeout(
    name: string,
    id: string,
    duration: Duration | ((ctx: StepContext<BodiesOf<M>, V>) => number),
    steps: Shape[],
  ): ListenBranch;
  /**
   * Loop (see {@link baton-builders#loop | loop}): its steps while the condition holds, the condition typed.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param condition - Checked before each pass.
   * @param steps - The body.
   *
   * @example
   * ```ts
   * const { loop, code } = designer({ order: Order }).withVariables<{ attempt?: number }>();
   *
   * const retryLoop = loop('untilThird', (ctx) => (ctx.vars.attempt ?? 0) < 3, [
   *   code('next', (ctx) => {
   *     ctx.vars.attempt = (ctx.vars.attempt ?? 0) + 1;
   *   }),
   * ]);
   * ```
   */
  loop(id: string, condition: (ctx: StepContext<BodiesOf<M>, V>) => boolean, steps: Shape[]): Shape;
  /**
   * Until (see {@link baton-builders#until | until}): its steps, then again until the condition holds (checked after
   * each pass, so the steps run at least once), the condition typed.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param condition - Checked after each pass.
   * @param steps - The body.
   *
   * @example
   * ```ts
   * const { until, code } = designer({ order: Order }).withVariables<{ attempt?: number }>();
   *
   * const threeTimes = until('threeTimes', (ctx) => (ctx.vars.attempt ?? 0) >= 3, [
   *   code('next', (ctx) => {
   *     ctx.vars.attempt = (ctx.vars.attempt ?? 0) + 1;
   *   }),
   * ]);
   * ```
   */
  until(id: string, condition: (ctx: StepContext<BodiesOf<M>, V>) => boolean, steps: Shape[]): Shape;
  /**
   * State machine (see {@link baton-builders#stateMachine | stateMachine}): states, each with its steps and a typed
   * `next` returning the state to go to, or `'$end'` to leave the machine.
   *
   * @typeParam S - The state names, read from `states`.
   * @param id - The shape's id, unique in the orchestration.
   * @param machine - `initial` and `states`.
   *
   * @example
   * ```ts
   * const { stateMachine, send, code } = designer({ order: Order }).withVariables<{ checks?: number }>();
   *
   * // A large order is checked up to three times before it is accepted; `route` has no steps, it only chooses.
   * const acceptance = stateMachine('acceptance', {
   *   initial: 'route',
   *   states: {
   *     route: { steps: [], next: (ctx) => (ctx.message('order').body.total > 10_000 ? 'check' : 'accept') },
   *     check: {
   *       steps: [
   *         code('countCheck', (ctx) => {
   *           ctx.vars.checks = (ctx.vars.checks ?? 0) + 1;
   *         }),
   *       ],
   *       next: (ctx) => ((ctx.vars.checks ?? 0) < 3 ? 'check' : 'accept'),
   *     },
   *     accept: { steps: [send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body)], next: () => '$end' },
   *   },
   * });
   * ```
   */
  stateMachine<S extends string>(id: string, machine: StateMachine<S, StepContext<BodiesOf<M>, V>>): Shape;
  /**
   * Throw (see {@link baton-builders#throwError | throwError}): raises an orchestration error, its message from the
   * typed step context.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param error - The error's message.
   *
   * @example
   * ```ts
   * const { throwError } = designer({ order: Order });
   *
   * const refuse = throwError('refuse', (ctx) => `order ${ctx.message('order').body.orderId} is refused`);
   * ```
   */
  throwError(id: string, error: (ctx: StepContext<BodiesOf<M>, V>) => string): Shape;
  /**
   * Terminate (see {@link baton-builders#terminate | terminate}): ends the instance as terminated, its reason from the
   * typed step context.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param reason - The reason.
   *
   * @example
   * ```ts
   * const { terminate } = designer({ order: Order });
   *
   * const giveUp = terminate('giveUp', (ctx) => `order ${ctx.message('order').body.orderId} expired`);
   * ```
   */
  terminate(id: string, reason: (ctx: StepContext<BodiesOf<M>, V>) => string): Shape;
  /**
   * Suspend (see {@link baton-builders#suspend | suspend}): the instance stops, suspended with a reason from the typed
   * step context, for an operator; resumed, it goes on after this shape.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param reason - The reason the operator sees.
   *
   * @example
   * ```ts
   * const { suspend } = designer({ order: Order });
   *
   * const check = suspend('manualCheck', (ctx) => `check order ${ctx.message('order').body.orderId} by hand`);
   * ```
   */
  suspend(id: string, reason: (ctx: StepContext<BodiesOf<M>, V>) => string): Shape;
  /**
   * Scope (see {@link baton-builders#scope | scope}): steps, their error handler (`ctx.vars.lastError` says why it
   * runs) and their compensation; `synchronized`, a critical section among the parallel branches of the orchestration
   * instance (no two run synchronized scopes of one lock at once).
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param steps - The scope's body.
   * @param options - `onError`, `compensation`, `synchronized` (`true`, or a lock's name) and `events` (made with
   *   `onEvent`).
   *
   * @example
   * ```ts
   * const { scope, send, code } = designer({ order: Order }).withVariables<{ lastError?: string; failure?: string }>();
   *
   * const accept = scope('accept', [send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body)], {
   *   onError: [
   *     code('keepReason', (ctx) => {
   *       ctx.vars.failure = ctx.vars.lastError;
   *     }),
   *   ],
   * });
   * // In a parallel branch: no other branch of the order runs a scope of the lock "stock" meanwhile.
   * const reserve = scope('reserve', [send('reserve', 'send', OrderAccepted, (ctx) => ctx.message('order').body)], {
   *   synchronized: 'stock',
   * });
   * ```
   */
  scope(id: string, steps: Shape[], options?: ScopeOptions): Shape;
  /**
   * An event handler of a scope (see {@link baton-builders#onEvent | onEvent}): while the scope runs, a message its
   * trigger takes runs its steps; interrupting (the default), instead of the rest of the scope.
   *
   * @param name - The handler's name, unique in its scope.
   * @param trigger - A `receiveCorrelated`.
   * @param steps - What runs when it comes.
   * @param options - `interrupting` (default true).
   *
   * @example
   * ```ts
   * const { onEvent, receiveCorrelated, send } = designer({ order: Order, approval: Approval });
   *
   * const approvedMeanwhile = onEvent(
   *   'approved',
   *   receiveCorrelated('approval', Approval, { into: 'approval', correlation: 'order' }),
   *   [send('noted', 'send', OrderAccepted, (ctx) => ctx.message('order').body)],
   *   { interrupting: false },
   * );
   * ```
   */
  onEvent(name: string, trigger: Shape, steps: Shape[], options?: { interrupting?: boolean }): ScopeEvent;
  /**
   * Compensate (see {@link baton-builders#compensate | compensate}): runs the compensations of completed scopes, newest
   * first.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param options - `scope`: the id of the one scope to compensate (without it, every completed scope).
   *
   * @example
   * ```ts
   * const { compensate } = designer({ order: Order });
   *
   * const undo = compensate('undoAll');
   * const undoPayment = compensate('undoPayment', { scope: 'charge' });
   * ```
   */
  compensate(id: string, options?: { scope?: string }): Shape;
  /**
   * Parallel Actions (see {@link baton-builders#parallel | parallel}): all branches run (those whose guard holds); the
   * orchestration goes on when all ended, or as its join policy says.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param branches - The branches, made with `branch`.
   * @param options - `join` (`'all'`, `'first'`, `{ atLeast }`), `rest` (`'cancel'`, `'ignore'`, `'block'`), `atLeast`
   *   typed, and `merge` (steps each branch runs after its own).
   *
   * @example
   * ```ts
   * const { parallel, branch, send } = designer({ order: Order });
   *
   * const both = parallel('both', [
   *   branch('accept', [send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body)]),
   *   branch('audit', [send('audit', 'audit', OrderAccepted, (ctx) => ctx.message('order').body)]),
   * ]);
   * const anyTwo = parallel(
   *   'anyTwo',
   *   [
   *     branch('a', [send('askA', 'send', OrderAccepted, (ctx) => ctx.message('order').body)]),
   *     branch('b', [send('askB', 'send', OrderAccepted, (ctx) => ctx.message('order').body)]),
   *     branch('c', [send('askC', 'send', OrderAccepted, (ctx) => ctx.message('order').body)]),
   *   ],
   *   { join: { atLeast: 2 }, rest: 'ignore' },
   * );
   * ```
   */
  parallel(
    id: string,
    branches: ParallelBranch[],
    options?: ParallelOptions<StepContext<BodiesOf<M>, V>> & { merge?: Shape[] },
  ): Shape;
  /**
   * For Each (see {@link baton-builders#forEach | forEach}): its steps once per item of a list read at run time, at
   * most `maxConcurrency` at once. `ctx.item` is `unknown` in the steps (they are built apart from the list): read it
   * as your item type.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param items - Lists the items from the typed step context.
   * @param steps - What runs for each item.
   * @param options - `maxConcurrency`, `join`, `rest`, `into` (one of this orchestration's variables) and `result`.
   *
   * @example
   * ```ts
   * const { forEach, send } = designer({ order: Order });
   *
   * const notifyThree = forEach('notify', () => ['billing', 'shipping', 'audit'], [
   *   send('notify', 'send', OrderAccepted, (ctx) => ctx.message('order').body),
   * ]);
   * ```
   */
  forEach(
    id: string,
    items: (ctx: StepContext<BodiesOf<M>, V>) => readonly unknown[],
    steps: Shape[],
    options?: ForEachOptions<StepContext<BodiesOf<M>, V>> & { readonly into?: keyof V & string },
  ): Shape;
  /**
   * One branch of a Parallel Actions shape (see {@link baton-builders#branch | branch}).
   *
   * @param name - The branch's name, unique in its Parallel Actions.
   * @param steps - Its steps: no receive, listen, complete or terminate.
   * @param options - `when`: its guard, typed; false at the fork, the branch is not forked.
   *
   * @example
   * ```ts
   * const { branch, send } = designer({ order: Order });
   *
   * const accept = branch('accept', [send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body)]);
   * const bigOrder = branch('review', [send('review', 'send', OrderAccepted, (ctx) => ctx.message('order').body)], {
   *   when: (ctx) => ctx.message('order').body.total > 10_000,
   * });
   * ```
   */
  branch(name: string, steps: Shape[], options?: BranchOptions<StepContext<BodiesOf<M>, V>>): ParallelBranch;
  /**
   * A callable orchestration (see {@link baton-builders#callable | callable}), for `call` or `child`.
   *
   * @param name - The callable's name.
   * @param steps - Its steps: no receive, listen or complete.
   * @param options - `result`: what it returns as a child, from its typed variables.
   *
   * @example
   * ```ts
   * const { callable, send } = designer({ order: Order });
   *
   * const acceptOrder = callable('AcceptOrder', [
   *   send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body),
   * ]);
   * ```
   */
  callable(name: string, steps: Shape[], options?: CallableOptions<StepContext<BodiesOf<M>, V>>): CallableOrchestration;
  /**
   * Call Orchestration (see {@link baton-builders#call | call}): runs the callee inline, on this instance's variables.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param callee - Made with `callable`.
   *
   * @example
   * ```ts
   * const { call, callable, send } = designer({ order: Order });
   *
   * const acceptOrder = callable('AcceptOrder', [
   *   send('accept', 'send', OrderAccepted, (ctx) => ctx.message('order').body),
   * ]);
   * const accept = call('accept', acceptOrder);
   * ```
   */
  call(id: string, callee: CallableOrchestration): Shape;
  /**
   * A child orchestration (see {@link baton-builders#child | child}): the callee as a child instance of its own, with
   * the variables `params` builds; its result goes into `into`. Type the child's steps with a designer of its own
   * (`withVariables<ChildVariables>()`).
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param callee - Made with `callable`, or a function that returns it (for recursion).
   * @param options - `params` (from the typed step context) and `into` (one of this orchestration's variables).
   *
   * @example
   * ```ts
   * const { child, callable, code } = designer({ order: Order }).withVariables<{ tax?: number; total?: number }>();
   *
   * const taxOf = callable(
   *   'TaxOf',
   *   [
   *     code('compute', (ctx) => {
   *       ctx.vars.tax = Math.round((ctx.vars.total ?? 0) * 0.2);
   *     }),
   *   ],
   *   { result: (ctx) => ctx.vars.tax },
   * );
   * const tax = child('tax', taxOf, { params: (ctx) => ({ total: ctx.message('order').body.total }), into: 'tax' });
   * ```
   */
  child(
    id: string,
    callee: CallableOrchestration | (() => CallableOrchestration),
    options?: ChildOptions<StepContext<BodiesOf<M>, V>> & { readonly into?: keyof V & string },
  ): Shape;
  /**
   * Start Orchestration (see {@link baton-builders#start | start}): activates another orchestration, its body from the
   * typed step context.
   *
   * @param id - The shape's id, unique in the orchestration.
   * @param orchestrationName - The name of the orchestration to start, deployed with this one.
   * @param body - The activation message's body.
   *
   * @example
   * ```ts
   * const { start } = designer({ order: Order });
   *
   * const audit = start('startAudit', 'Audit', (ctx) => ({ orderId: ctx.message('order').body.orderId }));
   * ```
   */
  start(id: string, orchestrationName: string, body: (ctx: StepContext<BodiesOf<M>, V>) => unknown): Shape;
}

/**
 * Declares an orchestration's message variables (and, with `withVariables`, its variables) and returns the
 * shape functions typed for them (a {@link Designer}).
 *
 * @remarks
 * `.withVariables<V>()` types `ctx.vars` as `V`: declare a field optional when a step sets it, as a variable is
 * empty until then. The typing costs nothing at run time: the typed functions are the plain ones.
 *
 * @typeParam M - The message variables.
 * @param messages - Each message variable's name, and the message type (declared with {@link (messageType:1) |
 * messageType}) a
 *   receive binds to it.
 * @returns The shape functions typed for these message variables, and `withVariables`.
 * @throws `TypeError` when a value of `messages` is not a message type.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { designer, messageType } from 'baton';
 *
 * const Greeting = messageType('Greeting', z.object({ name: z.string() }));
 * const Hello = messageType('Hello', z.object({ text: z.string() }));
 * const { orchestration, receive, code, send, complete } = designer({ greeting: Greeting }).withVariables<{
 *   text?: string;
 * }>();
 *
 * export const hello = orchestration('Hello', 1, [
 *   receive('start', Greeting, { into: 'greeting' }),
 *   code('shout', (ctx) => {
 *     ctx.vars.text = ctx.message('greeting').body.name.toUpperCase();
 *   }),
 *   send('reply', 'send', Hello, (ctx) => ({ text: ctx.vars.text ?? '' })),
 *   complete('done'),
 * ]);
 * ```
 */
export function designer<const M extends MessageVariables>(
  messages: M,
): Designer<M, Record<string, unknown>> & {
  /** Types `ctx.vars`: declare a field optional when a step sets it, as a variable is empty until then. */
  withVariables<V extends object>(): Designer<M, V>;
} {
  for (const [name, type] of Object.entries(messages)) {
    if (typeof type?.name !== 'string')
      throw new TypeError(`designer: message variable "${name}" needs a message type (messageType(...))`);
  }
  // The typed functions are the untyped ones: typing is all this adds, so it costs nothing at run time.
  const typed = shapes as unknown as Designer<M, Record<string, unknown>>;
  return { ...typed, withVariables: <V extends object>() => shapes as unknown as Designer<M, V> };
}
