import { beforeEach, expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { journal, oneAtATime } from './journal.ts';
import { interleavedParallelRouting } from './wcp-17-interleaved-parallel-routing.ts';

beforeEach(() => {
  journal.length = 0;
});

it('WCP-17 Interleaved Parallel Routing: every task once, the partial order kept, never two at once', async () => {
  const w = patternWorld([interleavedParallelRouting()]);
  await w.send('Move', { house: 'h-1' });
  await w.run();
  expect(oneAtATime(journal)).toBe(true);
  const started = journal.filter((e) => e.startsWith('+'));
  expect([...started].sort()).toEqual(['+clean', '+load', '+pack']);
  expect(started.indexOf('+pack')).toBeLessThan(started.indexOf('+load'));
  expect(w.sent()).toEqual(['Moved']);
});

it('WCP-17 without the synchronized scopes, two chores run at once', async () => {
  const w = patternWorld([interleavedParallelRouting(false)]);
  await w.send('Move', { house: 'h-1' });
  await w.run();
  expect(oneAtATime(journal)).toBe(false);
});
