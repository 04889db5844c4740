/**
 * OrderApproval as a person writes it in Baton, from the same BizTalk orchestration (test/import/fixtures/
 * OrderApproval.odx) that `baton import` turned into test/import/filled/OrderApproval.ts: an order over 1,000 waits
 * for an Approval (two days at most), a smaller one is invoiced at once. The same message types and send ports.
 */
import * as v from 'valibot';
import { designer, messageType } from '../../../functions/index.ts';

const Order = messageType(
  'Contoso.Schemas.Order',
  v.object({ orderId: v.string(), customerId: v.string(), total: v.number() }),
);
const Approval = messageType('Contoso.Schemas.Approval', v.object({ orderId: v.string(), approved: v.boolean() }));
const ApprovalRequest = messageType(
  'Contoso.Schemas.ApprovalRequest',
  v.object({ orderId: v.string(), customerId: v.string(), total: v.number() }),
);
const Invoice = messageType(
  'Contoso.Schemas.Invoice',
  v.object({ orderId: v.string(), customerId: v.string(), total: v.number(), invoiceNumber: v.string() }),
);
const OrderRejected = messageType(
  'Contoso.Schemas.OrderRejected',
  v.object({ orderId: v.string(), customerId: v.string(), reason: v.string() }),
);

const { orchestration, receive, receiveCorrelated, decide, when, send, listen, onMessage, onTimeout } = designer({
  order: Order,
  approval: Approval,
});

const invoice = (id: string) =>
  send(id, 'SendInvoicePort', Invoice, (ctx) => {
    const { orderId, customerId, total } = ctx.message('order').body;
    return { orderId, customerId, total, invoiceNumber: `INV-${orderId}` };
  });
const rejection = (id: string, reason: string) =>
  send(id, 'SendOrderRejectedPort', OrderRejected, (ctx) => {
    const { orderId, customerId } = ctx.message('order').body;
    return { orderId, customerId, reason };
  });

export const orderApproval = orchestration(
  'OrderApproval',
  1,
  [
    receive('receiveOrder', Order, { into: 'order', correlation: 'order' }),
    decide(
      'bySize',
      [
        when('large', (ctx) => ctx.message('order').body.total > 1000, [
          send('askApproval', 'SendApprovalRequestPort', ApprovalRequest, (ctx) => ctx.message('order').body),
          listen('approvalOrTimeout', [
            onMessage(
              'answered',
              receiveCorrelated('receiveApproval', Approval, { into: 'approval', correlation: 'order' }),
              [
                decide(
                  'approved',
                  [when('yes', (ctx) => ctx.message('approval').body.approved, [invoice('invoiceApproved')])],
                  [rejection('rejectDeclined', 'Declined by approver')],
                ),
              ],
            ),
            onTimeout('expired', 'approvalTimeout', { days: 2 }, [
              rejection('rejectExpired', 'No approval received within 2 days'),
            ]),
          ]),
        ]),
      ],
      [invoice('invoiceSmall')],
    ),
  ],
  {
    correlationSets: {
      order: { 'Contoso.Schemas.Order': (m) => m.body.orderId, 'Contoso.Schemas.Approval': (m) => m.body.orderId },
    },
  },
);

export const orchestrations = [orderApproval];
