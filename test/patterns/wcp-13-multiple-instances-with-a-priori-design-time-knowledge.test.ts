import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multipleInstancesDesignTime } from './wcp-13-multiple-instances-with-a-priori-design-time-knowledge.ts';

it('WCP-13 Multiple Instances with a Priori Design-Time Knowledge (workaround): three instances, concurrent, synchronized', async () => {
  const w = patternWorld([multipleInstancesDesignTime]);
  await w.send('Paper', { title: 'On joins' });
  // The split: three instances, each a branch instance with its own work item.
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(['fork', 'fork', 'fork']);
  await w.run();
  expect(
    w
      .bodies('ReviewRequested')
      .map((b) => b.reviewer)
      .sort(),
  ).toEqual(['ana', 'ben', 'chi']);
  // The decision came after all three, once.
  expect(w.sent().at(-1)).toBe('PaperDecided');
  expect(w.bodies('PaperDecided')).toEqual([{ scores: [3, 3, 3] }]);
});
