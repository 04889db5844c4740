import type { InboundMessage } from './message.ts';

/** What a step's code sees. Variables are plain JSON data: they are persisted at each persistence point. */
export interface StepContext {
  readonly instanceId: string;
  readonly orchestration: string;
  readonly version: number;
  /** Mutable orchestration variables. */
  readonly vars: Record<string, unknown>;
  /** The message bound to a message variable by a receive. */
  message(name: string): InboundMessage;
  /** Epoch ms when this run of the step started. */
  readonly now: number;
}
