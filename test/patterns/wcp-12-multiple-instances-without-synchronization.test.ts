import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import {
  multipleInstancesWithoutSynchronization,
  registerVehicle,
} from './wcp-12-multiple-instances-without-synchronization.ts';

it('WCP-12 Multiple Instances without Synchronization: one task instance per item, run concurrently, not waited for', async () => {
  const w = patternWorld([multipleInstancesWithoutSynchronization, registerVehicle]);
  await w.send('VehicleBatch', { vehicles: ['AB-1', 'CD-2', 'EF-3'] });
  await w.run();
  // The batch went on and completed while its three task instances all wait on the registry at once.
  expect(w.of('Wcp12MultipleInstances')[0]!.status).toBe('completed');
  expect(w.bodies('BatchAccepted')).toEqual([{ started: 3 }]);
  const tasks = w.of('Wcp12RegisterVehicle');
  expect(tasks.map((t) => [t.messages.vehicle!.body, t.status])).toEqual(
    expect.arrayContaining([
      [{ plate: 'AB-1' }, 'waiting'],
      [{ plate: 'CD-2' }, 'waiting'],
      [{ plate: 'EF-3' }, 'waiting'],
    ]),
  );
  expect(tasks).toHaveLength(3);
  await w.run({ timers: true });
  expect(
    w
      .bodies('VehicleRegistered')
      .map((b) => b.plate)
      .sort(),
  ).toEqual(['AB-1', 'CD-2', 'EF-3']);
});
