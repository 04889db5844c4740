import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { persistentTrigger } from './wcp-24-persistent-trigger.ts';

it('WCP-24 Persistent Trigger: a trigger that arrives before its task is enabled is kept until the task takes it', async () => {
  const w = patternWorld([persistentTrigger]);
  await w.send('Delivery', { key: 'd-1' });
  await w.run();
  // Signed for while the instance is still in its delay, hours before it reaches the receive.
  await w.send('Signature', { key: 'd-1', signedBy: 'Ada' });
  await w.run();
  expect(w.sent()).toEqual([]);
  await w.run({ timers: true });
  expect(w.bodies('DeliveryConfirmed')).toEqual([{ key: 'd-1', signedBy: 'Ada' }]);
});
