/**
 * The sample's orchestrations module: what Baton's own stack and `npm start` deploy, written the way you write
 * yours. A module exports `orchestrations`: the definitions, or a function of the hosts' environment that
 * returns them (to read settings the stack or the local cluster passes in).
 */
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

/** The sample reads its settings from the hosts' environment (`-c approvalThreshold=…` on the stack, flags of `npm start`). */
export const orchestrations = (env: Readonly<Record<string, string | undefined>>): OrchestrationDefinition[] =>
  sampleOrchestrations(sampleOptionsFromEnv(env));

/** The environment variables that set the sample's options on a host (Lambda or local). */
export const SAMPLE_ENV = {
  pricingLatencyMs: 'BATON_PRICING_LATENCY_MS',
  approvalThreshold: 'BATON_APPROVAL_THRESHOLD',
  approvalTimeoutMs: 'BATON_APPROVAL_TIMEOUT_MS',
  cancellationWindowMs: 'BATON_CANCELLATION_WINDOW_MS',
} satisfies Record<keyof SampleOptions, string>;

/** @throws Error naming the variable when one is set to something other than a non-negative number. */
export function sampleOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): SampleOptions {
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    return value;
  };
  return {
    pricingLatencyMs: read(SAMPLE_ENV.pricingLatencyMs),
    approvalThreshold: read(SAMPLE_ENV.approvalThreshold),
    approvalTimeoutMs: read(SAMPLE_ENV.approvalTimeoutMs),
    cancellationWindowMs: read(SAMPLE_ENV.cancellationWindowMs),
  };
}

export function sampleOptionsToEnv(options: SampleOptions): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: number | undefined) => {
    if (value !== undefined) env[name] = String(value);
  };
  set(SAMPLE_ENV.pricingLatencyMs, options.pricingLatencyMs);
  set(SAMPLE_ENV.approvalThreshold, options.approvalThreshold);
  set(SAMPLE_ENV.approvalTimeoutMs, options.approvalTimeoutMs);
  set(SAMPLE_ENV.cancellationWindowMs, options.cancellationWindowMs);
  return env;
}
