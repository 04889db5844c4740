import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multipleInstancesRunTime, pickLine } from './wcp-14-multiple-instances-with-a-priori-run-time-knowledge.ts';

it('WCP-14 Multiple Instances with a Priori Run-Time Knowledge (workaround): one instance per line, synchronized by callbacks', async () => {
  const w = patternWorld([multipleInstancesRunTime, pickLine]);
  await w.send('PickList', { key: 'pl-1', lines: ['A', 'B', 'C', 'D'] });
  await w.run();
  expect(w.of('Wcp14PickLine').map((t) => t.status)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
  expect(w.of('Wcp14MultipleInstancesRunTime')[0]!.status).toBe('waiting');
  await w.run({ timers: true });
  // The last line is nearest (1 minute), the first farthest (4): reports arrive in that order; the list closes once.
  expect(w.bodies('PickListClosed')).toEqual([{ picked: ['D', 'C', 'B', 'A'] }]);
  expect(w.of('Wcp14MultipleInstancesRunTime')[0]!.status).toBe('completed');
});
