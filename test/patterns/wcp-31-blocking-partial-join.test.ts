import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { blockingPartialJoin } from './wcp-31-blocking-partial-join.ts';

it('WCP-31 Blocking Partial Join: each draft goes on after two of three reviews, and the next waits for the third', async () => {
  const w = patternWorld([blockingPartialJoin]);
  await w.send('Paper', { title: 'On joins' });
  await w.run({ timers: true });
  const said = w.sendPort.sent.map((m) => `${m.messageType} ${JSON.stringify(m.body)}`);
  expect(said).toEqual([
    'Reviewed {"reviewer":"ana","draft":1}',
    'Reviewed {"reviewer":"bo","draft":1}',
    'DraftAccepted {"draft":1}',
    // Blocked: draft 2's reviews are asked for only once draft 1's third review (30 minutes) came in.
    'Reviewed {"reviewer":"cy","draft":1}',
    'Reviewed {"reviewer":"ana","draft":2}',
    'Reviewed {"reviewer":"bo","draft":2}',
    'DraftAccepted {"draft":2}',
    'Reviewed {"reviewer":"cy","draft":2}',
  ]);
  expect(w.of('Wcp31BlockingPartialJoin')[0]!.status).toBe('completed');
});
