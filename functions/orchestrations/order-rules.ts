/**
 * The sample's business rules, apart from the orchestrations that run them: what the peers of the bench
 * (bench/peers/) import too, without Baton's designer.
 */
import type { OrderBody } from './messages.ts';

/**
 * Why the business does not accept a well-formed order, or undefined if it does. (Whether it is well-formed
 * is its schema's business: see messages.ts.)
 */
export function validateOrder(order: OrderBody): string | undefined {
  if (order.customerId.trim() === '') return 'customerId must be a non-empty string';
  if (order.lines.length === 0) return 'lines must be a non-empty array';
  for (const [i, line] of order.lines.entries()) {
    if (line.sku === '') return `lines[${i}].sku must be a non-empty string`;
    if (!Number.isInteger(line.qty) || line.qty <= 0) return `lines[${i}].qty must be a positive integer`;
    if (line.unitPrice < 0) return `lines[${i}].unitPrice must be a non-negative number`;
  }
  return undefined;
}

/** Order total in currency units, summed in cents so 0.1 + 0.2 stays 0.3. */
export function priceOrder(order: OrderBody): number {
  const cents = order.lines.reduce((sum, line) => sum + Math.round(line.unitPrice * 100) * line.qty, 0);
  return cents / 100;
}
