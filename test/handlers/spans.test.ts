import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { FLUSH_RESERVE_MS, FLUSH_WAIT_MS, flushSpans } from '../../functions/adapters/tracing.ts';
import type { ProcessOutcome } from '../../functions/core/processing-host.ts';
import { createProcessingHandler } from '../../functions/handlers/process.ts';
import { createReceiveHandler } from '../../functions/handlers/receive.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { MemoryWorkQueue } from '../helpers/memory.ts';

/**
 * The hosts' spans under an SDK that batches them, as the ADOT layer's does: Lambda freezes the execution environment
 * when the handler returns, so whatever the processor still holds then may never be exported. The handlers flush
 * themselves rather than count on the layer wrapping them.
 */
const exporter = new InMemorySpanExporter();
// A batch that would wait an hour: only a flush sends it within a test.
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000, maxExportBatchSize: 512 })],
});

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const TIMER_TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const ITEM_TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function record(messageId: string, body: unknown, traceparent?: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `r-${messageId}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: traceparent ? { traceparent: { dataType: 'String', stringValue: traceparent } } : {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:0:work',
    awsRegion: 'us-east-1',
  } as SQSRecord;
}

const traceIdOf = (traceparent: string) => traceparent.split('-')[1];
const steps = (spans: ReadableSpan[]) => spans.filter((s) => s.name.startsWith('step'));

describe('spans leave with the invocation', () => {
  it("the processing host exports its batch before returning, a timer's step in the trace its work item's body carries (the state machine can write only the body)", async () => {
    const runtime = {
      processingHost: { process: async (): Promise<ProcessOutcome> => ({ result: 'done', detail: 'ok' }) },
      workQueue: new MemoryWorkQueue(),
      hostId: 'h',
    } as unknown as Runtime;
    const handler = createProcessingHandler(runtime);
    const event: SQSEvent = {
      Records: [
        // From the timer state machine: the trace in the body.
        record('a', { instanceId: 'timed', reason: 'timer', trace: TIMER_TRACE }),
        // From a host: the attribute, which wins over a body's.
        record('b', { instanceId: 'joined', reason: 'join', trace: TIMER_TRACE }, ITEM_TRACE),
        // Neither: a trace of its own.
        record('c', { instanceId: 'old', reason: 'timer' }),
      ],
    };
    expect((await handler(event)).batchItemFailures).toEqual([]);
    // Nobody flushed but the handler.
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toContain('process work');
    const byInstance = new Map(steps(spans).map((s) => [s.attributes['baton.instance.id'], s]));
    expect(byInstance.get('timed')!.spanContext().traceId).toBe(traceIdOf(TIMER_TRACE));
    expect(byInstance.get('joined')!.spanContext().traceId).toBe(traceIdOf(ITEM_TRACE));
    expect([traceIdOf(TIMER_TRACE), traceIdOf(ITEM_TRACE)]).not.toContain(byInstance.get('old')!.spanContext().traceId);
    // The batch's span links to the traces its work items brought.
    const batch = spans.find((s) => s.name === 'process work')!;
    expect(batch.links.map((l) => l.context.traceId).sort()).toEqual(
      [traceIdOf(TIMER_TRACE), traceIdOf(ITEM_TRACE)].sort(),
    );
  });

  it('the receive host exports its spans before returning', async () => {
    const runtime = {
      clock: systemClock,
      receiveHost: {
        receive: async () => ({
          outcomes: [{ messageId: 'm-1', result: 'routed', instanceIds: ['i-1'] }],
          failures: new Map(),
        }),
      },
    } as unknown as Runtime;
    const handler = createReceiveHandler(runtime);
    await handler({ Records: [record('m-1', { orderId: 'o-1' }, ITEM_TRACE)] });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['process receive', 'receive message']);
    expect(spans.find((s) => s.name === 'receive message')!.spanContext().traceId).toBe(traceIdOf(ITEM_TRACE));
  });

  it('does not hold an invocation for an exporter that never answers, nor near its end, nor fail it for an exporter or an SDK that fails', async () => {
    const stalled: SpanExporter = { export: () => {}, shutdown: async () => {} };
    const failing: SpanExporter = {
      export: (_spans, done) => done({ code: 1 /* ExportResultCode.FAILED */, error: new Error('collector down') }),
      shutdown: async () => {},
    };
    for (const broken of [stalled, failing, 'throws'] as const) {
      const brokenProvider = new BasicTracerProvider({
        spanProcessors: [
          new BatchSpanProcessor(broken === 'throws' ? stalled : broken, {
            scheduledDelayMillis: 3_600_000,
            exportTimeoutMillis: 3_600_000,
          }),
        ],
      });
      // An SDK whose flush throws rather than rejects.
      if (broken === 'throws')
        brokenProvider.forceFlush = () => {
          throw new Error('flush broke');
        };
      trace.disable();
      trace.setGlobalTracerProvider(brokenProvider);
      try {
        trace.getTracer('t').startSpan('work').end();
        vi.useFakeTimers();
        let settled = false;
        const flushed = flushSpans().then(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(FLUSH_WAIT_MS);
        expect(settled, 'flushSpans still waiting after FLUSH_WAIT_MS').toBe(true);
        await flushed;
        // Near its end, an invocation does not wait at all.
        settled = false;
        trace.getTracer('t').startSpan('late work').end();
        const late = flushSpans({ getRemainingTimeInMillis: () => FLUSH_RESERVE_MS }).then(() => {
          settled = true;
        });
        await vi.advanceTimersByTimeAsync(0);
        expect(settled, 'flushSpans waited with only FLUSH_RESERVE_MS left').toBe(true);
        await late;
      } finally {
        vi.useRealTimers();
        trace.disable();
        trace.setGlobalTracerProvider(provider);
      }
    }
  });
});
