import { describe, expect, it } from 'vitest';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../functions/adapters/aws-clients.ts';
import { convoyInstanceId } from '../../functions/core/ids.ts';
import { useLocalCluster } from '../helpers/cluster.ts';
import { announceSkip, targets } from '../helpers/targets.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';

/**
 * Every shape through a local cluster of two host instances (OS processes, real pollers, emulators): the
 * fixture orchestration uses receive, correlated receive, Listen with its timeout, Delay, Parallel Actions,
 * Loop, Decide, Scope with an error handler and compensations, synchronized scopes (their locks on the emulator's
 * DynamoDB), Compensate, Throw, Call, Start, Terminate.
 */
for (const target of targets) {
  announceSkip(target);
  describe.skipIf(target.skip)(
    `every shape through a local cluster on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`,
    () => {
      const run = `${process.pid}${Date.now().toString(36)}`;
      const cluster = useLocalCluster({ prefix: `sh${run}`, orchestrations: 'test/fixtures/every-shape.ts' }, target);

      it('approved: one Invoice after the loop and the delay; refused by timeout: compensation, OrderRejected, terminated', async () => {
        const d = cluster().describe();
        const sqs = sqsClient({ endpoint: d.endpoint });
        const [approved, silent] = [`ok-${run}`, `no-${run}`];
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
        await sendAll([
          { type: 'Order', body: { orderId: approved } },
          { type: 'Order', body: { orderId: silent } },
        ]);
        await sendAll([{ type: 'Approval', body: { orderId: approved, approved: true } }]);

        const expected = {
          [approved]: ['ApprovalRequest', 'Audited', 'Authorised', 'Invoice', 'Pick', 'Pick', 'Reserved'],
          [silent]: ['ApprovalRequest', 'Audited', 'Authorised', 'OrderRejected', 'Released', 'Reserved', 'Voided'],
        };
        const got: Record<string, { type: string; body: Record<string, unknown> }[]> = { [approved]: [], [silent]: [] };
        const seen = new Set<string>();
        const deadline = Date.now() + 45_000;
        while (Date.now() < deadline && Object.entries(expected).some(([k, v]) => got[k]!.length < v.length)) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: d.sendQueueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              MessageAttributeNames: ['All'],
            }),
          );
          for (const m of Messages) {
            const body = JSON.parse(m.Body ?? '{}') as Record<string, unknown>;
            const messageId = m.MessageAttributes?.MessageId?.StringValue ?? m.MessageId!;
            if (!(String(body.orderId) in got) || seen.has(messageId)) continue;
            seen.add(messageId);
            got[String(body.orderId)]!.push({ type: m.MessageAttributes?.MessageType?.StringValue ?? '?', body });
          }
          if (Messages.length > 0)
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: d.sendQueueUrl,
                Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
              }),
            );
        }
        for (const [orderId, types] of Object.entries(expected))
          expect(got[orderId]!.map((m) => m.type).sort(), orderId).toEqual(types);

        const invoice = got[approved]!.find((m) => m.type === 'Invoice')!.body;
        expect(invoice.stamped).toBe(2);
        expect(String(invoice.caught)).toContain('thrown by "boom": checked');
        // Compensation runs newest first: the payment branch's scope completed after the inventory's (its delay).
        expect(got[silent]!.map((m) => m.type).filter((t) => t === 'Voided' || t === 'Released')).toEqual([
          'Voided',
          'Released',
        ]);
        // What an instance sends goes out before its end is committed (sends are persisted first): the end follows,
        // for the order terminated after its OrderRejected as for the approved one after its Invoice.
        const settled = async (orderId: string, status: string) => {
          const load = () => cluster().store.load(convoyInstanceId('Everything', 'order', orderId));
          for (const until = Date.now() + 10_000; (await load())!.status !== status && Date.now() < until; )
            await new Promise((r) => setTimeout(r, 100));
          return (await load())!;
        };
        const main = await settled(silent, 'terminated');
        expect(main.status).toBe('terminated');
        expect(main.error!.reason).toContain('not approved');
        expect((await settled(approved, 'completed')).status).toBe('completed');
      });
    },
  );
}
