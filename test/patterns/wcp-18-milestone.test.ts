import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { milestone } from './wcp-18-milestone.ts';

it('WCP-18 Milestone: the task runs only while the instance is at the milestone, as often as asked, and never after it passed', async () => {
  const w = patternWorld([milestone]);
  const booking = () => w.of('Wcp18Milestone')[0]!;
  const inbox = () => (w.store.inboxes.get(booking().instanceId) ?? []).map((m) => m.messageType);
  await w.send('Booking', { key: 'b-1', route: 'BNE-SIN' });
  await w.run();
  // Before the milestone (not paid yet): the change is kept, the task does not run.
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-KUL' });
  await w.run();
  expect(w.sent()).toEqual([]);
  expect(booking().vars.route).toBe('BNE-SIN');
  expect(inbox()).toEqual(['RouteChange']);

  // The milestone is reached: the change kept runs the task; a second one runs it again; the instance stays there.
  await w.send('Payment', { key: 'b-1' });
  await w.run();
  expect(w.bodies('RouteChanged')).toEqual([{ key: 'b-1', route: 'BNE-KUL' }]);
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-HKG' });
  await w.run();
  expect(w.bodies('RouteChanged').map((b) => b.route)).toEqual(['BNE-KUL', 'BNE-HKG']);
  expect(booking()).toMatchObject({ status: 'waiting', vars: { route: 'BNE-HKG' } });
  expect(booking().cursor.threads.map((t) => t.at)).toEqual(['receiveIssue']);

  // Past the milestone: the instance still runs (it waits for boarding), but a change is no longer taken.
  await w.send('IssueTicket', { key: 'b-1' });
  await w.run();
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-LHR' });
  await w.run();
  expect(booking().status).toBe('waiting');
  expect(booking().cursor.threads.map((t) => t.at)).toEqual(['receiveBoarding']);
  expect(inbox()).toEqual(['RouteChange']);
  await w.send('Boarded', { key: 'b-1' });
  await w.run();
  expect(w.sent()).toEqual(['RouteChanged', 'RouteChanged', 'TicketIssued', 'Flown']);
  expect(w.bodies('Flown')).toEqual([{ key: 'b-1', route: 'BNE-HKG' }]);
  expect(booking()).toMatchObject({ status: 'completed', vars: { route: 'BNE-HKG' } });
  // The late change ends as a suspended message, saying why, for an operator.
  const held = [...w.store.suspended.values()];
  expect(held.map((m) => [m.attributes.MessageType, m.reason])).toEqual([
    ['RouteChange', expect.stringContaining('ended completed without taking it')],
  ]);
  expect(JSON.parse(held[0]!.body)).toEqual({ key: 'b-1', route: 'BNE-LHR' });
});
