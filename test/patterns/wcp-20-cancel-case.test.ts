import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelCase } from './wcp-20-cancel-case.ts';

it('WCP-20 Cancel Case: in the model, a Terminate removes the instance and what it would have done', async () => {
  const w = patternWorld([cancelCase]);
  await w.send('Purchase', { key: 'p-1' });
  await w.send('CancelPurchase', { key: 'p-1' });
  await w.run({ timers: true });
  const [purchase] = w.of('Wcp20CancelCase');
  expect(purchase).toMatchObject({ status: 'terminated', error: { reason: expect.stringContaining('cancelled') } });
  expect(w.sent()).toEqual([]);
});

it('WCP-20 Cancel Case: an operator terminate removes the instance with its running branches', async () => {
  const w = patternWorld([cancelCase]);
  await w.send('Purchase', { key: 'p-2' });
  await w.send('ConfirmPurchase', { key: 'p-2' });
  await w.run();
  const [purchase] = w.of('Wcp20CancelCase');
  expect(w.branches().map((b) => b.status)).toEqual(['waiting', 'waiting']);
  await w.host('operator').terminate(purchase!.instanceId, 'fraud suspected');
  await w.run({ timers: true });
  expect(w.of('Wcp20CancelCase')[0]!.status).toBe('terminated');
  expect(w.branches().map((b) => b.status)).toEqual(['terminated', 'terminated']);
  // Their timers fired: nothing was charged or shipped, and the purchase never completed.
  expect(w.sent()).toEqual([]);
});
