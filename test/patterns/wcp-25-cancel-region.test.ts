import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelRegion } from './wcp-25-cancel-region.ts';

it('WCP-25 Cancel Region (partly): the tasks left in the region are withdrawn; the process goes on after it', async () => {
  const w = patternWorld([cancelRegion]);
  await w.send('LoanApplication', { amount: 2_000_000 });
  await w.run();
  expect(w.sent()).toEqual(['CreditChecked', 'AssessmentCancelled', 'ApplicationClosed']);
  expect(w.bodies('AssessmentCancelled')[0]!.why).toContain('over the branch limit');

  const within = patternWorld([cancelRegion]);
  await within.send('LoanApplication', { amount: 300_000 });
  await within.run();
  expect(within.sent()).toEqual(['CreditChecked', 'ValuationOrdered', 'OfferPrepared', 'ApplicationClosed']);
});
