import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { synchronization } from './wcp-03-synchronization.ts';

it('WCP-3 Synchronization: the step after the join runs once, only after every branch completed', async () => {
  const w = patternWorld([synchronization]);
  await w.send('StoreClosing', { storeId: 's-1' });
  await w.run();
  // One branch ended; the other waits: nothing after the join has run.
  expect(w.branches().map((b) => b.status)).toEqual(['waiting', 'completed']);
  expect(w.sent()).toEqual([]);
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['DrawerReconciled']);
  expect(w.bodies('DrawerReconciled')).toEqual([{ storeClosed: true, summaryPrinted: true }]);
});
