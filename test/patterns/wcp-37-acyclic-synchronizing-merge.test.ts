import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { acyclicSynchronizingMerge } from './wcp-37-acyclic-synchronizing-merge.ts';

const MINUTE = 60_000;

it('WCP-37 Acyclic Synchronizing Merge: the merge knows locally which branches are active, and fires once all of those arrived', async () => {
  const w = patternWorld([acyclicSynchronizingMerge]);
  await w.send('Applicant', { foreign: false, driver: true });
  await w.run();
  // The join's own record of the branches it waits for: the identity and licence checks, not the visa check.
  const [waiting] = w.of('Wcp37AcyclicSynchronizingMerge');
  expect(waiting!.cursor.threads.find((t) => t.id === 'main')!.forked).toEqual(['identity', 'licence']);
  expect(w.branches().map((b) => b.branchOf!.branch)).toEqual(['identity', 'licence']);
  await w.run({ timers: true });
  expect(w.bodies('ApplicantDecided')).toEqual([{ identity: 'passed', visa: null, licence: 'passed' }]);
  // It fired when the licence check (20 minutes) arrived, not at the visa check's hour.
  const [applicant] = w.of('Wcp37AcyclicSynchronizingMerge');
  expect(applicant!.updatedAt - applicant!.createdAt).toBe(20 * MINUTE);
});
