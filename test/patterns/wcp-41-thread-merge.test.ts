import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { BATCH, threadMerge } from './wcp-41-thread-merge.ts';

it('WCP-41 Thread Merge: ten threads of one path merge into one thread, which runs once', async () => {
  const w = patternWorld([threadMerge]);
  await w.send('RegistrationBatch', {});
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items).toHaveLength(BATCH);
  await w.run();
  // One thread after the merge: one message, carrying what each of the ten threads did.
  expect(w.sent()).toEqual(['BatchFinalised']);
  expect(w.bodies('BatchFinalised')).toEqual([
    { registered: Array.from({ length: BATCH }, (_, slot) => `slot ${slot}`) },
  ]);
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
});
