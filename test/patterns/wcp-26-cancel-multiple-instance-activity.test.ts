import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelMultipleInstanceActivity } from './wcp-26-cancel-multiple-instance-activity.ts';

const lanes = (w: ReturnType<typeof patternWorld>) =>
  w
    .branches()
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId))
    .map((l) => l.status);

it('WCP-26 Cancel Multiple Instance Activity: cancelled while its instances run, those not completed are withdrawn, those completed stand', async () => {
  const w = patternWorld([cancelMultipleInstanceActivity]);
  await w.send('Batch', { key: 'b-1' });
  await w.run();
  // All five at once.
  expect(lanes(w)).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
  // Two and a half hours in: two samples tested.
  await w.wait(150 * 60_000);
  expect(w.bodies('SampleTested')).toEqual([{ sample: 's1' }, { sample: 's2' }]);
  await w.send('CancelBatch', { key: 'b-1' });
  await w.run();
  expect(lanes(w)).toEqual(['completed', 'completed', 'terminated', 'terminated', 'terminated']);
  // Their hours come: the withdrawn do nothing more, and the report after the tests is never made.
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['SampleTested', 'SampleTested', 'BatchCancelled']);
  expect(w.bodies('SampleTested')).toEqual([{ sample: 's1' }, { sample: 's2' }]);
  expect(w.of('Wcp26CancelMultipleInstanceActivity')[0]!.status).toBe('completed');
});

it('WCP-26 Cancel Multiple Instance Activity: not cancelled, every instance completes and the task after them runs', async () => {
  const w = patternWorld([cancelMultipleInstanceActivity]);
  await w.send('Batch', { key: 'b-2' });
  await w.run({ timers: true });
  expect(w.sent()).toEqual([
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'BatchReported',
  ]);
  // A cancel now comes after the task: nothing is withdrawn.
  await w.send('CancelBatch', { key: 'b-2' });
  await w.run();
  expect(w.sent()).not.toContain('BatchCancelled');
  expect(lanes(w)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
});
