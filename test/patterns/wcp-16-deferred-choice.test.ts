import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { deferredChoice } from './wcp-16-deferred-choice.ts';

it('WCP-16 Deferred Choice: the first event to happen picks the branch; the other branches are withdrawn', async () => {
  const w = patternWorld([deferredChoice]);
  for (const key of ['accepts', 'declines', 'silent']) await w.send('QuoteRequest', { key });
  await w.run();
  await w.send('QuoteDeclined', { key: 'declines' });
  await w.send('QuoteAccepted', { key: 'accepts' });
  // A millisecond on (a listen orders its messages by when they were received): too late, the decline already chose.
  w.clock.advance(1);
  await w.send('QuoteAccepted', { key: 'declines' });
  await w.run({ timers: true });
  const outcome = (key: string) =>
    w.sendPort.sent
      .filter((m) => (m.body as { key: string }).key === key && m.messageType !== 'Quote')
      .map((m) => m.messageType);
  expect(outcome('accepts')).toEqual(['OrderPlaced']);
  expect(outcome('declines')).toEqual(['QuoteClosed']);
  expect(outcome('silent')).toEqual(['QuoteExpired']);
});
