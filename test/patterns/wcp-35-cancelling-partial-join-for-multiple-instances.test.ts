import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancellingPartialJoinForMultipleInstances } from './wcp-35-cancelling-partial-join-for-multiple-instances.ts';

it('WCP-35 Cancelling Partial Join for Multiple Instances: the next task once 3 of 5 instances completed, and the other 2 are cancelled', async () => {
  const w = patternWorld([cancellingPartialJoinForMultipleInstances]);
  await w.send('Tender', { bids: ['b1', 'b2', 'b3', 'b4', 'b5'] });
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items).toHaveLength(5);
  await w.run({ timers: true });
  // Three assessments, the award, and nothing from the two withdrawn, though their hours came.
  expect(w.sent()).toEqual(['BidAssessed', 'BidAssessed', 'BidAssessed', 'TenderAwarded']);
  expect(w.bodies('TenderAwarded')).toEqual([{ assessed: ['b1', 'b2', 'b3'] }]);
  const lanes = w.branches().sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  expect(lanes.map((l) => l.status)).toEqual(['completed', 'completed', 'completed', 'terminated', 'terminated']);
  expect(w.of('Wcp35CancellingPartialJoin')[0]!.status).toBe('completed');
});
