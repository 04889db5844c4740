import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelRegion } from './wcp-25-cancel-region.ts';

it('WCP-25 Cancel Region: a message cancels the region while its branches run: the one still running is withdrawn, the rest never runs', async () => {
  const w = patternWorld([cancelRegion]);
  await w.send('LoanApplication', { key: 'a-1' });
  // Two hours in: the credit check is done, the valuation is under way.
  await w.wait(2 * 3_600_000);
  expect(w.sent()).toEqual(['CreditChecked']);
  await w.send('ApplicationWithdrawn', { key: 'a-1' });
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['CreditChecked', 'AssessmentCancelled', 'ApplicationClosed']);
  const branches = Object.fromEntries(w.branches().map((b) => [b.branchOf!.branch, b.status]));
  expect(branches).toEqual({ credit: 'completed', valuation: 'terminated' });
  expect(w.of('Wcp25CancelRegion')[0]!.status).toBe('completed');
});

it('WCP-25 Cancel Region: the same message cancels it where it waits for a message, later in the region', async () => {
  const w = patternWorld([cancelRegion]);
  await w.send('LoanApplication', { key: 'a-2' });
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['CreditChecked', 'PropertyValued', 'OfferMade']);
  await w.send('ApplicationWithdrawn', { key: 'a-2' });
  await w.run();
  // The acceptance, had it come, is not taken: the region is over.
  await w.send('OfferAccepted', { key: 'a-2' });
  await w.run();
  expect(w.sent()).toEqual([
    'CreditChecked',
    'PropertyValued',
    'OfferMade',
    'AssessmentCancelled',
    'ApplicationClosed',
  ]);
});

it('WCP-25 Cancel Region: not cancelled, the region runs through', async () => {
  const w = patternWorld([cancelRegion]);
  await w.send('LoanApplication', { key: 'a-3' });
  await w.run({ timers: true });
  await w.send('OfferAccepted', { key: 'a-3' });
  await w.run();
  expect(w.sent()).toEqual(['CreditChecked', 'PropertyValued', 'OfferMade', 'LoanSettled', 'ApplicationClosed']);
});
