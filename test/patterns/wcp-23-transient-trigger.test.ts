import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { transientTrigger } from './wcp-23-transient-trigger.ts';

it('WCP-23 Transient Trigger: a signal that comes before the task waits is lost to it; one that comes while it waits triggers it', async () => {
  const w = patternWorld([transientTrigger]);
  await w.send('WatchShift', { key: 'dam-1' });
  await w.run();
  // During the inspection, the dam signals it is full: nothing waits for it yet.
  w.clock.advance(10 * 60_000);
  await w.send('CapacityFull', { key: 'dam-1', level: 'early' });
  await w.run();
  // The inspection ends; the watch begins: the early signal does not trigger the task.
  await w.run({ timers: true });
  expect(w.sent()).toEqual([]);
  const [watching] = w.of('Wcp23TransientTrigger');
  expect(watching!.status).toBe('waiting');
  expect(watching!.cursor.threads[0]!.at).toBe('receiveFull');
  // A signal while it waits: acted on at once.
  w.clock.advance(60_000);
  await w.send('CapacityFull', { key: 'dam-1', level: 'on watch' });
  await w.run();
  expect(w.bodies('OverflowHandled')).toEqual([{ key: 'dam-1', level: 'on watch' }]);
  expect(w.of('Wcp23TransientTrigger')[0]!.status).toBe('completed');
  // The early signal never triggered anything: set aside, with why.
  const kept = await w.store.listSuspendedMessages();
  expect(kept).toHaveLength(1);
  expect(kept[0]!.attributes).toMatchObject({ MessageType: 'CapacityFull' });
  expect(kept[0]!.reason).toMatch(/before the transient receive "receiveFull" began waiting/);
});
