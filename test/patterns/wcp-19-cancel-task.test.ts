import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelTask } from './wcp-19-cancel-task.ts';

it('WCP-19 Cancel Task (partly): a task enabled but not started is withdrawn, and the process goes on', async () => {
  const w = patternWorld([cancelTask]);
  await w.send('Claim', { key: 'c-1' });
  await w.run();
  await w.send('CancelInspection', { key: 'c-1' });
  await w.run();
  // The report comes after the task was withdrawn: it is not taken.
  w.clock.advance(1);
  await w.send('InspectionReport', { key: 'c-1' });
  await w.run();
  expect(w.sent()).toEqual(['InspectionRequested', 'InspectionWithdrawn', 'ClaimClosed']);
  expect(w.of('Wcp19CancelTask')[0]!.status).toBe('completed');
  expect([...w.store.suspended.values()].map((m) => m.reason)).toEqual([
    expect.stringContaining('nothing waits for this InspectionReport'),
  ]);
});
