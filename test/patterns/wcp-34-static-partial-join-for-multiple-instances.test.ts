import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { ENOUGH, SAMPLES, staticPartialJoin } from './wcp-34-static-partial-join-for-multiple-instances.ts';

it('WCP-34 Static Partial Join for Multiple Instances (partly): the next task once 7 of 10 instances completed; the other 3 complete, inconsequentially', async () => {
  const w = patternWorld([staticPartialJoin]);
  await w.send('ProductionBatch', { line: 'l-2' });
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(Array(SAMPLES).fill('fork'));
  await w.run({ timers: true });
  // The release came right after the seventh examination, once; the last three examinations still completed.
  const sent = w.sent();
  expect(sent.indexOf('BatchReleased')).toBe(ENOUGH);
  expect(sent.filter((t) => t === 'BatchReleased')).toHaveLength(1);
  expect(sent.filter((t) => t === 'SampleExamined')).toHaveLength(SAMPLES);
  // What the release saw: the first seven results (samples 0 to 6), none of the later three.
  expect(w.bodies('BatchReleased')).toEqual([{ defects: [1, 0, 0, 0, 1, 0, 0, null, null, null] }]);
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
  expect(w.of('Wcp34StaticPartialJoin')[0]!.status).toBe('completed');
});
