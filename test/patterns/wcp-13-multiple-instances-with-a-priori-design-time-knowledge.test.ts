import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import {
  multipleInstancesDesignTime,
  REVIEWERS,
} from './wcp-13-multiple-instances-with-a-priori-design-time-knowledge.ts';

it('WCP-13 Multiple Instances with a Priori Design-Time Knowledge: three concurrent instances, synchronized before the next task', async () => {
  const w = patternWorld([multipleInstancesDesignTime]);
  await w.send('Paper', { title: 'On joins' });
  // The split: the three instances start at once, each a branch instance with its own work item.
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(['fork', 'fork', 'fork']);
  await w.run();
  // All three are under way before any has finished: concurrent.
  expect(
    w
      .bodies('ReviewRequested')
      .map((b) => b.reviewer)
      .sort(),
  ).toEqual([...REVIEWERS]);
  expect(w.sent()).not.toContain('ReviewIn');
  await w.run({ timers: true });
  // The decision once, after the last review (Chi's, on day three), with every score in reviewer order.
  expect(w.sent().slice(-4)).toEqual(['ReviewIn', 'ReviewIn', 'ReviewIn', 'PaperDecided']);
  expect(w.bodies('PaperDecided')).toEqual([{ scores: [3, 4, 5] }]);
  expect(w.branches()).toHaveLength(REVIEWERS.length);
});
