import * as v from 'valibot';
import { messageType } from '../core/schema.ts';

/*
 * The sample's message types, each with its schema (valibot here; any Standard Schema library works).
 * A schema says what a well-formed message is: the types, and numbers a program can compute with (finite,
 * and small enough that an order's total in cents stays an exact integer). Whether the business accepts a
 * well-formed order (a positive quantity, at least one line) is the orchestration's decision: it answers
 * OrderRejected. A body that is not well-formed never reaches it: it is suspended with each issue's path.
 */

const id = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
/** Finite, and at most `max` in size. */
const amount = (max: number) => v.pipe(v.number(), v.finite(), v.minValue(-max), v.maxValue(max));

export const OrderLineSchema = v.object({
  sku: v.pipe(v.string(), v.maxLength(200)),
  qty: amount(100_000),
  unitPrice: amount(1_000_000),
});

/**
 * Orders come from EDI batches and catalogues as well as shops: up to 100,000 lines (a few MB, which the MessageBox
 * takes by its claim check). What bounds them is arithmetic: the total in cents must stay an exact integer.
 */
export const MAX_ORDER_LINES = 100_000;
const exactTotal = (lines: v.InferOutput<typeof OrderLineSchema>[]) =>
  lines.reduce((cents, line) => cents + Math.abs(Math.round(line.unitPrice * 100) * line.qty), 0) <=
  Number.MAX_SAFE_INTEGER;

export const OrderSchema = v.object({
  orderId: id,
  customerId: v.pipe(v.string(), v.maxLength(200)),
  lines: v.pipe(
    v.array(OrderLineSchema),
    v.maxLength(MAX_ORDER_LINES),
    v.check(exactTotal, 'the order total in cents must stay below 2^53'),
  ),
});

/** What an orchestration sees of an Order: the schema's output. */
export type OrderBody = v.InferOutput<typeof OrderSchema>;

/** An order placed by a customer: activates OrderFulfilment. */
export const Order = messageType('Order', OrderSchema);

/** A person's answer to an ApprovalRequest. */
export const Approval = messageType('Approval', v.object({ orderId: id, approved: v.boolean() }));

/** The customer withdraws the order. */
export const Cancel = messageType('Cancel', v.object({ orderId: id }));

const total = v.pipe(v.number(), v.finite(), v.minValue(0));
const names = v.array(v.string());

export const ApprovalRequest = messageType('ApprovalRequest', v.object({ orderId: id, total }));

/** v1 invoices carry no payment authorisation; v2 invoices do. */
export const Invoice = messageType(
  'Invoice',
  v.object({ orderId: id, customerId: v.string(), total, authorisation: v.optional(v.string()) }),
);

export const Shipment = messageType('Shipment', v.object({ orderId: id, customerId: v.string(), reservations: names }));

export const OrderRejected = messageType('OrderRejected', v.object({ orderId: id, reason: v.string() }));

/** `compensated` lists what was undone (payment voided, inventory released). */
export const OrderCancelled = messageType('OrderCancelled', v.object({ orderId: id, compensated: names }));
