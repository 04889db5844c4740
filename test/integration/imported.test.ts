import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import type { LocalCluster } from '../../local/cluster.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/**
 * An imported orchestration runs as the one a person writes: OrderApproval, as `baton import` wrote it with its map
 * filled in by hand (test/import/filled), and as written by hand in Baton (test/import/hand-written), each on a local
 * cluster of two host instances; the same orders and approvals give the same messages on the same send ports.
 */
const [embedded] = targets;
const PORTS = ['SendApprovalRequestPort', 'SendInvoicePort', 'SendOrderRejectedPort'];

interface Out {
  port: string;
  type: string;
  body: Record<string, unknown>;
}

async function drive(cluster: LocalCluster): Promise<Out[]> {
  const d = cluster.describe();
  const sqs = sqsClient({ endpoint: d.endpoint });
  const sendAll = (messages: { type: string; body: unknown }[]) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: d.receiveQueueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify(m.body),
          MessageAttributes: { MessageType: { DataType: 'String', StringValue: m.type } },
        })),
      }),
    );
  const got: Out[] = [];
  const seen = new Set<string>();
  const receiveUntil = async (count: number) => {
    for (const deadline = Date.now() + 45_000; got.length < count && Date.now() < deadline; )
      for (const port of PORTS) {
        const QueueUrl = d.sendPortQueueUrls[port]!;
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        for (const m of Messages) {
          const id = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
          if (seen.has(id)) continue;
          seen.add(id);
          got.push({
            port,
            type: m.MessageAttributes?.MessageType?.StringValue ?? '?',
            body: JSON.parse(m.Body ?? '{}'),
          });
        }
        if (Messages.length > 0)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        if (Messages.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
  };
  await sendAll([
    { type: 'Contoso.Schemas.Order', body: { orderId: 'small-1', customerId: 'c-1', total: 250 } },
    { type: 'Contoso.Schemas.Order', body: { orderId: 'large-1', customerId: 'c-2', total: 2500 } },
    { type: 'Contoso.Schemas.Order', body: { orderId: 'large-2', customerId: 'c-3', total: 9000 } },
  ]);
  // The small order's invoice and the two approval requests.
  await receiveUntil(3);
  await sendAll([
    { type: 'Contoso.Schemas.Approval', body: { orderId: 'large-1', approved: true } },
    { type: 'Contoso.Schemas.Approval', body: { orderId: 'large-2', approved: false } },
  ]);
  await receiveUntil(5);
  return got.sort((a, b) => `${a.port}${a.body.orderId}`.localeCompare(`${b.port}${b.body.orderId}`));
}

describe('an imported orchestration on a local cluster (the embedded stack)', () => {
  const run = `${process.pid}${Date.now().toString(36)}`;
  const results: Record<'imported' | 'handWritten', Out[]> = { imported: [], handWritten: [] };

  describe('OrderApproval as baton import wrote it, its map filled in by hand', () => {
    const cluster = useLocalCluster(
      { prefix: `im${run}`, orchestrations: 'test/import/filled/OrderApproval.ts' },
      embedded,
    );
    it('answers the orders and the approvals', async () => {
      results.imported = await drive(cluster());
      expect(results.imported).toHaveLength(5);
    });
  });

  describe('OrderApproval written by hand', () => {
    const cluster = useLocalCluster(
      { prefix: `hw${run}`, orchestrations: 'test/import/hand-written/order-approval.ts' },
      embedded,
    );
    it('gives the same messages on the same send ports', async () => {
      results.handWritten = await drive(cluster());
      expect(results.handWritten).toEqual([
        {
          port: 'SendApprovalRequestPort',
          type: 'Contoso.Schemas.ApprovalRequest',
          body: { orderId: 'large-1', customerId: 'c-2', total: 2500 },
        },
        {
          port: 'SendApprovalRequestPort',
          type: 'Contoso.Schemas.ApprovalRequest',
          body: { orderId: 'large-2', customerId: 'c-3', total: 9000 },
        },
        {
          port: 'SendInvoicePort',
          type: 'Contoso.Schemas.Invoice',
          body: { orderId: 'large-1', customerId: 'c-2', total: 2500, invoiceNumber: 'INV-large-1' },
        },
        {
          port: 'SendInvoicePort',
          type: 'Contoso.Schemas.Invoice',
          body: { orderId: 'small-1', customerId: 'c-1', total: 250, invoiceNumber: 'INV-small-1' },
        },
        {
          port: 'SendOrderRejectedPort',
          type: 'Contoso.Schemas.OrderRejected',
          body: { orderId: 'large-2', customerId: 'c-3', reason: 'Declined by approver' },
        },
      ]);
      expect(results.imported).toEqual(results.handWritten);
    });
  });
});
