import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { completeMultipleInstanceActivity } from './wcp-27-complete-multiple-instance-activity.ts';

const lanes = (w: ReturnType<typeof patternWorld>) =>
  w
    .branches()
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId))
    .map((l) => l.status);

it('WCP-27 Complete Multiple Instance Activity: forcibly completed, the remaining instances are withdrawn and the next task runs at once', async () => {
  const w = patternWorld([completeMultipleInstanceActivity]);
  await w.send('Batch', { key: 'b-1' });
  await w.run();
  expect(lanes(w)).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
  await w.wait(150 * 60_000);
  expect(w.sent()).toEqual(['SampleTested', 'SampleTested']);
  const at = w.clock.now();
  await w.send('CompleteTesting', { key: 'b-1' });
  await w.run();
  // The next task, at once (no time passed), and the three still running withdrawn.
  expect(w.clock.now()).toBe(at);
  expect(w.sent()).toEqual(['SampleTested', 'SampleTested', 'AnalysisStarted']);
  expect(lanes(w)).toEqual(['completed', 'completed', 'terminated', 'terminated', 'terminated']);
  expect(w.of('Wcp27CompleteMultipleInstanceActivity')[0]!.status).toBe('completed');
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['SampleTested', 'SampleTested', 'AnalysisStarted']);
  // The exception the header names: a forced completion gathers no results.
  expect(w.bodies('AnalysisStarted')).toEqual([{ results: null }]);
});

it('WCP-27 Complete Multiple Instance Activity: not forced, the next task waits for every instance, once', async () => {
  const w = patternWorld([completeMultipleInstanceActivity]);
  await w.send('Batch', { key: 'b-2' });
  await w.wait(270 * 60_000);
  // Four of five in: the next task still waits.
  expect(w.sent()).toEqual(['SampleTested', 'SampleTested', 'SampleTested', 'SampleTested']);
  await w.run({ timers: true });
  expect(w.sent()).toEqual([
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'SampleTested',
    'AnalysisStarted',
  ]);
  expect(w.bodies('AnalysisStarted')).toEqual([{ results: ['s1', 's2', 's3', 's4', 's5'] }]);
});
