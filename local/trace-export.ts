/**
 * `npm start -- --trace`: each host instance records its spans (functions/adapters/tracing.ts) with the OpenTelemetry
 * SDK and appends them to a file of its own in a folder, one OTLP JSON request a line (what an OTLP/HTTP collector
 * takes, and what `npx baton trace` reads). Spans are written as each ends, so a host instance killed mid-run keeps
 * what it finished.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** The variable that names the folder, from the cluster to its host instances. */
export const TRACE_DIR_VARIABLE = 'BATON_TRACE_DIR';

/** Starts recording this process's spans to `<dir>/<name>.otlp.jsonl`; returns how to flush and stop. */
export function startFileTracing(dir: string, name: string): { shutdown(): Promise<void> } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^\w.-]/g, '_')}.otlp.jsonl`);
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      try {
        const bytes = JsonTraceSerializer.serializeRequest(spans);
        if (bytes) appendFileSync(file, `${Buffer.from(bytes).toString('utf8')}\n`);
        done({ code: 0 }); // ExportResultCode.SUCCESS
      } catch (error) {
        done({ code: 1, error: error as Error });
      }
    },
    async shutdown() {},
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'baton', 'service.instance.id': name }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

/** A span as read back from the files (OTLP JSON: ids in hex, times in nanoseconds as text). */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: Record<string, unknown>;
  readonly links: { traceId: string; spanId: string }[];
  /** The host instance (or process) that recorded it. */
  readonly service: string;
}

/** Every span the files in `dir` hold. */
export function readExportedSpans(dir: string): ExportedSpan[] {
  if (!existsSync(dir)) return [];
  const spans: ExportedSpan[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.otlp.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean)) {
      const request = JSON.parse(line) as {
        resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
      };
      for (const resourceSpans of request.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.instance.id'] ?? file);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: String(span.startTimeUnixNano),
              endTimeUnixNano: String(span.endTimeUnixNano),
              attributes: attributesOf(span.attributes),
              links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              service,
            });
          }
        }
      }
    }
  }
  return spans;
}

interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    boolValue?: boolean;
    doubleValue?: number;
    arrayValue?: { values?: OtlpAttribute['value'][] };
  };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const value = (v: OtlpAttribute['value']): unknown =>
    v.stringValue ??
    (v.intValue !== undefined ? Number(v.intValue) : undefined) ??
    v.boolValue ??
    v.doubleValue ??
    v.arrayValue?.values?.map(value);
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}
