import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { ExtendedClientBodies } from '../../functions/adapters/ExtendedClientBodies.ts';
import { S3PayloadStore } from '../../functions/adapters/S3PayloadStore.ts';
import { SqsSendPort, outboundKey } from '../../functions/adapters/SqsSendPort.ts';
import {
  LEGACY_POINTER_CLASS,
  POINTER_CLASS,
  isOffloaded,
  parsePointer,
  pointerBody,
} from '../../functions/adapters/extended-client.ts';
import { RequestMeter } from '../../functions/adapters/request-meter.ts';
import { InvalidMessage } from '../../functions/core/errors.ts';
import { readConfig } from '../../functions/handlers/config.ts';
import { createRuntime } from '../../functions/handlers/runtime.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.ts';
import { provision } from '../../local/provision.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe("the SQS extended clients' pointer format", () => {
  it("reads the pointer as the Java library writes it (compact), as the Python one does (spaced), and Java 1.x's class name", () => {
    const java = `["${POINTER_CLASS}",{"s3BucketName":"orders-large","s3Key":"5b1c0f0e-1f7c-4a8e-9a57-0b9d6a1c2f3e"}]`;
    const python = `["${POINTER_CLASS}", {"s3BucketName": "orders-large", "s3Key": "prefix/5b1c"}]`;
    const legacy = `["${LEGACY_POINTER_CLASS}",{"s3BucketName":"b","s3Key":"k"}]`;
    expect(parsePointer(java)).toEqual({ bucket: 'orders-large', key: '5b1c0f0e-1f7c-4a8e-9a57-0b9d6a1c2f3e' });
    expect(parsePointer(python)).toEqual({ bucket: 'orders-large', key: 'prefix/5b1c' });
    expect(parsePointer(legacy)).toEqual({ bucket: 'b', key: 'k' });
    // Baton writes the Java form, which both libraries parse.
    expect(pointerBody({ bucket: 'orders-large', key: 'prefix/5b1c' })).toBe(
      `["${POINTER_CLASS}",{"s3BucketName":"orders-large","s3Key":"prefix/5b1c"}]`,
    );
    for (const notAPointer of [
      '{"orderId":"o-1"}',
      '["x",{"s3BucketName":"b","s3Key":"k"}]',
      `["${POINTER_CLASS}",{"s3BucketName":"b"}]`,
      'not json',
      `["${POINTER_CLASS}"]`,
    ]) {
      expect(parsePointer(notAPointer), notAPointer).toBeUndefined();
    }
    // Told apart by the size attribute, either name, as the libraries do.
    expect(isOffloaded({ ExtendedPayloadSize: '300000' })).toBe(true);
    expect(isOffloaded({ SQSLargePayloadSize: '300000' })).toBe(true);
    expect(isOffloaded({ MessageType: 'Order' })).toBe(false);
  });
});

describe('extended-client bodies on the embedded stack', () => {
  let stack: EmbeddedStack;
  const bucket = `extended-${process.pid}-${Date.now().toString(36)}`;
  let s3: ReturnType<typeof s3Client>;

  beforeAll(async () => {
    stack = await startEmbeddedStack({ port: 0 });
    s3 = s3Client({ endpoint: stack.endpoint });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => stack?.stop());

  it('sends a body over the threshold as a pointer whose object holds it, and a smaller one as it is', async () => {
    const sqs = sqsClient({ endpoint: stack.endpoint });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `out-${process.pid}` }));
    const port = new SqsSendPort(
      sqs,
      { send: QueueUrl! },
      { payloads: new S3PayloadStore(s3, bucket), bucket, fromBytes: 10_000 },
    );
    const large = { orderId: 'o-large', lines: Array.from({ length: 1_000 }, (_, i) => ({ sku: `sku-${i}`, qty: i })) };
    const entry = (messageId: string, body: unknown) => ({
      kind: 'send' as const,
      port: 'send',
      messageType: 'Shipment',
      body,
      messageId,
      instanceId: 'i-1',
      correlationId: 'c-1',
    });
    const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await port.dispatch([entry('m-large', large), { ...entry('m-small', { orderId: 'o-small' }), trace }]);

    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const byId = new Map(Messages.map((m) => [m.MessageAttributes!.MessageId!.StringValue, m]));
    const pointer = byId.get('m-large')!;
    expect(JSON.parse(pointer.Body!)).toEqual([POINTER_CLASS, { s3BucketName: bucket, s3Key: outboundKey('m-large') }]);
    const size = Buffer.byteLength(JSON.stringify(large));
    expect(pointer.MessageAttributes!.ExtendedPayloadSize).toEqual(
      expect.objectContaining({ DataType: 'Number', StringValue: String(size) }),
    );
    expect(pointer.MessageAttributes!.MessageType!.StringValue).toBe('Shipment');
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: outboundKey('m-large') }));
    expect(JSON.parse(await object.Body!.transformToString('utf8'))).toEqual(large);

    const small = byId.get('m-small')!;
    expect(JSON.parse(small.Body!)).toEqual({ orderId: 'o-small' });
    expect(small.MessageAttributes!.ExtendedPayloadSize).toBeUndefined();
    // The sender's W3C trace context, for the consumer to continue.
    expect(small.MessageAttributes!.traceparent!.StringValue).toBe(trace);
    expect(pointer.MessageAttributes!.traceparent).toBeUndefined();
  });

  it('reads an offloaded body from the bucket its pointer names, drops the size attribute, and refuses a missing or oversized one for good', async () => {
    const bodies = new ExtendedClientBodies(s3, 50_000, [{ bucket, prefix: 'inbound/' }]);
    const order = JSON.stringify({
      orderId: 'o-ext',
      customerId: 'c-1',
      lines: [{ sku: 'A', qty: 1, unitPrice: 1 }],
      note: 'x'.repeat(20_000),
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbound/o-ext', Body: order }));
    const sent = {
      messageId: 'm-ext',
      body: pointerBody({ bucket, key: 'inbound/o-ext' }),
      attributes: { MessageType: 'Order', SQSLargePayloadSize: String(order.length) },
    };
    expect(await bodies.resolve(sent)).toEqual({
      messageId: 'm-ext',
      body: order,
      attributes: { MessageType: 'Order' },
    });
    // Not offloaded: untouched, no request.
    const plain = { messageId: 'm-plain', body: '{"orderId":"o"}', attributes: { MessageType: 'Order' } };
    expect(await bodies.resolve(plain)).toBe(plain);

    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/none' }) })).rejects.toThrow(
      InvalidMessage,
    );
    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/none' }) })).rejects.toThrow(
      /not there \(NoSuchKey\)/,
    );
    await expect(bodies.resolve({ ...sent, body: '{"orderId":"o"}' })).rejects.toThrow(
      /SQSLargePayloadSize .* not an S3 pointer/,
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbound/huge', Body: 'x'.repeat(60_000) }));
    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/huge' }) })).rejects.toThrow(
      /60000 bytes; the MessageBox keeps at most 50000/,
    );
  });

  it('follows a pointer only into the sources it is given (a bucket under a prefix, or a whole bucket) and refuses any other unread, however the key is spelled', async () => {
    const meter = new RequestMeter();
    const metered = s3Client({ endpoint: stack.endpoint, meter });
    const partner = `${bucket}-partner`;
    await s3.send(new CreateBucketCommand({ Bucket: partner }));
    const order = JSON.stringify({
      orderId: 'o-theirs',
      customerId: 'c-2',
      lines: [{ sku: 'A', qty: 1, unitPrice: 1 }],
    });
    for (const [where, key] of [
      [bucket, 'state/i-victim/3-abc'],
      [bucket, 'outbound/m-victim'],
      [bucket, 'inbound/mine'],
      [partner, 'any/key'],
    ] as const) {
      await s3.send(new PutObjectCommand({ Bucket: where, Key: key, Body: order }));
    }
    const bodies = new ExtendedClientBodies(metered, 50_000, [{ bucket, prefix: 'inbound/' }, { bucket: partner }]);
    const sent = (pointer: { bucket: string; key: string }) => ({
      messageId: 'm-1',
      body: pointerBody(pointer),
      attributes: { MessageType: 'Order', ExtendedPayloadSize: String(order.length) },
    });

    for (const pointer of [
      { bucket, key: 'state/i-victim/3-abc' },
      { bucket, key: 'outbound/m-victim' },
      { bucket, key: 'inbound/../state/i-victim/3-abc' },
      { bucket, key: 'inbound/./mine' },
      { bucket, key: 'inbound' },
      { bucket: `${bucket}-other`, key: 'inbound/mine' },
    ]) {
      await expect(bodies.resolve(sent(pointer)), pointer.key).rejects.toThrow(InvalidMessage);
    }
    await expect(bodies.resolve(sent({ bucket, key: 'outbound/m-victim' }))).rejects.toThrow(
      `its extended-client pointer names s3://${bucket}/outbound/m-victim, outside what the receive host reads bodies from: ${bucket}/inbound/, ${partner}`,
    );
    expect(meter.calls.get('S3.GetObject') ?? 0).toBe(0);

    expect((await bodies.resolve(sent({ bucket, key: 'inbound/mine' }))).body).toBe(order);
    expect((await bodies.resolve(sent({ bucket: partner, key: 'any/key' }))).body).toBe(order);
    expect(meter.calls.get('S3.GetObject')).toBe(2);
    // No source at all (no bucket configured): nothing is followed.
    await expect(
      new ExtendedClientBodies(metered, 50_000, []).resolve(sent({ bucket, key: 'inbound/mine' })),
    ).rejects.toThrow(/reads bodies from: nowhere/);
  });
});

describe("the receive host's extended-client sources, from its configuration", () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ port: 0 });
  });
  afterAll(async () => stack?.stop());

  it("suspends a message whose pointer names the claim check's own objects (a state, a body sent out) or a bucket not allowed, pointer kept and nothing read; takes one under inbound/ and in an allowed bucket's prefix", async () => {
    const { endpoint } = stack;
    const s3 = s3Client({ endpoint });
    const resources = await provision(
      { dynamo: new DynamoDBClient({ endpoint }), sqs: sqsClient({ endpoint }), s3 },
      `pointers${process.pid}${Date.now().toString(36)}`,
    );
    const own = resources.claimCheckBucket!;
    const partner = `${own}-partner`;
    await s3.send(new CreateBucketCommand({ Bucket: partner }));
    const config = readConfig({
      BATON_TABLE_NAME: resources.tableName,
      BATON_WORK_QUEUE_URL: resources.queues.work.url,
      BATON_SEND_QUEUE_URL: resources.queues.send.url,
      BATON_CLAIM_CHECK_BUCKET: own,
      BATON_EXTENDED_PAYLOAD_BUCKETS: `${partner}/orders/`,
      AWS_REGION: process.env.AWS_REGION,
    });
    expect(config.extendedPayloadSources).toEqual([{ bucket: partner, prefix: 'orders/' }]);
    const meter = new RequestMeter();
    const runtime = createRuntime(config, { definitions: sampleOrchestrations(), meter, endpoint });
    const order = (orderId: string) =>
      JSON.stringify({ orderId, customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 1 }] });
    // Another party's bodies, where Baton keeps them: a state, a body sent out, an inbox message; and elsewhere in the partner's bucket.
    const objects = {
      state: [own, 'state/i-victim/7-0f0f'],
      outbound: [own, 'outbound/m-victim'],
      inbox: [own, 'inbox/i-victim/m-1-0f0f'],
      partnerElsewhere: [partner, 'private/o-9'],
      inbound: [own, 'inbound/o-1'],
      partner: [partner, 'orders/o-2'],
    } as const;
    for (const [name, [where, key]] of Object.entries(objects))
      await s3.send(new PutObjectCommand({ Bucket: where, Key: key, Body: order(`o-${name}`) }));
    const raw = (name: keyof typeof objects) => ({
      messageId: `m-${name}`,
      body: pointerBody({ bucket: objects[name][0], key: objects[name][1] }),
      attributes: { MessageType: 'Order', ExtendedPayloadSize: String(order(`o-${name}`).length) },
    });

    const { outcomes, failures } = await runtime.receiveHost.receive(
      (Object.keys(objects) as (keyof typeof objects)[]).map(raw),
    );
    expect(failures.size).toBe(0);
    const result = Object.fromEntries(outcomes.map((o) => [o.messageId.slice(2), o.result]));
    expect(result).toEqual({
      state: 'suspended',
      outbound: 'suspended',
      inbox: 'suspended',
      partnerElsewhere: 'suspended',
      inbound: 'activated',
      partner: 'activated',
    });
    for (const name of ['state', 'outbound', 'inbox', 'partnerElsewhere'] as const) {
      const kept = await runtime.store.suspendedMessage(`m-${name}`);
      expect(kept!.body).toBe(raw(name).body);
      expect(kept!.reason).toContain(
        `its extended-client pointer names s3://${objects[name][0]}/${objects[name][1]}, outside what the receive host reads bodies from: ${own}/inbound/, ${partner}/orders/`,
      );
    }
    // Only the two bodies taken were read.
    expect(meter.calls.get('S3.GetObject')).toBe(2);
  });

  it("refuses a configuration that would let pointers into the claim check's own objects, or names no bucket", () => {
    const base = {
      BATON_TABLE_NAME: 't',
      BATON_WORK_QUEUE_URL: 'w',
      BATON_SEND_QUEUE_URL: 's',
      BATON_CLAIM_CHECK_BUCKET: 'baton-claim-check',
    };
    expect(() => readConfig({ ...base, BATON_EXTENDED_PAYLOAD_BUCKETS: 'baton-claim-check' })).toThrow(
      /claim check's bucket baton-claim-check is read only under inbound\//,
    );
    expect(() => readConfig({ ...base, BATON_EXTENDED_PAYLOAD_BUCKETS: 'baton-claim-check/state/' })).toThrow(
      /read only under inbound\//,
    );
    expect(() => readConfig({ ...base, BATON_EXTENDED_PAYLOAD_BUCKETS: 'Not A Bucket' })).toThrow(
      /"Not A Bucket" is no bucket name/,
    );
    expect(
      readConfig({
        ...base,
        BATON_EXTENDED_PAYLOAD_BUCKETS: ' partner-a , partner-b/in/,baton-claim-check/inbound/partner/',
      }).extendedPayloadSources,
    ).toEqual([
      { bucket: 'partner-a' },
      { bucket: 'partner-b', prefix: 'in/' },
      { bucket: 'baton-claim-check', prefix: 'inbound/partner/' },
    ]);
    expect(readConfig(base).extendedPayloadSources).toEqual([]);
  });
});
