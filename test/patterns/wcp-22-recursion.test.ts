import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { recursion } from './wcp-22-recursion.ts';

const machine = {
  name: 'press',
  parts: [
    { name: 'frame' },
    { name: 'drive', parts: [{ name: 'motor', parts: [{ name: 'rotor' }] }, { name: 'gearbox' }] },
  ],
};

it('WCP-22 Recursion: the task invokes itself, and each invocation completes only after those it invoked', async () => {
  const w = patternWorld([recursion]);
  await w.send('MachineOrder', { machine });
  await w.run();
  const assembled = w.bodies('PartAssembled').map((b) => b.part);
  expect([...assembled].sort()).toEqual(['drive', 'frame', 'gearbox', 'motor', 'press', 'rotor']);
  // Every part after all of its sub-parts: each invocation waited for the ones it made.
  const before = (a: string, b: string) => assembled.indexOf(a) < assembled.indexOf(b);
  expect(before('rotor', 'motor') && before('motor', 'drive') && before('gearbox', 'drive')).toBe(true);
  expect(before('drive', 'press') && before('frame', 'press')).toBe(true);
  expect(w.sent().at(-1)).toBe('MachineShipped');
  // The results came back up the levels: six parts in all.
  expect(w.bodies('MachineShipped')).toEqual([{ parts: 6 }]);
  // One child instance per invocation of the task.
  expect(w.instances().filter((s) => s.branchOf?.child)).toHaveLength(6);
});
