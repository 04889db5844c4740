import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { arbitraryCycles } from './wcp-10-arbitrary-cycles.ts';

it('WCP-10 Arbitrary Cycles (workaround): a cycle entered and left at several points, as a loop over a state variable', async () => {
  const w = patternWorld([arbitraryCycles]);
  await w.send('Document', { title: 'Terms' });
  await w.run();
  expect(w.bodies('Published')).toEqual([
    { visited: ['draft', 'review', 'revise', 'review', 'legal', 'review', 'legal'] },
  ]);
});
