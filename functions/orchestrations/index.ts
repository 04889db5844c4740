import type { OrchestrationDefinition } from '../core/definition.ts';
import { orderFulfilment } from './order-fulfilment.ts';
import { orderFulfilmentV2, type OrderFulfilmentV2Options } from './order-fulfilment-v2.ts';

export type SampleOptions = OrderFulfilmentV2Options;

/**
 * The orchestrations deployed with Baton's sample application. Both versions of OrderFulfilment are
 * deployed side by side: new orders start on v2, while v1 instances still in flight finish on v1.
 */
export function sampleOrchestrations(options: SampleOptions = {}): OrchestrationDefinition[] {
  return [orderFulfilment(options), orderFulfilmentV2(options)];
}

/** The environment variables that set the sample's options on a host (Lambda or local). */
export const SAMPLE_ENV: Readonly<Record<keyof SampleOptions, string>> = {
  pricingLatencyMs: 'BATON_PRICING_LATENCY_MS',
  approvalThreshold: 'BATON_APPROVAL_THRESHOLD',
  approvalTimeoutMs: 'BATON_APPROVAL_TIMEOUT_MS',
  cancellationWindowMs: 'BATON_CANCELLATION_WINDOW_MS',
};

/** @throws Error naming the variable when one is set to something other than a non-negative number. */
export function sampleOptionsFromEnv(env: NodeJS.ProcessEnv): SampleOptions {
  const options: Record<string, number> = {};
  for (const [option, name] of Object.entries(SAMPLE_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    options[option] = value;
  }
  return options as SampleOptions;
}

export function sampleOptionsToEnv(options: SampleOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [option, name] of Object.entries(SAMPLE_ENV)) {
    const value = options[option as keyof SampleOptions];
    if (value !== undefined) env[name] = String(value);
  }
  return env;
}
