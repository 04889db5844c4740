import * as z from 'zod/mini';
import { messageType } from 'baton';

// The message types of the expenses process, each with the schema its bodies must match. zod/mini keeps the
// Lambda bundles small; plain `zod`, valibot or ArkType work the same (any Standard Schema).

/** An employee claims an expense. */
export const ExpenseClaim = messageType(
  'ExpenseClaim',
  z.object({
    claimId: z.string().check(z.minLength(1), z.maxLength(64)),
    employee: z.string().check(z.minLength(1)),
    amount: z.number().check(z.positive(), z.maximum(100_000)),
    currency: z.enum(['EUR', 'USD', 'GBP']),
  }),
);

/** Paid out at once. */
export const Reimbursement = messageType(
  'Reimbursement',
  z.object({
    claimId: z.string(),
    employee: z.string(),
    amount: z.number().check(z.positive()),
    currency: z.string(),
  }),
);

/** A manager must look at it first. */
export const ManagerReview = messageType(
  'ManagerReview',
  z.object({
    claimId: z.string(),
    employee: z.string(),
    reason: z.string(),
  }),
);
