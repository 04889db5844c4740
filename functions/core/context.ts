import type { InboundMessage } from './message.ts';

/**
 * What a step's code sees. `Messages` maps each message variable to its body type and `Variables` types the
 * orchestration variables (see `designer`); untyped, both are plain records. Variables are JSON data: they
 * are persisted at each persistence point.
 */
export interface StepContext<Messages = Record<string, unknown>, Variables = Record<string, unknown>> {
  readonly instanceId: string;
  readonly orchestration: string;
  readonly version: number;
  /** Mutable orchestration variables. `lastError` holds the reason a scope's error handler runs for. */
  readonly vars: Variables;
  /** The message bound to a message variable by a receive. */
  message<Name extends keyof Messages & string>(name: Name): InboundMessage<Messages[Name]>;
  /** Epoch ms when this run of the step started. */
  readonly now: number;
  /**
   * In an exclusive step: the instance's revision under the lease this run holds. Every later owner's token is
   * higher, so a system the step writes to can remember the highest token it has seen and refuse lower ones: a
   * host frozen past its lease then cannot act after its successor did. Undefined in other steps.
   */
  readonly fencingToken?: number;
}
