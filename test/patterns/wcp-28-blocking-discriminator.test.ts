import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { blockingDiscriminator } from './wcp-28-blocking-discriminator.ts';

it('WCP-28 Blocking Discriminator: each round goes on after its first branch, and the next round waits until the last one reset', async () => {
  const w = patternWorld([blockingDiscriminator]);
  await w.send('Patient', { patient: 'p-1' });
  await w.run({ timers: true });
  const said = w.sendPort.sent.map((m) => `${m.messageType} ${JSON.stringify(m.body)}`);
  expect(said).toEqual([
    'CheckReported {"check":"breathing","round":1}',
    'TriageStarted {"round":1}',
    // Blocked: round 2 forks only after round 1's pulse check (10 minutes) reported.
    'CheckReported {"check":"pulse","round":1}',
    'CheckReported {"check":"breathing","round":2}',
    'TriageStarted {"round":2}',
    'CheckReported {"check":"pulse","round":2}',
  ]);
  expect(w.of('Wcp28BlockingDiscriminator')[0]!.status).toBe('completed');
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
});
