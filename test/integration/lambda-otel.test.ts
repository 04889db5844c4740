import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { entrySource } from '../../infra/constructs/Baton.ts';
import { HOST_BUILD } from '../../bench/bundles.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.ts';
import { toRecord } from '../../local/poller.ts';
import { provision, type Resources } from '../../local/provision.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { validOrder } from '../helpers/orders.ts';

/**
 * What `-c tracing=otel` relies on, short of an AWS account: the functions' bundles as the stack builds them (ESM,
 * minified, the OpenTelemetry API inside), in a process whose SDK was started before them by a `--require`d wrapper
 * with a batching processor, as the ADOT Lambda layer's wrapper does, and that stops the moment the handler returns
 * (Lambda freezes it). Their spans must reach the exporter anyway, in the trace the order brought, across the two
 * functions. What this leaves to AWS: the layer's own collector and its export to X-Ray.
 */
const ROOT = join(import.meta.dirname, '../..');
const resolve = createRequire(join(ROOT, 'package.json')).resolve;
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const run = promisify(execFile);
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

/** The layer's part: an SDK registered globally before the function's module loads, batching, exporting to a file. */
const wrapperSource = (out: string) => `
const { appendFileSync } = require('node:fs');
const { context, trace } = require(${JSON.stringify(resolve('@opentelemetry/api'))});
const { AsyncLocalStorageContextManager } = require(${JSON.stringify(resolve('@opentelemetry/context-async-hooks'))});
const { BasicTracerProvider, BatchSpanProcessor } = require(${JSON.stringify(resolve('@opentelemetry/sdk-trace-base'))});
const exporter = {
  export(spans, done) {
    for (const s of spans) appendFileSync(${JSON.stringify(out)}, JSON.stringify({ name: s.name, traceId: s.spanContext().traceId, links: s.links.map((l) => l.context.traceId), attributes: s.attributes }) + '\\n');
    done({ code: 0 });
  },
  async shutdown() {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// An hour between batches: only a flush gets them out before the process stops.
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3600000 })] }));
`;

/** Lambda's part: load the function's module, invoke its handler once, and stop as soon as it returns. */
const invokeSource = `
const { handler } = await import(process.argv[2]);
const response = await handler(JSON.parse(process.env.TEST_EVENT), { getRemainingTimeInMillis: () => 60000 });
process.stdout.write(JSON.stringify(response));
process.exit(0);
`;

interface ExportedSpan {
  name: string;
  traceId: string;
  links: string[];
  attributes: Record<string, unknown>;
}

describe('the Lambda bundles under an OpenTelemetry SDK started before them, as the ADOT layer starts it', () => {
  let stack: EmbeddedStack;
  let resources: Resources;
  let sqs: SQSClient;
  let dir: string;
  const spansFile = () => join(dir, 'spans.jsonl');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-lambda-otel-'));
    stack = await startEmbeddedStack({ port: 0 });
    sqs = sqsClient({ endpoint: stack.endpoint, region: 'us-east-1' });
    resources = await provision(
      { dynamo: new DynamoDBClient({ endpoint: stack.endpoint, region: 'us-east-1' }), sqs },
      `otel${process.pid}${Date.now().toString(36)}`,
    );
    for (const [name, factory] of [
      ['receive', 'receiveHostHandler'],
      ['process', 'processingHostHandler'],
    ] as const) {
      // As the stack bundles each host (HostFunction), the SDK included: this folder has no node_modules.
      await build({
        ...HOST_BUILD,
        external: [],
        logLevel: 'silent',
        stdin: {
          contents: entrySource(
            factory,
            join(ROOT, 'functions/handlers/index.ts'),
            join(ROOT, 'functions/orchestrations/index.ts'),
          ),
          resolveDir: ROOT,
          sourcefile: `${name}.mjs`,
          loader: 'js',
        },
        outfile: join(dir, name, 'index.mjs'),
      });
    }
    writeFileSync(join(dir, 'wrapper.cjs'), wrapperSource(spansFile()));
    writeFileSync(join(dir, 'invoke.mjs'), invokeSource);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One invocation of a function's bundle on `records`, in a process of its own. */
  async function invoke(name: 'receive' | 'process', records: unknown[]): Promise<{ batchItemFailures: unknown[] }> {
    const { stdout } = await run(process.execPath, [join(dir, 'invoke.mjs'), join(dir, name, 'index.mjs')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: `--require ${join(dir, 'wrapper.cjs')}`,
        TEST_EVENT: JSON.stringify({ Records: records }),
        AWS_ENDPOINT_URL: stack.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        BATON_TABLE_NAME: resources.tableName,
        BATON_WORK_QUEUE_URL: resources.queues.work.url,
        BATON_SEND_QUEUE_URL: resources.queues.send.url,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    });
    return JSON.parse(stdout) as { batchItemFailures: unknown[] };
  }

  async function take(queue: { url: string; arn: string }) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return Messages.map((m) => toRecord(m, queue.arn, 'us-east-1'));
  }

  const exported = (): ExportedSpan[] =>
    existsSync(spansFile())
      ? readFileSync(spansFile(), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as ExportedSpan)
      : [];

  it("exports the receive host's and the processing host's spans before each invocation ends, in the order's trace", async () => {
    const order = validOrder('otel-order');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.queues.receive.url,
        MessageBody: JSON.stringify(order),
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: 'Order' },
          traceparent: { DataType: 'String', StringValue: TRACE },
        },
      }),
    );
    const received = await take(resources.queues.receive);
    expect(received).toHaveLength(1);
    expect(await invoke('receive', received)).toEqual({ batchItemFailures: [] });
    const afterReceive = exported();
    expect(afterReceive.map((s) => s.name).sort()).toEqual(['process receive', 'receive Order']);
    expect(afterReceive.find((s) => s.name === 'receive Order')!.traceId).toBe(TRACE.split('-')[1]);

    // The work item the receive host enqueued, run by the processing host in a process of its own.
    const work = await take(resources.queues.work);
    expect(work.map((r) => JSON.parse(r.body).instanceId)).toEqual([orderInstanceId(order.orderId)]);
    expect(await invoke('process', work)).toEqual({ batchItemFailures: [] });
    const steps = exported().filter((s) => s.name.startsWith('step'));
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(steps.find((s) => s.attributes['baton.instance.id'] === orderInstanceId(order.orderId))).toMatchObject({
      name: 'step OrderFulfilment',
      traceId: TRACE.split('-')[1],
      attributes: { 'baton.result': 'done' },
    });
    expect(exported().find((s) => s.name === 'process work')!.links).toEqual([TRACE.split('-')[1]]);
  }, 60_000);
});
