import { expect, it } from 'vitest';
import { orchestration, receive, receiveCorrelated, send } from '../../functions/core/builder.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/** An order whose convoy takes an Approval later (so Approvals are delivered to its instance), but not this time. */
const withApproval = orchestration(
  'Ordered',
  1,
  [
    receive('order', 'Order', { into: 'order', correlation: 'order' }),
    send('ack', 'send', 'Acked', () => ({})),
    receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
  ],
  { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf } } },
);

it("keeps a message delivered as its instance ended: the delivery's own work item finds it in the ended instance's inbox (simulation seed 81239)", async () => {
  const w = createWorld([withApproval]);
  await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
  await settle(w);
  const [state] = [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
  // It ended (an operator, say) and the host that ended it read its inbox before an Approval came in and died there.
  const ended = { ...state!, status: 'completed' as const, revision: state!.revision + 1, outbox: [] };
  await w.store.commit(ended, state!.revision, 'operator', Number.MAX_SAFE_INTEGER);
  await w.store.deliver(state!.instanceId, {
    messageId: 'late-approval',
    messageType: 'Approval',
    body: { orderId: 'o-1' },
    properties: {},
    receivedAt: w.clock.now(),
  });
  // The delivery's work item, first delivered, finds the instance ended: the Approval is kept, not left in its inbox.
  await w.workQueue.enqueue([{ instanceId: state!.instanceId, reason: 'receive' }]);
  await settle(w);
  expect([...w.store.suspended.keys()]).toEqual(['late-approval']);
  expect(await w.store.deliveries(state!.instanceId)).toEqual([]);
});
