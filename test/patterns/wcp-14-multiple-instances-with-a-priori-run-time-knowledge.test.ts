import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { multipleInstancesRunTime } from './wcp-14-multiple-instances-with-a-priori-run-time-knowledge.ts';

it.each([[['A', 'B', 'C', 'D']], [['A', 'B']]])(
  'WCP-14 Multiple Instances with a Priori Run-Time Knowledge: one concurrent instance per line of %o, synchronized once',
  async (lines) => {
    const w = patternWorld([multipleInstancesRunTime]);
    await w.send('PickList', { lines });
    // As many instances as the message has lines, all started at once.
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect(w.workQueue.items.map((i) => i.reason)).toEqual(lines.map(() => 'fork'));
    await w.run();
    expect(w.bodies('PickStarted').map((b) => b.sku)).toEqual(lines);
    expect(w.sent()).not.toContain('LinePicked');
    await w.run({ timers: true });
    // The nearest shelf first; the list closed once, after the last line, its results in line order.
    expect(w.bodies('LinePicked').map((b) => b.sku)).toEqual([...lines].reverse());
    expect(w.sent().at(-1)).toBe('PickListClosed');
    expect(w.bodies('PickListClosed')).toEqual([{ picked: lines }]);
    const [list] = w.of('Wcp14MultipleInstancesRunTime');
    expect(list!.status).toBe('completed');
    expect(list!.updatedAt - list!.createdAt).toBe(lines.length * 60_000);
  },
);
