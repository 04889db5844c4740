import type { OrchestrationDefinition } from '../core/definition.ts';
import { orderFulfilment, type OrderFulfilmentOptions } from './order-fulfilment.ts';

export type SampleOptions = OrderFulfilmentOptions;

/** The orchestrations deployed with Baton's sample application. */
export function sampleOrchestrations(options: SampleOptions = {}): OrchestrationDefinition[] {
  return [orderFulfilment(options)];
}
