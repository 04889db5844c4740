import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { structuredSynchronizingMerge } from './wcp-07-structured-synchronizing-merge.ts';

it('WCP-7 Structured Synchronizing Merge (workaround): the merge waits for every selected branch, and only those', async () => {
  const both = patternWorld([structuredSynchronizingMerge]);
  await both.send('Incident', { police: true, ambulance: true });
  await both.run();
  expect(both.sent()).toEqual([]);
  // The ambulance arrives first (8 minutes): the merge still waits for the police (12).
  await both.run({ timers: true });
  expect(both.bodies('PatientTransferred')).toEqual([{ police: 'arrived', ambulance: 'arrived' }]);
  expect(both.clock.now() - both.of('Wcp07StructuredSynchronizingMerge')[0]!.createdAt).toBeGreaterThanOrEqual(
    12 * 60_000,
  );

  // Only the ambulance selected: the merge fires when it arrived, without waiting for a branch not taken.
  const one = patternWorld([structuredSynchronizingMerge]);
  await one.send('Incident', { ambulance: true });
  await one.run({ timers: true });
  expect(one.bodies('PatientTransferred')).toEqual([{ police: null, ambulance: 'arrived' }]);
  expect(one.clock.now() - one.of('Wcp07StructuredSynchronizingMerge')[0]!.createdAt).toBeLessThan(12 * 60_000);
});
