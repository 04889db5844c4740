import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multiChoice } from './wcp-06-multi-choice.ts';

it.each([
  [{ fire: true, injured: true }, ['AmbulanceDespatched', 'FireBrigadeDespatched']],
  [{ fire: true }, ['FireBrigadeDespatched']],
  [{ injured: true }, ['AmbulanceDespatched']],
])('WCP-6 Multi-Choice (workaround): %o enables exactly the branches it selects', async (call, expected) => {
  const w = patternWorld([multiChoice]);
  await w.send('EmergencyCall', call);
  await w.run();
  expect(w.sent().sort()).toEqual(expected);
  expect(w.of('Wcp06MultiChoice')[0]!.status).toBe('completed');
});
