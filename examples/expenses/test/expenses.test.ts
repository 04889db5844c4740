import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type RunningLocalCluster } from 'baton/local';

let baton: RunningLocalCluster;

beforeAll(async () => {
  // Two host instances on the embedded stack, in memory, on a free port: the same code as on Lambda.
  baton = await startLocalCluster({
    orchestrations: 'src/orchestrations.ts',
    environment: { EXPENSES_REVIEW_FROM: '500' },
  });
}, 60_000);
afterAll(async () => baton?.stop());

describe('the Expenses orchestration on a local cluster', () => {
  it('reimburses a small claim and asks a manager about a large one', async () => {
    await baton.send('ExpenseClaim', { claimId: 'c-1', employee: 'ada', amount: 42.5, currency: 'EUR' });
    await baton.send('ExpenseClaim', { claimId: 'c-2', employee: 'grace', amount: 1_200, currency: 'USD' });
    const sent = await baton.receive({ count: 2 });
    const byClaim = Object.fromEntries(sent.map((m) => [(m.body as { claimId: string }).claimId, m]));
    expect(byClaim['c-1']).toMatchObject({
      messageType: 'Reimbursement',
      body: { claimId: 'c-1', employee: 'ada', amount: 42.5, currency: 'EUR' },
    });
    expect(byClaim['c-2']).toMatchObject({
      messageType: 'ManagerReview',
      body: { claimId: 'c-2', reason: '1200 USD is at or above 500' },
    });
  });

  it('suspends a claim that does not match its schema, with the path of each issue, and sends nothing for it', async () => {
    const messageId = await baton.send('ExpenseClaim', {
      claimId: 'c-3',
      employee: 'alan',
      amount: -5,
      currency: 'XYZ',
    });
    let suspended;
    for (let i = 0; i < 50 && !suspended; i++) {
      suspended = (await baton.suspendedMessages()).find((m) => m.messageId === messageId);
      if (!suspended) await new Promise((r) => setTimeout(r, 200));
    }
    expect(suspended?.issues?.map((issue) => issue.path)).toEqual(['amount', 'currency']);
    expect(await baton.receive({ count: 1, timeoutMs: 2_000 })).toEqual([]);
  });
});
