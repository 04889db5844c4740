import { beforeEach, expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { journal, oneAtATime } from './journal.ts';
import { interleavedRouting } from './wcp-40-interleaved-routing.ts';

beforeEach(() => {
  journal.length = 0;
});

it('WCP-40 Interleaved Routing: each task once, in any order, never two at once; the next task after all', async () => {
  const w = patternWorld([interleavedRouting()]);
  await w.send('Survey', { boat: 'b-1' });
  await w.run();
  expect(oneAtATime(journal)).toBe(true);
  expect(journal.filter((e) => e.startsWith('+')).sort()).toEqual(['+checkEngine', '+inspectHull', '+testRadio']);
  expect(w.sent()).toEqual(['Certified']);
});

it('WCP-40 without the synchronized scopes, the same branches run their tasks at once', async () => {
  const w = patternWorld([interleavedRouting(false)]);
  await w.send('Survey', { boat: 'b-1' });
  await w.run();
  expect(oneAtATime(journal)).toBe(false);
});
