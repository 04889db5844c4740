import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { milestone } from './wcp-18-milestone.ts';

it('WCP-18 Milestone (workaround): the task is enabled while the milestone holds, and never after it passed', async () => {
  const w = patternWorld([milestone]);
  await w.send('Booking', { key: 'b-1', route: 'BNE-SIN' });
  await w.run();
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-KUL' });
  await w.run();
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-HKG' });
  await w.run();
  await w.send('IssueTicket', { key: 'b-1' });
  await w.run();
  // Past the milestone: a later change is not taken.
  await w.send('RouteChange', { key: 'b-1', route: 'BNE-LHR' });
  await w.run();
  expect(w.bodies('TicketIssued')).toEqual([{ key: 'b-1', route: 'BNE-HKG' }]);
  const [booking] = w.of('Wcp18Milestone');
  expect(booking!.status).toBe('completed');
  expect(booking!.vars.route).toBe('BNE-HKG');
  expect([...w.store.suspended.values()].map((m) => m.reason)).toEqual([
    expect.stringContaining('has already completed; nothing waits for this RouteChange'),
  ]);
});
