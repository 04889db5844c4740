/**
 * The load of the bench's `latency` part: a closed loop that keeps a fixed number of sample orders in flight and
 * sends the next one as each ends, so that throughput is what the host instances sustain and each orchestration's
 * end-to-end latency is its own (not the wait behind a backlog sent up front). An order has ended when every
 * message it must produce (Invoice and Shipment, or OrderRejected) reached the send queue: those go out after the
 * commit that completes the orchestration.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { orderInstanceId, sampleOrder } from '../local/demo.ts';

export interface ClosedLoopOptions {
  readonly sqs: SQSClient;
  readonly receiveQueueUrl: string;
  readonly sendQueueUrl: string;
  readonly orders: number;
  /** Orders in flight at any time (sent, not yet ended). */
  readonly inFlight: number;
  readonly timeoutMs?: number;
}

/** Runs the loop; returns when each order was sent (epoch ms), by its instance id. */
export async function closedLoop(o: ClosedLoopOptions): Promise<Map<string, number>> {
  const orders = Array.from({ length: o.orders }, (_, i) => sampleOrder(i));
  const awaiting = new Map(orders.map((order) => [order.orderId, order.expected.length]));
  const sentAt = new Map<string, number>();
  const seen = new Set<string>();
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  let sent = 0;
  let ended = 0;

  const topUp = async () => {
    while (sent < orders.length && sent - ended < o.inFlight) {
      const chunk = orders.slice(sent, sent + Math.min(10, o.inFlight - (sent - ended)));
      sent += chunk.length;
      const at = Date.now();
      const response = await o.sqs.send(new SendMessageBatchCommand({
        QueueUrl: o.receiveQueueUrl,
        Entries: chunk.map((order, j) => ({ Id: String(j), MessageBody: JSON.stringify(order.body), MessageAttributes: { MessageType: { DataType: 'String', StringValue: 'Order' } } })),
      }));
      if ((response.Failed ?? []).length > 0) throw new Error(`bench: could not send orders: ${JSON.stringify(response.Failed)}`);
      for (const order of chunk) sentAt.set(orderInstanceId(order.orderId), at);
    }
  };

  await topUp();
  while (ended < orders.length) {
    if (Date.now() > deadline) throw new Error(`bench: ${orders.length - ended} of ${orders.length} orders not ended after ${o.timeoutMs ?? 300_000} ms`);
    const { Messages = [] } = await o.sqs.send(new ReceiveMessageCommand({ QueueUrl: o.sendQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const message of Messages) {
      // A copy sent again (same MessageId) is not a second message of its order.
      if (seen.has(message.MessageId!)) continue;
      seen.add(message.MessageId!);
      const { orderId } = JSON.parse(message.Body ?? '{}') as { orderId?: string };
      const left = orderId === undefined ? undefined : awaiting.get(orderId);
      if (left === undefined) continue;
      awaiting.set(orderId!, left - 1);
      if (left === 1) ended++;
    }
    await Promise.all([
      Messages.length > 0 && o.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: o.sendQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })),
      topUp(),
    ]);
  }
  return sentAt;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
