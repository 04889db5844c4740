import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { THREADS, threadSplit } from './wcp-42-thread-split.ts';

it('WCP-42 Thread Split: the nominated number of threads start at one point, on the same path', async () => {
  const w = patternWorld([threadSplit]);
  await w.send('PaperReceived', {});
  await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  // The split: three threads at once, each a branch instance with its own work item.
  expect(w.sent()).toEqual(['ReceiptConfirmed']);
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(Array(THREADS).fill('fork'));
  await w.run();
  expect(
    w
      .bodies('PeerReviewRequested')
      .map((b) => b.thread)
      .sort(),
  ).toEqual([0, 1, 2]);
  expect(w.of('Wcp42ThreadSplit')[0]!.status).toBe('completed');
});
