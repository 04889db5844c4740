import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { implicitTermination } from './wcp-11-implicit-termination.ts';

it('WCP-11 Implicit Termination: the instance completes when no work remains, and not before', async () => {
  const w = patternWorld([implicitTermination]);
  await w.send('Survey', {});
  await w.run();
  expect(w.of('Wcp11ImplicitTermination')[0]!.status).toBe('waiting');
  await w.run({ timers: true });
  expect(w.sent().sort()).toEqual(['SurveyMailed', 'SurveyTexted']);
  expect(w.of('Wcp11ImplicitTermination')[0]!.status).toBe('completed');
  expect(w.branches().map((b) => b.status)).toEqual(['completed', 'completed']);
});
