import { describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { LEGACY_SIZE_ATTRIBUTE, SIZE_ATTRIBUTE, pointerBody } from '../../functions/adapters/extended-client.ts';
import { sampleOptionsToEnv } from '../../functions/orchestrations/index.ts';
import { localOperations } from '../../local/console.ts';
import { orderInstanceId } from '../../local/demo.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { largeOrder, validOrder } from '../helpers/orders.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe('resubmitting large and offloaded suspended messages through a local cluster (the embedded stack, its claim check)', {
  timeout: 120_000,
}, () => {
  const cluster = useLocalCluster({
    prefix: `resub${process.pid}${Date.now().toString(36)}`,
    leaseMs: 10_000,
    // No approval and no cancellation window: an order taken goes straight to completed.
    environment: sampleOptionsToEnv({ cancellationWindowMs: 0, approvalThreshold: 1e12 }),
  });
  const run = Date.now().toString(36);
  const until = async <T>(
    read: () => Promise<T>,
    ok: (value: T) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline)
        throw new Error(`${what}: not in ${timeoutMs / 1000} s (last: ${JSON.stringify(value)?.slice(0, 300)})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /** What an extended client sends: the body left in the bucket under `inbound/` (unless `missing`), then the pointer. */
  const sendOffloaded = async (key: string, body: string | undefined, attribute = SIZE_ATTRIBUTE) => {
    const d = cluster().describe();
    if (body !== undefined)
      await s3Client({ endpoint: d.endpoint }).send(
        new PutObjectCommand({ Bucket: d.claimCheckBucket, Key: key, Body: body }),
      );
    const { MessageId } = await sqsClient({ endpoint: d.endpoint }).send(
      new SendMessageCommand({
        QueueUrl: d.receiveQueueUrl,
        MessageBody: pointerBody({ bucket: d.claimCheckBucket!, key }),
        MessageAttributes: {
          MessageType: { DataType: 'String', StringValue: 'Order' },
          [attribute]: { DataType: 'Number', StringValue: String(Buffer.byteLength(body ?? '{}')) },
        },
      }),
    );
    return MessageId!;
  };
  const suspended = (messageId: string) =>
    until(
      () => cluster().store.suspendedMessage(messageId),
      (m) => m !== undefined,
      `the suspended message ${messageId}`,
    ).then((m) => m!);
  const completed = (orderId: string) =>
    until(
      async () => (await cluster().store.load(orderInstanceId(orderId)))?.status,
      (s) => s === 'completed',
      `the order ${orderId} completed`,
    );

  it('resubmits an edited body over what a plain SendMessage carries: it goes to the bucket under inbound/<resubmission id>, out as a pointer, and the order completes', async () => {
    const d = cluster().describe();
    // About 1.5 MB, past the queue's 1 MiB, with one bad line: it came offloaded, and was suspended for its schema.
    const good = largeOrder(`resub-large-${run}`, 10_000, 120);
    const bad = { ...good, lines: [{ ...good.lines[0]!, qty: 'one' }, ...good.lines.slice(1)] };
    const fixed = JSON.stringify(good);
    expect(Buffer.byteLength(fixed)).toBeGreaterThan(1_400_000);
    const messageId = await sendOffloaded(`inbound/${run}-large`, JSON.stringify(bad));
    const kept = await suspended(messageId);
    expect(kept.reason).toContain('Order does not match its schema');
    expect(kept.body).toBe(JSON.stringify(bad));

    const result = await localOperations(cluster(), 'ada').resubmit(messageId, { body: fixed });
    expect(result, result.detail).toMatchObject({ outcome: 'done' });
    const object = await s3Client({ endpoint: d.endpoint }).send(
      new GetObjectCommand({ Bucket: d.claimCheckBucket, Key: `inbound/${result.newMessageId}` }),
    );
    expect(await object.Body!.transformToString('utf8')).toBe(fixed);
    expect(await completed(good.orderId)).toBe('completed');
    // Taken under the resubmission's id, once.
    expect((await cluster().store.load(orderInstanceId(good.orderId)))!.messages.order?.messageId).toBe(
      result.newMessageId,
    );
  });

  it('resubmits an edited body of a message whose pointer led nowhere without the size attribute it came with, and an unedited pointer as it came, followed again', async () => {
    const d = cluster().describe();
    // Its object was never there: suspended, pointer and size attribute kept. The operator pastes the real order.
    const typed = validOrder(`resub-edited-${run}`);
    const lost = await sendOffloaded(`inbound/${run}-gone`, undefined, LEGACY_SIZE_ATTRIBUTE);
    const kept = await suspended(lost);
    expect(kept.reason).toContain('is not there (NoSuchKey)');
    expect(kept.attributes[LEGACY_SIZE_ATTRIBUTE]).toBeDefined();
    const edited = await localOperations(cluster(), 'ada').resubmit(lost, { body: JSON.stringify(typed) });
    expect(edited.outcome).toBe('done');
    expect(await completed(typed.orderId)).toBe('completed');
    expect(await cluster().store.suspendedMessage(edited.newMessageId!)).toBeUndefined();

    // Another whose sender put the object back: resubmitted as it is, the pointer is followed again.
    const late = validOrder(`resub-late-${run}`);
    const key = `inbound/${run}-late`;
    const early = await sendOffloaded(key, undefined);
    await suspended(early);
    await s3Client({ endpoint: d.endpoint }).send(
      new PutObjectCommand({ Bucket: d.claimCheckBucket, Key: key, Body: JSON.stringify(late) }),
    );
    expect((await localOperations(cluster(), 'ada').resubmit(early)).outcome).toBe('done');
    expect(await completed(late.orderId)).toBe('completed');
  });
});
