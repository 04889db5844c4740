import type { StepContext } from './context.ts';
import type { InboundMessage } from './message.ts';
import type { Schema } from './schema.ts';

/** Property filter on an inbound message's context properties (message attributes). All must match. */
export interface PropertyFilter {
  /** The property's name (a message attribute's). */
  readonly property: string;
  /** The value it must have. */
  readonly equals: string;
}

/**
 * How often a Code step is tried, and how long it waits between tries; the default is 3 attempts, 50 ms before the
 * second. Past the last attempt the failure goes to the innermost scope's error handler, or suspends the instance.
 *
 * @example
 * ```ts
 * import type { RetryPolicy } from 'baton';
 * import { code } from 'baton/builders';
 *
 * const patient: RetryPolicy = { attempts: 5, backoffMs: 200 }; // waits 200, 400, 800 and 1,600 ms
 * const charge = code('charge', async () => {}, { retry: patient });
 * ```
 */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubles after each failure. */
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 50 };

/**
 * A correlation set: how to read its key from each message type that takes part in it (BizTalk's
 * correlation type, with the promoted property read by a function).
 */
export type CorrelationSet = Readonly<Record<string, (message: InboundMessage) => string | undefined>>;

/**
 * A receive. The activating one (first step) starts a new instance for a message of its type; with
 * `correlation` it also initializes that correlation set, which makes a convoy: later messages with the
 * same key go to that instance, never to a new one. A later (non-activating) receive waits for a message
 * of its type whose key matches the set the instance initialized.
 */
export interface ReceiveShape {
  readonly kind: 'receive';
  readonly id: string;
  readonly messageType: string;
  /** The message type's schema, when it was declared with one (see `messageType`). */
  readonly schema?: Schema;
  readonly activate: boolean;
  readonly filter?: readonly PropertyFilter[];
  /** Name of the message variable the received message is bound to. */
  readonly into: string;
  /** Correlation set this receive initializes (activating) or follows (later receives). */
  readonly correlation?: string;
  /**
   * A later receive only (or a listen's): a transient trigger (Workflow Patterns' WCP-23). A message counts for it only
   * if it arrived while the receive waited: its `receivedAt` (the receive host's clock, when it took the message from
   * the receive queue) is no earlier than `MAX_CLOCK_SKEW_MS` before the moment the instance's thread reached the
   * shape (the processing host's clock, kept on the thread and persisted with the commit that dehydrates it there, so
   * a crash or a redelivery after that does not move it). So a message that arrived while it waited always counts, with
   * clocks up to that skew apart; one that arrived less than that before may count too: in doubt a message is taken,
   * never passed over. A message passed over stays in the inbox, for another receive; if none takes it, it becomes a
   * suspended message when the instance ends, its reason saying it arrived before this receive waited. Without it
   * (the default, a persistent trigger, WCP-24) a receive takes a matching message whenever it was delivered.
   */
  readonly transient?: boolean;
}

export interface CodeShape {
  readonly kind: 'code';
  readonly id: string;
  readonly run: (ctx: StepContext) => void | Promise<void>;
  readonly retry?: RetryPolicy;
  /**
   * Persist right after this step (a persistence point), so a crash later never repeats it.
   * Use it after a step whose work is slow or must not run twice.
   */
  readonly persistAfter?: boolean;
  /**
   * Run only while holding the lease (a claim write first, heartbeats while it runs). For steps that
   * touch the outside world directly or run longer than a few seconds; pure steps run optimistically.
   */
  readonly exclusive?: boolean;
}

/** A branch of a Decide shape, made with `when`. */
export interface DecideBranch {
  /** The branch's name, unique in its decide. */
  readonly name: string;
  /** Its condition. */
  readonly when: (ctx: StepContext) => boolean;
  /** What runs when it is taken. */
  readonly steps: readonly Shape[];
}

export interface DecideShape {
  readonly kind: 'decide';
  readonly id: string;
  readonly branches: readonly DecideBranch[];
  readonly otherwise: readonly Shape[];
}

export interface SendShape {
  readonly kind: 'send';
  readonly id: string;
  /** Logical send port name; the runtime maps it to a queue. */
  readonly port: string;
  readonly messageType: string;
  /** The message type's schema: the body is validated against it before it enters the outbox. */
  readonly schema?: Schema;
  readonly body: (ctx: StepContext) => unknown;
  /**
   * A correlation set this send initializes (BizTalk's `send (…, initialize Set)`): its value is read from the message
   * sent, and a later receive that follows the set takes the message of that value, its answer.
   */
  readonly initializes?: string;
}

/** A delay: the instance dehydrates and a durable timer wakes it. */
export interface DelayShape {
  readonly kind: 'delay';
  readonly id: string;
  /** How long, in ms: fixed, or computed from the instance when the delay starts. */
  readonly duration: number | ((ctx: StepContext) => number);
}

/** One way out of a listen: a correlated message, or a timeout. Made with `onMessage` or `onTimeout`. */
export interface ListenBranch {
  /** The branch's name, unique in its listen. */
  readonly name: string;
  /** What takes it: a correlated receive, or a delay (the timeout). */
  readonly trigger: ReceiveShape | DelayShape;
  /** What runs when it is taken. */
  readonly steps: readonly Shape[];
}

/** Listen: waits for whichever comes first of several correlated receives or a timeout, and takes that branch. */
export interface ListenShape {
  readonly kind: 'listen';
  readonly id: string;
  readonly branches: readonly ListenBranch[];
}

/** Loop: runs its steps while the condition holds (checked before each pass). */
export interface LoopShape {
  readonly kind: 'loop';
  readonly id: string;
  readonly while: (ctx: StepContext) => boolean;
  readonly steps: readonly Shape[];
}

/**
 * Until (BPEL's repeatUntil, a do-until): runs its steps, then checks the condition after each pass and stops once it
 * holds, so the steps run at least once.
 */
export interface UntilShape {
  readonly kind: 'until';
  readonly id: string;
  readonly until: (ctx: StepContext) => boolean;
  readonly steps: readonly Shape[];
}

/**
 * What a state machine's state's `next` returns to leave the machine: the shape after the machine runs next. No state
 * can be named so (a state's name matches the pattern of an id, which has no `$`).
 */
export const LEAVE_MACHINE = '$end';

/**
 * One state of a {@link StateMachine}: its steps, then where the machine goes.
 *
 * @typeParam S - The machine's state names.
 * @typeParam C - The step context `next` gets.
 */
export interface MachineState<S extends string = string, C = StepContext> {
  /** What runs in this state; none makes a state that only chooses where to go. */
  readonly steps: readonly Shape[];
  /**
   * Where to go once the steps ran: the name of a state (this one again, too), or `'$end'` to leave the machine. A
   * name that is not one of the machine's states suspends the instance with the reason.
   */
  readonly next: (ctx: C) => S | '$end';
}

/**
 * A state machine's states and the one it starts in, as {@link baton-builders#stateMachine | stateMachine} takes them.
 *
 * @typeParam S - The state names: `initial` and what each `next` returns must be among them (or `'$end'`).
 * @typeParam C - The step context each `next` gets.
 */
export interface StateMachine<S extends string = string, C = StepContext> {
  /** The state it starts in. */
  readonly initial: NoInfer<S>;
  /** Its states, by name; each name matches the pattern of a shape's id. */
  readonly states: { readonly [K in S]: MachineState<NoInfer<S>, C> };
}

/** State machine (Workflow Patterns' arbitrary cycles): states, each with its steps and its way to the next state. */
export interface StateMachineShape {
  readonly kind: 'stateMachine';
  readonly id: string;
  readonly initial: string;
  readonly states: Readonly<Record<string, MachineState>>;
}

/** Throw: raises an orchestration error (with no scope to catch it, the instance is suspended with it). */
export interface ThrowShape {
  readonly kind: 'throw';
  readonly id: string;
  readonly error: (ctx: StepContext) => string;
}

/**
 * Suspend (BizTalk's Suspend shape): the instance stops, suspended with a reason, for an operator; resumed, it goes
 * on after this shape. What it sent before is sent.
 */
export interface SuspendShape {
  readonly kind: 'suspend';
  readonly id: string;
  readonly reason: (ctx: StepContext) => string;
}

/** Terminate: ends the instance at once, as terminated, with a reason. */
export interface TerminateShape {
  readonly kind: 'terminate';
  readonly id: string;
  readonly reason: (ctx: StepContext) => string;
}

/** A scope's options (see `ScopeShape`): its error handler, its compensation, and whether it is synchronized. */
export interface ScopeOptions {
  /** The steps that run instead of the rest of the scope when a step inside fails. @defaultValue none */
  readonly onError?: readonly Shape[];
  /** The steps that undo the scope once it completed, run by a Compensate. @defaultValue none */
  readonly compensation?: readonly Shape[];
  /**
   * Its steps run under a lock the branch instances of its orchestration instance share, so no two of them run
   * synchronized scopes of one lock at the same time (BizTalk's synchronized scope, BPEL's isolated scope): `true`
   * takes the instance's one lock (every `synchronized: true` scope in it excludes the others), a name takes that
   * lock (the scopes that name it exclude each other, and no other). A branch that finds the lock held waits,
   * dehydrated, until it is freed. @defaultValue false
   */
  readonly synchronized?: boolean | string;
  /** Its event handlers, made with `onEvent`: live while the scope runs, whatever it waits for. @defaultValue none */
  readonly events?: readonly ScopeEvent[];
}

/**
 * Scope: a unit of work with an exception handler and a compensation (a long-running transaction). When a
 * step inside fails past its retries, or a Throw inside is not caught by an inner scope, `onError` runs
 * instead of the rest of the scope. Once the scope completed, `compensation` is what undoes it: a
 * Compensate shape runs the compensations of completed scopes, newest first. A synchronized scope's steps run under
 * its lock (core/locks.ts); its error handler and compensation run after the lock is freed.
 */
export interface ScopeShape extends ScopeOptions {
  readonly kind: 'scope';
  readonly id: string;
  readonly steps: readonly Shape[];
}

/**
 * An event handler of a scope (BPEL's event handler, BPMN's event sub-process), made with `onEvent`: while the scope
 * runs, wherever it waits (a receive, a delay, a Parallel Actions', For Each's or child's join), a message its trigger
 * takes runs its steps. Interrupting, they run instead of the rest of the scope (branch instances still running in it
 * are cancelled), then the steps after the scope; not interrupting, they run and the scope goes on waiting where it was.
 */
export interface ScopeEvent {
  /** The handler's name, unique in its scope. */
  readonly name: string;
  /** The correlated receive that takes its message. */
  readonly trigger: ReceiveShape;
  /** What runs when its message comes. */
  readonly steps: readonly Shape[];
  /** Whether it runs instead of the rest of its scope (else the scope goes on waiting where it was). */
  readonly interrupting: boolean;
}

/**
 * Compensate: runs the compensation of every completed scope, in reverse order of completion; or, given a `scope`, the
 * compensations of that scope's completions only (BizTalk's `compensate Scope ()` of a nested scope).
 */
export interface CompensateShape {
  readonly kind: 'compensate';
  readonly id: string;
  /** The id of the scope to compensate (one with a compensation, in the same orchestration or callable). */
  readonly scope?: string;
}

/** One branch of a Parallel Actions shape, made with `branch`. */
export interface ParallelBranch {
  /** The branch's name, unique in its Parallel Actions. */
  readonly name: string;
  /** Its steps. */
  readonly steps: readonly Shape[];
  /**
   * Its guard: read at the fork, on the orchestration's variables; a branch whose guard is false is not forked (no
   * branch instance is made for it) and its join does not wait for it. @defaultValue always forked
   */
  readonly when?: (ctx: StepContext) => boolean;
}

/**
 * When a Parallel Actions (or a fan-out) goes on: once `'all'` its forked branches ended, once the `'first'` ended,
 * or once `atLeast` n of them ended (n fixed, or read from the variables at the fork). Whatever the policy, the first
 * branch that fails raises its error at the join at once.
 */
export type JoinPolicy<C = StepContext> = 'all' | 'first' | { readonly atLeast: number | ((ctx: C) => number) };

/**
 * What becomes of the branches still running once the join went on (or one failed): `'cancel'` terminates them
 * (what they already sent is sent; what they changed is dropped), `'block'` lets them run to their end and makes
 * the next visit to the shape (a loop) wait for them before it forks again, `'ignore'` lets them run to their end, their
 * changes dropped all the same.
 */
export type RestPolicy = 'cancel' | 'ignore' | 'block';

/** How a Parallel Actions joins (see `ParallelShape`), `C` the step context its functions get. */
export interface ParallelOptions<C = StepContext> {
  /** When it goes on. @defaultValue `'all'` */
  readonly join?: JoinPolicy<C>;
  /** What becomes of branches still running then, or when one failed. @defaultValue `'cancel'` */
  readonly rest?: RestPolicy;
}

/** A parallel branch's options (see `ParallelBranch`), `C` the step context its guard gets. */
export interface BranchOptions<C = StepContext> {
  /** Its guard, read at the fork: false, the branch is not forked. @defaultValue always forked */
  readonly when?: (ctx: C) => boolean;
}

/**
 * Parallel Actions: every branch runs (every branch whose guard holds), each as a branch instance of its own in the
 * MessageBox (its own revision and lease, so two host instances can run two branches at once); the orchestration
 * continues once, when its join policy is met (by default when the last branch ends). Branch variables are copies
 * taken at the fork; at the join the changes each ended branch made are applied in branch order, and scopes those
 * branches completed become compensable. A branch cannot receive, listen, complete or terminate: those belong to the
 * orchestration.
 */
export interface ParallelShape extends ParallelOptions {
  readonly kind: 'parallel';
  readonly id: string;
  readonly branches: readonly ParallelBranch[];
  /**
   * Steps each branch runs after its own, in its own branch instance: one path the branches converge on without
   * waiting for one another, run once per branch that reaches it (a multi-merge). @defaultValue none
   */
  readonly merge?: readonly Shape[];
}

/** How a fan-out runs (see `ForEachShape`), `C` the step context its functions get. */
export interface ForEachOptions<C = StepContext> extends ParallelOptions<C> {
  /** How many items run at once, at most: its lanes, 1 to 100. @defaultValue 10 */
  readonly maxConcurrency?: number;
  /** The variable that receives the items' results, in item order (at most 1,000 items). @defaultValue none kept */
  readonly into?: string;
  /** An item's result, read from its variables at its end (required with `into`). */
  readonly result?: (ctx: C) => unknown;
}

/**
 * For Each (dynamic fan-out: Step Functions' Map, BPEL's parallel forEach, BizTalk's scatter-gather): runs its steps
 * once per item of the list `items` reads at the fork, at most `maxConcurrency` at once, and goes on as `join` says
 * (`all` items, the `first`, `atLeast` n). Each of its lanes is a branch instance that runs every `maxConcurrency`-th
 * item in turn, so 10,000 items make 10 to 100 instances, not 10,000, and nothing every item writes. Each item starts
 * from the variables the orchestration had at the fork, with `ctx.item` and `ctx.index`; what it changes is its own
 * (its `result` goes into `into`).
 */
export interface ForEachShape extends ForEachOptions {
  readonly kind: 'forEach';
  readonly id: string;
  /** The items: read at the fork, and again by each lane, from the same variables: it must not depend on the time. */
  readonly items: (ctx: StepContext) => readonly unknown[];
  readonly steps: readonly Shape[];
}

/**
 * An orchestration that others call: steps without an activating receive (BizTalk's callable orchestration). Made
 * with `callable`; run inline with `call`, or as a child instance of its own with `child`.
 */
export interface CallableOrchestration {
  /** Its name. */
  readonly name: string;
  /** Its steps. */
  readonly steps: readonly Shape[];
  /**
   * What it returns when it runs as a child (see `ChildShape`), read from its variables at its end.
   * @defaultValue its variables, all of them
   */
  readonly result?: (ctx: StepContext) => unknown;
}

/** A callable orchestration's options (see `CallableOrchestration`), `C` the step context its function gets. */
export interface CallableOptions<C = StepContext> {
  /** What it returns when it runs as a child, read from its variables at its end. @defaultValue its variables */
  readonly result?: (ctx: C) => unknown;
}

/** A child orchestration's options (see `ChildShape`), `C` the step context its function gets. */
export interface ChildOptions<C = StepContext> {
  /** The child's variables when it starts, built from the parent's. @defaultValue none */
  readonly params?: (ctx: C) => Record<string, unknown>;
  /** The parent's variable that receives the child's result. @defaultValue the result is not kept */
  readonly into?: string;
}

/**
 * A child orchestration (Temporal's child workflow, Durable Functions' sub-orchestration, BizTalk's Call
 * Orchestration with out parameters, but an instance of its own): starts the callee as a child instance, with its own
 * variables (the parameters), persistence points, lease and retries, and waits, dehydrated, for its result. A child
 * may start children of its own, itself included (recursion). A child that fails, with an error handler around this
 * shape, raises its error here; without one the child instance itself is suspended, resumable, and the parent waits.
 */
export interface ChildShape extends ChildOptions {
  readonly kind: 'child';
  readonly id: string;
  readonly callee: CallableOrchestration;
}

/**
 * Call Orchestration: runs the callee's steps inline, in this instance, on its variables (parameters by
 * reference), then continues after the call. Its shapes persist with the caller's state.
 */
export interface CallShape {
  readonly kind: 'call';
  readonly id: string;
  readonly callee: CallableOrchestration;
}

/**
 * Start Orchestration: activates a new instance of another orchestration (its newest version) with a message
 * built here, through the outbox: it happens once this step's persistence point is committed, and a retry
 * starts the same instance, not a second one. The caller does not wait for it.
 */
export interface StartShape {
  readonly kind: 'start';
  readonly id: string;
  /** Name of the orchestration to start; it must be deployed with this one. */
  readonly orchestration: string;
  /** The activation message's body; its type is the started orchestration's activating message type. */
  readonly body: (ctx: StepContext) => unknown;
}

export interface CompleteShape {
  readonly kind: 'complete';
  readonly id: string;
}

/** A shape, as the shape functions (`receive`, `code`, `scope`, ...) make it: one step of an orchestration. */
export type Shape =
  | ReceiveShape
  | CodeShape
  | DecideShape
  | SendShape
  | DelayShape
  | ListenShape
  | LoopShape
  | UntilShape
  | StateMachineShape
  | ThrowShape
  | SuspendShape
  | TerminateShape
  | ScopeShape
  | CompensateShape
  | CompleteShape
  | ParallelShape
  | CallShape
  | ChildShape
  | ForEachShape
  | StartShape;

/**
 * An orchestration, as `orchestration` declares it and an orchestrations module exports it: checked and compiled
 * when the hosts load it.
 */
export interface OrchestrationDefinition {
  /** Its name. */
  readonly name: string;
  /** Its version: a positive integer. */
  readonly version: number;
  /** Its shapes, the activating receive first. */
  readonly steps: readonly Shape[];
  /** Its correlation sets, by name. */
  readonly correlationSets?: Readonly<Record<string, CorrelationSet>>;
}

export const END = '$end';

/** A shape's id (and a parallel branch's name). */
export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A send port's name: part of its queue's name, so short and plain. */
export const PORT_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** An orchestration's name. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;
