import type { InboundMessage } from './message.ts';

/**
 * What a step's code sees. `Messages` maps each message variable to its body type and `Variables` types the
 * orchestration variables (see `designer`); untyped, both are plain records. Variables are JSON data: they
 * are persisted at each persistence point.
 *
 * @remarks
 * Every function a shape takes gets one: a Code step's `run`, a condition, a send's body, a computed duration, a
 * Throw's message.
 *
 * @typeParam Messages - Each message variable's body type (see {@link BodiesOf}).
 * @typeParam Variables - The type of `vars`.
 *
 * @example
 * ```ts
 * import { code } from 'baton/builders';
 *
 * const note = code('note', (ctx) => {
 *   const order = ctx.message('order');
 *   ctx.vars.note = `${ctx.orchestration}@${ctx.version} ${ctx.instanceId}: ${order.messageType} at ${ctx.now}`;
 * });
 * ```
 */
export interface StepContext<Messages = Record<string, unknown>, Variables = Record<string, unknown>> {
  /** The instance's id (a parallel branch's own: `<instanceId>~<fork>~<branch>`). */
  readonly instanceId: string;
  /** The orchestration's name. */
  readonly orchestration: string;
  /** The version of the orchestration this instance runs: the one it started with. */
  readonly version: number;
  /**
   * Mutable orchestration variables. `lastError` holds the reason a scope's error handler runs for.
   *
   * @remarks
   * Empty when the instance starts; what steps write is persisted at each persistence point, so it must be JSON
   * data. When a scope's `onError` handler runs, the engine sets `vars.lastError` to the reason (at most 4,096
   * characters), for instance `step "charge" failed after 3 attempt(s): Error: card declined` or
   * `thrown by "check": out of stock`. With {@link designer}, declare `lastError?: string` among the variables
   * to read it typed.
   */
  readonly vars: Variables;
  /**
   * The message bound to a message variable by a receive.
   *
   * @typeParam Name - The message variable's name.
   * @param name - The message variable (a receive's `into`).
   * @returns The message: its body (the schema's output when its type has one), type and properties.
   * @throws `Error` when no receive has bound a message to it yet: the instance is suspended with the reason.
   */
  message<Name extends keyof Messages & string>(name: Name): InboundMessage<Messages[Name]>;
  /** Epoch ms when this run of the step started. */
  readonly now: number;
  /**
   * In an exclusive step: the instance's revision under the lease this run holds. Every later owner's token is
   * higher, so a system the step writes to can remember the highest token it has seen and refuse lower ones: a
   * host frozen past its lease then cannot act after its successor did. Undefined in other steps.
   */
  readonly fencingToken?: number;
  /** In a For Each's steps: the item this pass runs for. Undefined elsewhere. */
  readonly item?: unknown;
  /** In a For Each's steps: the item's index in the list. Undefined elsewhere. */
  readonly index?: number;
}
