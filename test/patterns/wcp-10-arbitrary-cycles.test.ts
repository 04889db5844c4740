import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { arbitraryCycles } from './wcp-10-arbitrary-cycles.ts';

it('WCP-10 Arbitrary Cycles: two cycles through one state, each entered at its own point, left from two different states', async () => {
  const w = patternWorld([arbitraryCycles]);
  await w.send('Document', { title: 'Terms' });
  await w.run();
  // Into the revise cycle, then the legal cycle twice, leaving from legal.
  expect(w.bodies('Published')).toEqual([
    { visited: ['draft', 'review', 'revise', 'review', 'legal', 'review', 'legal'] },
  ]);

  // Approved at once: out of the cycle from the review, the other exit.
  const approved = patternWorld([arbitraryCycles]);
  await approved.send('Document', { title: 'Terms', approved: true });
  await approved.run();
  expect(approved.bodies('Published')).toEqual([{ visited: ['draft', 'review'] }]);
});
