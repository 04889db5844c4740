/**
 * Spans of the hosts' work, with the OpenTelemetry API: without an SDK registered (the default) every call here is a
 * no-op, so tracing off costs nothing; with one (the ADOT Lambda layer on AWS, `npm start -- --trace` locally) the
 * spans go wherever it exports. Each follows OpenTelemetry's messaging conventions: a batch is one `process` span
 * linked to each message it carries, and the work for each message is a span in the message's own trace (the W3C
 * context it carries, core/trace.ts), so one order's receive, steps on whichever host instance, timers and sends
 * share one trace id.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { isTraceparent } from '../core/trace.ts';

export const tracer = () => trace.getTracer('baton');

/** The span context a `traceparent` names (a remote parent), or undefined for a missing or malformed one. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  if (!isTraceparent(traceparent)) return undefined;
  const [, traceId, spanId, flags] = traceparent.split('-');
  return { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** A context whose parent is the one `traceparent` names (the root context without one). */
export function contextOf(traceparent: string | undefined): Context {
  const parent = spanContextOf(traceparent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

/** The `traceparent` of a span, to send on: undefined when nothing records spans (no SDK). */
export function traceparentOf(span: Span | undefined): string | undefined {
  const context = span?.spanContext();
  if (!context || !trace.isSpanContextValid(context) || !span!.isRecording()) return undefined;
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0')}`;
}

/** Links from a batch's span to each of its messages' contexts. */
export function linksTo(traceparents: readonly (string | undefined)[]): Link[] {
  return traceparents
    .map(spanContextOf)
    .filter((c): c is SpanContext => c !== undefined)
    .map((context) => ({ context }));
}

/** Runs `work` in a span, ended when it settles, with its error recorded. */
export async function inSpan<T>(
  name: string,
  options: { kind: SpanKind; parent?: Context; links?: Link[]; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: options.kind, links: options.links, attributes: options.attributes },
    options.parent ?? ROOT_CONTEXT,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** How long an invocation waits for its spans to go out before it returns anyway. */
export const FLUSH_WAIT_MS = 1_000;

/** What a flush leaves of an invocation's time, for the layer's own flush and the return. */
export const FLUSH_RESERVE_MS = 500;

/**
 * Hands the spans the registered SDK holds to its exporter before an invocation returns: Lambda freezes the execution
 * environment then, and a batching processor's timer would not run until the next invocation, or ever. The ADOT
 * layer's wrapper flushes too, when it could wrap the handler (it may not patch an ESM bundle's export); ours does not
 * depend on it. A no-op without an SDK. Telemetry never fails or stalls the work: an export error is dropped, and a slow
 * one is waited on for FLUSH_WAIT_MS at most, and never into the invocation's last FLUSH_RESERVE_MS (a batch that ran
 * to its deadline must still return its failures in time, or all of it comes back).
 */
export async function flushSpans(context?: { getRemainingTimeInMillis(): number }): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?(): unknown };
  const sdk = provider.getDelegate?.() as { forceFlush?(): Promise<void> } | undefined;
  if (typeof sdk?.forceFlush !== 'function') return;
  const waitMs = Math.min(
    FLUSH_WAIT_MS,
    context ? context.getRemainingTimeInMillis() - FLUSH_RESERVE_MS : FLUSH_WAIT_MS,
  );
  if (waitMs <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    timer.unref();
  });
  // Through a promise, so an SDK that throws rather than rejects fails nothing either.
  const flushed = Promise.resolve()
    .then(() => sdk.forceFlush!())
    .catch(() => undefined);
  await Promise.race([flushed, waited]).finally(() => clearTimeout(timer));
}

export { SpanKind };
