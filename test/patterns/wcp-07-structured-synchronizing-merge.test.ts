import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { structuredSynchronizingMerge } from './wcp-07-structured-synchronizing-merge.ts';

const MINUTE = 60_000;

it('WCP-7 Structured Synchronizing Merge: the merge fires once, when every active branch arrived, and waits for no other', async () => {
  // Both selected: the ambulance arrives after 8 minutes, the police after 12; the merge waits for the police.
  const both = patternWorld([structuredSynchronizingMerge]);
  await both.send('Incident', { police: true, ambulance: true });
  await both.run();
  expect(both.branches().map((b) => b.branchOf!.branch)).toEqual(['police', 'ambulance']);
  await both.run({ timers: true });
  expect(both.bodies('PatientTransferred')).toEqual([{ police: 'arrived', ambulance: 'arrived' }]);
  const [twoSent] = both.of('Wcp07StructuredSynchronizingMerge');
  expect(twoSent!.updatedAt - twoSent!.createdAt).toBe(12 * MINUTE);

  // Only the ambulance selected: no police branch exists, and the merge fires when the ambulance arrived.
  const one = patternWorld([structuredSynchronizingMerge]);
  await one.send('Incident', { ambulance: true });
  await one.run({ timers: true });
  expect(one.branches().map((b) => b.branchOf!.branch)).toEqual(['ambulance']);
  expect(one.bodies('PatientTransferred')).toEqual([{ police: null, ambulance: 'arrived' }]);
  const [oneSent] = one.of('Wcp07StructuredSynchronizingMerge');
  expect(oneSent!.updatedAt - oneSent!.createdAt).toBe(8 * MINUTE);
});
