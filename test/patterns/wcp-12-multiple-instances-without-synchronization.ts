/**
 * WCP-12 Multiple Instances without Synchronization
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. These instances are
 * independent of each other and run concurrently. There is no requirement to synchronize them upon completion.
 * Rating: supported
 * Reason: A Start shape in a loop over the items known at run time: each pass activates an instance of the task's
 * orchestration (through the outbox, once), which runs on its own; the loop does not wait for any of them. (BPEL
 * is rated + for the same construct: an invoke in a while loop.)
 * BPEL: +
 */
import { code, complete, delay, loop, orchestration, receive, send, start } from '../../functions/builders.ts';

interface Batch {
  readonly vehicles: readonly string[];
}

/** The task: registering one vehicle (it waits on the registry, for a while). */
export const registerVehicle = orchestration('Wcp12RegisterVehicle', 1, [
  receive('receiveVehicle', 'VehicleRegistration', { into: 'vehicle' }),
  delay('registryQueue', { minutes: 30 }),
  send('registered', 'send', 'VehicleRegistered', (ctx) => ctx.message('vehicle').body),
]);

/** One registration task a vehicle of the batch, as many as the batch has; the batch does not wait for them. */
export const multipleInstancesWithoutSynchronization = orchestration('Wcp12MultipleInstances', 1, [
  receive('receiveBatch', 'VehicleBatch', { into: 'batch' }),
  code('first', (ctx) => {
    ctx.vars.next = 0;
  }),
  loop('eachVehicle', (ctx) => (ctx.vars.next as number) < (ctx.message('batch').body as Batch).vehicles.length, [
    start('registerOne', 'Wcp12RegisterVehicle', (ctx) => ({
      plate: (ctx.message('batch').body as Batch).vehicles[ctx.vars.next as number],
    })),
    code('following', (ctx) => {
      ctx.vars.next = (ctx.vars.next as number) + 1;
    }),
  ]),
  send('batchDone', 'send', 'BatchAccepted', (ctx) => ({ started: ctx.vars.next })),
  complete('done'),
]);
