import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { structuredDiscriminator } from './wcp-09-structured-discriminator.ts';

it('WCP-9 Structured Discriminator: the downstream runs once, after the first branch; the other runs on and passes nothing on', async () => {
  const w = patternWorld([structuredDiscriminator]);
  await w.send('CardiacArrest', { patient: 'p-1' });
  await w.run();
  expect(w.sent()).toEqual([]);
  await w.run({ timers: true });
  // Triage right after the breathing check (1 minute), before the pulse check (3) reported; and only once.
  expect(w.sent()).toEqual(['CheckReported', 'TriageStarted', 'CheckReported']);
  expect(w.bodies('CheckReported')).toEqual([{ check: 'breathing' }, { check: 'pulse' }]);
  expect(w.bodies('TriageStarted')).toEqual([{ after: 'breathing' }]);
  // The later branch was not cancelled: it ran to its end, and its completion triggered nothing.
  expect(w.branches().map((b) => [b.branchOf!.branch, b.status])).toEqual([
    ['breathing', 'completed'],
    ['pulse', 'completed'],
  ]);
  expect(w.of('Wcp09StructuredDiscriminator')[0]!.status).toBe('completed');
});
