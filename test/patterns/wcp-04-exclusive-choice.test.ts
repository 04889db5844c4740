import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { exclusiveChoice } from './wcp-04-exclusive-choice.ts';

it('WCP-4 Exclusive Choice: precisely one outgoing branch runs, chosen from the data', async () => {
  const w = patternWorld([exclusiveChoice]);
  await w.send('Excavation', { site: 'a', volume: 20 });
  await w.send('Excavation', { site: 'b', volume: 500 });
  await w.run();
  expect(w.sendPort.sent.map((m) => [m.messageType, (m.body as { site: string }).site]).sort()).toEqual([
    ['BobcatExcavation', 'a'],
    ['D9Excavation', 'b'],
  ]);
});
