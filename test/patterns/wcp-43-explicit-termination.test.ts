import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { explicitTermination } from './wcp-43-explicit-termination.ts';

it('WCP-43 Explicit Termination: reaching the end node completes the instance and cancels the work still in progress', async () => {
  const w = patternWorld([explicitTermination]);
  await w.send('FireDrill', { floors: ['ground', 'first', 'second'] });
  await w.run({ timers: true });
  // The floors clear at 1.5, 3 and 4.5 minutes; the alarm rang at 0 to 4 minutes, and rings no more.
  expect(w.bodies('FloorCleared').map((b) => b.floor)).toEqual(['ground', 'first', 'second']);
  expect(w.sent().filter((t) => t === 'AlarmRang')).toHaveLength(5);
  expect(w.sent().at(-1)).toBe('BuildingCleared');
  // Completed successfully, with a ringing alarm and an unwritten report left behind.
  const [drill] = w.of('Wcp43ExplicitTermination');
  expect(drill!.status).toBe('completed');
  expect(w.sent()).not.toContain('DrillReported');
  const alarm = w.branches().find((b) => b.branchOf!.branch === 'alarm')!;
  expect(alarm.status).toBe('terminated');
  expect(alarm.error!.reason).toMatch(/cancelled/);
  // Time passes: nothing more happens.
  const sent = w.sent().length;
  w.clock.advance(60 * 60_000);
  await w.run({ timers: true });
  expect(w.sent()).toHaveLength(sent);
});
