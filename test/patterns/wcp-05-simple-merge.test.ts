import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { simpleMerge } from './wcp-05-simple-merge.ts';

it('WCP-5 Simple Merge: the step after the merge runs once for whichever branch was taken', async () => {
  const w = patternWorld([simpleMerge]);
  await w.send('Payment', { method: 'cash' });
  await w.send('Payment', { method: 'card' });
  await w.run();
  expect(w.bodies('ProductReceipt').sort((a, b) => String(a.paid).localeCompare(String(b.paid)))).toEqual([
    { paid: 'cash' },
    { paid: 'credit' },
  ]);
});
