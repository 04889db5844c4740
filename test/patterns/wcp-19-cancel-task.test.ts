import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { cancelTask } from './wcp-19-cancel-task.ts';

const rooms = ['kitchen', 'lounge', 'bedroom'];

it('WCP-19 Cancel Task: a task enabled but not started is withdrawn, never starts, and the process goes on', async () => {
  const w = patternWorld([cancelTask]);
  await w.send('Claim', { key: 'c-1', rooms });
  await w.run();
  await w.send('CancelInspection', { key: 'c-1' });
  await w.run();
  expect(w.sent()).toEqual(['InspectionRequested', 'InspectionWithdrawn', 'ClaimAssessed']);
  expect(w.of('Wcp19CancelTask')[0]!.status).toBe('completed');
  // An inspector accepting it now is too late: nothing starts.
  await w.send('InspectionAccepted', { key: 'c-1' });
  await w.run({ timers: true });
  expect(w.branches()).toEqual([]);
  expect(w.sent()).toEqual(['InspectionRequested', 'InspectionWithdrawn', 'ClaimAssessed']);
  expect([...w.store.suspended.values()].map((m) => m.attributes.MessageType)).toEqual(['InspectionAccepted']);
});

it('WCP-19 Cancel Task: a started task (a child running a parallel and a forEach) is halted where it stands and removed', async () => {
  const w = patternWorld([cancelTask]);
  await w.send('Claim', { key: 'c-2', rooms });
  await w.run();
  await w.send('InspectionAccepted', { key: 'c-2' });
  // An hour and a half in: the kitchen is photographed, the lounge is being, the site is being walked.
  await w.wait(90 * 60_000);
  expect(w.sent()).toEqual(['InspectionRequested', 'RoomPhotographed']);
  const running = w.branches().filter((b) => b.status === 'waiting');
  // The child, its two branches, and the lane of the forEach in one of them.
  expect(running).toHaveLength(4);
  await w.send('CancelInspection', { key: 'c-2' });
  await w.run();
  expect(w.sent()).toEqual(['InspectionRequested', 'RoomPhotographed', 'InspectionWithdrawn', 'ClaimAssessed']);
  expect(w.of('Wcp19CancelTask')[0]!.status).toBe('completed');
  for (const b of w.branches()) {
    expect(b.status, b.instanceId).toBe('terminated');
    expect(b.error!.reason).toMatch(/event handler "withdrawn" of scope "inspectionTask" interrupted it/);
  }
  // Their hours come and go: nothing more is photographed, walked or reported.
  await w.run({ timers: true });
  await w.wait(24 * 3_600_000);
  expect(w.sent()).toEqual(['InspectionRequested', 'RoomPhotographed', 'InspectionWithdrawn', 'ClaimAssessed']);
});

it('WCP-19 Cancel Task: not cancelled, the task runs through and the process goes on after it', async () => {
  const w = patternWorld([cancelTask]);
  await w.send('Claim', { key: 'c-3', rooms });
  await w.run();
  await w.send('InspectionAccepted', { key: 'c-3' });
  await w.run({ timers: true });
  expect(w.bodies('RoomPhotographed').map((b) => b.room)).toEqual(rooms);
  expect(w.sent()).toContain('SiteInspected');
  expect(w.sent().slice(-2)).toEqual(['InspectionReported', 'ClaimAssessed']);
  expect(w.sent()).not.toContain('InspectionWithdrawn');
  expect(w.branches().every((b) => b.status === 'completed')).toBe(true);
});
