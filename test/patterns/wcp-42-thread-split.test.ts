import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { THREADS, threadSplit } from './wcp-42-thread-split.ts';

it('WCP-42 Thread Split (workaround): the nominated number of threads start on the same path', async () => {
  const w = patternWorld([threadSplit]);
  await w.send('PaperReceived', {});
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(Array(THREADS).fill('fork'));
  await w.run();
  expect(w.sent()[0]).toBe('ReceiptConfirmed');
  expect(
    w
      .bodies('PeerReviewRequested')
      .map((b) => b.thread)
      .sort(),
  ).toEqual([0, 1, 2]);
});
