import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { s3Client, sqsClient } from '../../functions/adapters/aws-clients.ts';
import { ExtendedClientBodies } from '../../functions/adapters/ExtendedClientBodies.ts';
import { S3PayloadStore } from '../../functions/adapters/S3PayloadStore.ts';
import { SqsSendPort, outboundKey } from '../../functions/adapters/SqsSendPort.ts';
import { LEGACY_POINTER_CLASS, POINTER_CLASS, isOffloaded, parsePointer, pointerBody } from '../../functions/adapters/extended-client.ts';
import { InvalidMessage } from '../../functions/core/errors.ts';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

describe('the SQS extended clients\' pointer format', () => {
  it('reads the pointer as the Java library writes it (compact), as the Python one does (spaced), and Java 1.x\'s class name', () => {
    const java = `["${POINTER_CLASS}",{"s3BucketName":"orders-large","s3Key":"5b1c0f0e-1f7c-4a8e-9a57-0b9d6a1c2f3e"}]`;
    const python = `["${POINTER_CLASS}", {"s3BucketName": "orders-large", "s3Key": "prefix/5b1c"}]`;
    const legacy = `["${LEGACY_POINTER_CLASS}",{"s3BucketName":"b","s3Key":"k"}]`;
    expect(parsePointer(java)).toEqual({ bucket: 'orders-large', key: '5b1c0f0e-1f7c-4a8e-9a57-0b9d6a1c2f3e' });
    expect(parsePointer(python)).toEqual({ bucket: 'orders-large', key: 'prefix/5b1c' });
    expect(parsePointer(legacy)).toEqual({ bucket: 'b', key: 'k' });
    // Baton writes the Java form, which both libraries parse.
    expect(pointerBody({ bucket: 'orders-large', key: 'prefix/5b1c' })).toBe(`["${POINTER_CLASS}",{"s3BucketName":"orders-large","s3Key":"prefix/5b1c"}]`);
    for (const notAPointer of ['{"orderId":"o-1"}', '["x",{"s3BucketName":"b","s3Key":"k"}]', `["${POINTER_CLASS}",{"s3BucketName":"b"}]`, 'not json', `["${POINTER_CLASS}"]`]) {
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
    const port = new SqsSendPort(sqs, { send: QueueUrl! }, { payloads: new S3PayloadStore(s3, bucket), bucket, fromBytes: 10_000 });
    const large = { orderId: 'o-large', lines: Array.from({ length: 1_000 }, (_, i) => ({ sku: `sku-${i}`, qty: i })) };
    const entry = (messageId: string, body: unknown) => ({ kind: 'send' as const, port: 'send', messageType: 'Shipment', body, messageId, instanceId: 'i-1', correlationId: 'c-1' });
    const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await port.dispatch([entry('m-large', large), { ...entry('m-small', { orderId: 'o-small' }), trace }]);

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    const byId = new Map(Messages.map((m) => [m.MessageAttributes!.MessageId!.StringValue, m]));
    const pointer = byId.get('m-large')!;
    expect(JSON.parse(pointer.Body!)).toEqual([POINTER_CLASS, { s3BucketName: bucket, s3Key: outboundKey('m-large') }]);
    const size = Buffer.byteLength(JSON.stringify(large));
    expect(pointer.MessageAttributes!.ExtendedPayloadSize).toEqual(expect.objectContaining({ DataType: 'Number', StringValue: String(size) }));
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
    const bodies = new ExtendedClientBodies(s3, 50_000);
    const order = JSON.stringify({ orderId: 'o-ext', customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 1 }], note: 'x'.repeat(20_000) });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbound/o-ext', Body: order }));
    const sent = { messageId: 'm-ext', body: pointerBody({ bucket, key: 'inbound/o-ext' }), attributes: { MessageType: 'Order', SQSLargePayloadSize: String(order.length) } };
    expect(await bodies.resolve(sent)).toEqual({ messageId: 'm-ext', body: order, attributes: { MessageType: 'Order' } });
    // Not offloaded: untouched, no request.
    const plain = { messageId: 'm-plain', body: '{"orderId":"o"}', attributes: { MessageType: 'Order' } };
    expect(await bodies.resolve(plain)).toBe(plain);

    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/none' }) })).rejects.toThrow(InvalidMessage);
    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/none' }) })).rejects.toThrow(/not there \(NoSuchKey\)/);
    await expect(bodies.resolve({ ...sent, body: '{"orderId":"o"}' })).rejects.toThrow(/SQSLargePayloadSize .* not an S3 pointer/);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inbound/huge', Body: 'x'.repeat(60_000) }));
    await expect(bodies.resolve({ ...sent, body: pointerBody({ bucket, key: 'inbound/huge' }) })).rejects.toThrow(/60000 bytes; the MessageBox keeps at most 50000/);
  });
});
