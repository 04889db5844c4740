import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { BATCH, threadMerge } from './wcp-41-thread-merge.ts';

it('WCP-41 Thread Merge (workaround): ten threads of one path merge into one, which runs once', async () => {
  const w = patternWorld([threadMerge]);
  await w.send('RegistrationBatch', {});
  await w.run();
  expect(w.branches()).toHaveLength(BATCH);
  expect(w.bodies('BatchFinalised')).toEqual([{ registered: BATCH }]);
});
