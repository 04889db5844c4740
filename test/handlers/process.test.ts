import { describe, expect, it, vi } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { OwnershipLost } from '../../functions/core/errors.ts';
import type { ProcessOutcome } from '../../functions/core/processing-host.ts';
import { DEADLINE_MARGIN_MS, SERIAL_WAIT_MS, createProcessingHandler } from '../../functions/handlers/process.ts';
import type { Runtime } from '../../functions/handlers/runtime.ts';
import { MemoryWorkQueue } from '../helpers/memory.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';

function event(receiveCount = 1): SQSEvent {
  return {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: 'r-1',
        body: JSON.stringify({ instanceId: 'i-1', reason: 'receive' }),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: '0',
          SenderId: 's',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:0:work',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

function handlerWith(
  process: () => Promise<ProcessOutcome>,
  suspend: () => Promise<ProcessOutcome | undefined> = async () => ({ result: 'done', detail: 'suspended' }),
) {
  const workQueue = new MemoryWorkQueue();
  const runtime = { processingHost: { process, suspend }, workQueue, clock: systemClock } as unknown as Runtime;
  return { handler: createProcessingHandler(runtime), workQueue };
}

describe('processing host handler', () => {
  it("re-enqueues a busy instance's work item with a delay instead of failing it towards the DLQ", async () => {
    const { handler, workQueue } = handlerWith(async () => ({
      result: 'retry',
      retryAfterMs: 4_200,
      detail: 'leased by another host',
    }));
    const response = await handler(event());
    expect(response.batchItemFailures).toEqual([]);
    expect(workQueue.items).toEqual([{ instanceId: 'i-1', reason: 'receive', delaySeconds: 5 }]);
  });

  it('reports a failed record for redelivery, and after the last retries suspends the instance', async () => {
    const failing = handlerWith(async () => {
      throw new Error('ThrottlingException');
    });
    expect((await failing.handler(event(1))).batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect((await failing.handler(event(9))).batchItemFailures).toEqual([]);
  });

  it('lets a work item go to the DLQ when there is nothing to suspend (the instance is gone or already suspended)', async () => {
    const { handler } = handlerWith(
      async () => {
        throw new Error('send port down');
      },
      async () => undefined,
    );
    expect((await handler(event(9))).batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });

  it('reports a record that hangs as failed before the time limit, and its batch-mates as done (path 7)', async () => {
    const record = (id: string, instanceId: string) => ({
      ...event(1).Records[0]!,
      messageId: id,
      body: JSON.stringify({ instanceId, reason: 'receive' }),
    });
    const process = (item: { instanceId: string }): Promise<ProcessOutcome> =>
      item.instanceId === 'stuck' ? new Promise(() => {}) : Promise.resolve({ result: 'done', detail: 'ok' });
    const { handler } = handlerWith(process as never);
    // 150 ms of budget past the margin: the hanging record must not hold the batch until the function dies.
    const response = await handler(
      { Records: [record('a', 'fine'), record('b', 'stuck'), record('c', 'also-fine')] },
      { getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 150 },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
  });

  it('redelivers after losing twice to other writers, rather than dropping a possible wake-up', async () => {
    const { handler } = handlerWith(async () => {
      throw new OwnershipLost('i-1', 3);
    });
    expect((await handler(event(9))).batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });

  it('runs one instance once for the copies of a work item in one batch, for the copy received most often', async () => {
    const record = (id: string, instanceId: string, reason: string, receiveCount: number) => ({
      ...event(receiveCount).Records[0]!,
      messageId: id,
      body: JSON.stringify({ instanceId, reason }),
    });
    const seen: { instanceId: string; receiveCount: number }[] = [];
    const process = async (
      item: { instanceId: string },
      delivery: { receiveCount: number },
    ): Promise<ProcessOutcome> => {
      seen.push({ instanceId: item.instanceId, receiveCount: delivery.receiveCount });
      if (item.instanceId === 'broken') throw new Error('store down');
      return { result: 'done', detail: 'ok' };
    };
    const { handler } = handlerWith(process as never);
    const response = await handler({
      Records: [
        record('a', 'parent', 'join', 1),
        record('b', 'parent', 'join', 2),
        record('c', 'parent', 'timer', 1),
        record('d', 'broken', 'join', 1),
        record('e', 'broken', 'join', 1),
      ],
    });
    // Same instance and reason: one run (the copy received twice); another reason runs on its own.
    expect(seen.filter((s) => s.instanceId === 'parent').sort((x, y) => x.receiveCount - y.receiveCount)).toEqual([
      { instanceId: 'parent', receiveCount: 1 },
      { instanceId: 'parent', receiveCount: 2 },
    ]);
    expect(seen.filter((s) => s.instanceId === 'broken')).toHaveLength(1);
    // A failed run fails every copy it stood for: all come back.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['d', 'e']);
  });

  it('never runs one instance twice at once on a host, across its concurrent batches, and runs other instances side by side', async () => {
    const record = (id: string, instanceId: string, reason: string) => ({
      ...event().Records[0]!,
      messageId: id,
      body: JSON.stringify({ instanceId, reason }),
    });
    const active = new Map<string, number>();
    let mostAtOnce = { parent: 0, all: 0 };
    const order: string[] = [];
    const process = async (item: { instanceId: string; reason: string }): Promise<ProcessOutcome> => {
      active.set(item.instanceId, (active.get(item.instanceId) ?? 0) + 1);
      const all = [...active.values()].reduce((a, b) => a + b, 0);
      mostAtOnce = {
        parent: Math.max(mostAtOnce.parent, active.get('parent') ?? 0),
        all: Math.max(mostAtOnce.all, all),
      };
      order.push(`${item.instanceId}:${item.reason}:start`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`${item.instanceId}:${item.reason}:end`);
      active.set(item.instanceId, active.get(item.instanceId)! - 1);
      if (item.reason === 'boom') throw new Error('store down');
      return { result: 'done', detail: 'ok' };
    };
    const { handler } = handlerWith(process as never);
    // Two batches in flight at once, as a host with two pollers reads them: the join's two wake-ups, one each.
    const [first, second] = await Promise.all([
      handler({ Records: [record('a', 'parent', 'boom'), record('b', 'other', 'receive')] }),
      handler({ Records: [record('c', 'parent', 'join'), record('d', 'third', 'receive')] }),
    ]);
    expect(mostAtOnce.parent).toBe(1);
    expect(mostAtOnce.all).toBeGreaterThan(1);
    // The second run of the parent starts after the first ended, even though the first failed.
    expect(order.indexOf('parent:join:start')).toBeGreaterThan(order.indexOf('parent:boom:end'));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(second.batchItemFailures).toEqual([]);
  });

  it('waits for a run of the same instance at most SERIAL_WAIT_MS, so a hung run cannot hold back the redeliveries that suspend it', async () => {
    vi.useFakeTimers();
    try {
      const record = (id: string, reason: string, receiveCount: number) => ({
        ...event(receiveCount).Records[0]!,
        messageId: id,
        body: JSON.stringify({ instanceId: 'stuck', reason }),
      });
      const started: string[] = [];
      const process = async (item: { reason: string }): Promise<ProcessOutcome> => {
        started.push(item.reason);
        if (item.reason === 'hangs') await new Promise(() => undefined);
        return { result: 'done', detail: 'ok' };
      };
      const { handler } = handlerWith(process as never);
      void handler({ Records: [record('a', 'hangs', 1)] });
      const second = handler({ Records: [record('b', 'redelivered', 2)] });
      await vi.advanceTimersByTimeAsync(SERIAL_WAIT_MS - 100);
      expect(started).toEqual(['hangs']);
      await vi.advanceTimersByTimeAsync(200);
      expect(started).toEqual(['hangs', 'redelivered']);
      expect((await second).batchItemFailures).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails a record whose body is not a work item, alone, and runs its batch-mates', async () => {
    const ran: string[] = [];
    const { handler } = handlerWith((async (item: { instanceId: string }) => {
      ran.push(item.instanceId);
      return { result: 'done', detail: 'ok' };
    }) as never);
    const good = event().Records[0]!;
    const response = await handler({
      Records: [
        { ...good, messageId: 'bad-1', body: 'not json' },
        { ...good, messageId: 'bad-2', body: '{"reason":"x"}' },
        good,
      ],
    });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['bad-1', 'bad-2']);
    expect(ran).toEqual(['i-1']);
  });

  it("holds the batch's work items with a visibility lease while it runs, so a dead host's work returns within a lease", async () => {
    const sent: { VisibilityTimeout?: number; receipts: string[] }[] = [];
    const sqs = {
      send: async (command: { input: { Entries: { ReceiptHandle: string; VisibilityTimeout: number }[] } }) => {
        sent.push({
          VisibilityTimeout: command.input.Entries[0]!.VisibilityTimeout,
          receipts: command.input.Entries.map((e) => e.ReceiptHandle),
        });
        return {};
      },
    };
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runtime = {
      processingHost: {
        process: async () => {
          await slow;
          return { result: 'done', detail: 'ok' };
        },
      },
      workQueue: new MemoryWorkQueue(),
      sqs,
    } as unknown as Runtime;
    const handler = createProcessingHandler(runtime, undefined, undefined, {
      holdVisibility: { queueUrl: 'q', seconds: 0.05 },
    });
    const done = handler(event());
    await new Promise((r) => setTimeout(r, 80));
    release();
    await done;
    // Once at the start, then again every half lease while the batch runs; never after.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.filter((s) => !(s.VisibilityTimeout === 0.05 && s.receipts[0] === 'r-1'))).toEqual([]);
    const after = sent.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(sent.length).toBe(after);
  });
});
