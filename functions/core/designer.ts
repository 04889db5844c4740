import * as shapes from './builder.ts';
import type { Duration } from './builder.ts';
import type { StepContext } from './context.ts';
import type {
  CallableOrchestration,
  CodeShape,
  DecideBranch,
  ListenBranch,
  OrchestrationDefinition,
  ParallelBranch,
  PropertyFilter,
  RetryPolicy,
  Shape,
} from './definition.ts';
import type { InboundMessage } from './message.ts';
import type { MessageType } from './schema.ts';

/** Message variables: name → the message type a receive binds to it (BizTalk's orchestration view, Messages). */
export type MessageVariables = Readonly<Record<string, MessageType>>;

// biome-ignore lint/suspicious/noExplicitAny: matches a message type whatever its schema's input (any variance)
type BodyOf<T> = T extends MessageType<string, infer Body, any> ? Body : never;
// biome-ignore lint/suspicious/noExplicitAny: matches a message type whatever its body and schema input (any variance)
type NameOf<T> = T extends MessageType<infer Name, any, any> ? Name : never;

/** Body type of each message variable. */
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

/** A correlation set whose key functions see each message type's typed body. */
export type TypedCorrelationSet<M extends MessageVariables> = {
  readonly [Name in keyof BodiesByTypeName<M>]?: (
    message: InboundMessage<BodiesByTypeName<M>[Name]>,
  ) => string | undefined;
};

/**
 * The shape functions of `builder.ts`, typed for one orchestration: step code sees `ctx.message(name).body`
 * with its schema's output type and `ctx.vars` with the declared variables, a receive can only bind a message
 * to a variable of its type, and a send's body must be its type's schema input. Types only: at run time these
 * are the very functions of `builder.ts`.
 */
export interface Designer<M extends MessageVariables, V> {
  orchestration(
    name: string,
    version: number,
    steps: Shape[],
    options?: { correlationSets?: Record<string, TypedCorrelationSet<M>> },
  ): OrchestrationDefinition;
  receive<T extends M[keyof M]>(
    id: string,
    messageType: T,
    options: { into: VariablesOf<M, T>; filter?: PropertyFilter[]; correlation?: string },
  ): Shape;
  receiveCorrelated<T extends M[keyof M]>(
    id: string,
    messageType: T,
    options: { into: VariablesOf<M, T>; correlation: string },
  ): Shape;
  code(
    id: string,
    run: (ctx: StepContext<BodiesOf<M>, V>) => void | Promise<void>,
    options?: { retry?: RetryPolicy; persistAfter?: boolean; exclusive?: boolean },
  ): CodeShape;
  decide(id: string, branches: DecideBranch[], otherwise?: Shape[]): Shape;
  when(name: string, condition: (ctx: StepContext<BodiesOf<M>, V>) => boolean, steps: Shape[]): DecideBranch;
  send<T extends MessageType>(
    id: string,
    port: string,
    messageType: T,
    body: (ctx: StepContext<BodiesOf<M>, V>) => InputOf<T>,
  ): Shape;
  complete(id: string): Shape;
  delay(id: string, duration: Duration | ((ctx: StepContext<BodiesOf<M>, V>) => number)): Shape;
  listen(id: string, branches: ListenBranch[]): Shape;
  onMessage(name: string, trigger: Shape, steps: Shape[]): ListenBranch;
  onTimeout(
    name: string,
    id: string,
    duration: Duration | ((ctx: StepContext<BodiesOf<M>, V>) => number),
    steps: Shape[],
  ): ListenBranch;
  loop(id: string, condition: (ctx: StepContext<BodiesOf<M>, V>) => boolean, steps: Shape[]): Shape;
  throwError(id: string, error: (ctx: StepContext<BodiesOf<M>, V>) => string): Shape;
  terminate(id: string, reason: (ctx: StepContext<BodiesOf<M>, V>) => string): Shape;
  scope(id: string, steps: Shape[], handlers?: { onError?: Shape[]; compensation?: Shape[] }): Shape;
  compensate(id: string): Shape;
  parallel(id: string, branches: ParallelBranch[]): Shape;
  branch(name: string, steps: Shape[]): ParallelBranch;
  callable(name: string, steps: Shape[]): CallableOrchestration;
  call(id: string, callee: CallableOrchestration): Shape;
  start(id: string, orchestrationName: string, body: (ctx: StepContext<BodiesOf<M>, V>) => unknown): Shape;
}

/**
 * Declares an orchestration's message variables (and, with `withVariables`, its variables) and returns the
 * shape functions typed for them.
 *
 * @example
 * const Greeting = messageType('Greeting', z.object({ name: z.string() }));
 * const Hello = messageType('Hello', z.object({ text: z.string() }));
 * const { orchestration, receive, code, send, complete } = designer({ greeting: Greeting }).withVariables<{ text?: string }>();
 * export const hello = orchestration('Hello', 1, [
 *   receive('start', Greeting, { into: 'greeting' }),
 *   code('shout', (ctx) => { ctx.vars.text = ctx.message('greeting').body.name.toUpperCase(); }),
 *   send('reply', 'send', Hello, (ctx) => ({ text: ctx.vars.text ?? '' })),
 *   complete('done'),
 * ]);
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
