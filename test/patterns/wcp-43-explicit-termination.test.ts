import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { explicitTermination } from './wcp-43-explicit-termination.ts';

it('WCP-43 Explicit Termination (partly): the end node completes the instance; the work left is not done', async () => {
  const w = patternWorld([explicitTermination]);
  await w.send('TitleSearch', { sources: ['north', 'south', 'east'], holder: 'south' });
  await w.run();
  expect(w.sent()).toEqual(['RegistryQueried', 'RegistryQueried', 'TitleFound']);
  expect(w.of('Wcp43ExplicitTermination')[0]!.status).toBe('completed');
});
