import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { parallelSplit } from './wcp-02-parallel-split.ts';

it('WCP-2 Parallel Split: both branches are enabled at the split and run independently of each other', async () => {
  const w = patternWorld([parallelSplit]);
  await w.send('Trip', { tripId: 't-1' });
  // The split: one work item handled, two branch instances made, each with a work item of its own.
  await w.host('h').process(w.workQueue.items.shift()!, { receiveCount: 1 });
  expect(w.branches().map((b) => b.branchOf!.branch)).toEqual(['flight', 'hotel']);
  expect(w.workQueue.items.map((i) => i.reason)).toEqual(['fork', 'fork']);
  // The flight branch completes while the hotel branch waits on its timer.
  await w.run();
  expect(w.sent()).toEqual(['FlightBooked']);
  expect(w.branches().map((b) => [b.branchOf!.branch, b.status])).toEqual([
    ['flight', 'completed'],
    ['hotel', 'waiting'],
  ]);
  await w.run({ timers: true });
  expect(w.sent()).toEqual(['FlightBooked', 'HotelBooked']);
});
