import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { sequence } from './wcp-01-sequence.ts';

it('WCP-1 Sequence: each step is enabled only once the one before it completed', async () => {
  const w = patternWorld([sequence]);
  await w.send('Dispatch', { orderId: 'o-1' });
  await w.run();
  // Packing waits for the delay before it, and shipping for packing.
  expect(w.sent()).toEqual(['Picked']);
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['Picked', 'Packed', 'Shipped']);
  expect(w.of('Wcp01Sequence')[0]!.status).toBe('completed');
});
