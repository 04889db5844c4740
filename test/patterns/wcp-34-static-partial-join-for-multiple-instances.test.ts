import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { ENOUGH, SAMPLES, staticPartialJoin } from './wcp-34-static-partial-join-for-multiple-instances.ts';

it('WCP-34 Static Partial Join for Multiple Instances: the next task once 7 of 10 completed; re-enabled only once all 10 did', async () => {
  const w = patternWorld([staticPartialJoin]);
  await w.send('ProductionLine', { line: 'l-2' });
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  // m instances at once (the lanes of the For Each, one per sample here).
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(Array(SAMPLES).fill('fork'));
  await w.run({ timers: true });
  const said = w.sendPort.sent.map((m) => {
    const body = m.body as { batch: number; sample?: number };
    return m.messageType === 'BatchReleased' ? `released ${body.batch}` : `${body.batch}.${body.sample}`;
  });
  const batch = (b: number, from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `${b}.${from + i}`);
  expect(said).toEqual([
    ...batch(1, 0, ENOUGH),
    'released 1',
    // The other three complete, inconsequentially; batch 2 starts only after the last of them (the join reset).
    ...batch(1, ENOUGH, SAMPLES),
    ...batch(2, 0, ENOUGH),
    'released 2',
    ...batch(2, ENOUGH, SAMPLES),
  ]);
  // What the first release saw: the first seven results (samples 0 to 6), none of the later three.
  expect(w.bodies('BatchReleased')[0]).toEqual({ batch: 1, defects: [1, 0, 0, 0, 1, 0, 0, null, null, null] });
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
  expect(w.of('Wcp34StaticPartialJoin')[0]!.status).toBe('completed');
});
