import { describe, expect, it } from 'vitest';
import {
  code, compensate, complete, decide, delay, listen, loop, onMessage, onTimeout, orchestration, receive, receiveCorrelated, scope, send, when,
} from '../../functions/core/builder.ts';
import type { InboundMessage, RawMessage } from '../../functions/core/message.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import type { WorkItem } from '../../functions/core/ports.ts';
import { createWorld } from '../helpers/world.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';

const orderId = orderIdOf;
const id = (ctx: { message(n: string): InboundMessage }) => orderId(ctx.message('order'));

/** Every shape built so far, in one flow. */
const everything = orchestration('Everything', 1, [
  receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
  send('ask', 'send', 'ApprovalRequest', (ctx) => ({ orderId: id(ctx) })),
  listen('approvalOrTimeout', [
    onMessage('answered', receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }), [
      code('note', (ctx) => { ctx.vars.approved = (ctx.message('approval').body as { approved?: boolean }).approved === true; }, { persistAfter: true }),
    ]),
    onTimeout('timedOut', 'approvalTimeout', { hours: 1 }, [code('noAnswer', (ctx) => { ctx.vars.approved = false; })]),
  ]),
  scope('reserve', [send('reserved', 'send', 'Reserved', (ctx) => ({ orderId: id(ctx) }))], { compensation: [send('released', 'send', 'Released', (ctx) => ({ orderId: id(ctx) }))] }),
  scope('pay', [send('authorised', 'send', 'Authorised', (ctx) => ({ orderId: id(ctx) }))], { compensation: [send('voided', 'send', 'Voided', (ctx) => ({ orderId: id(ctx) }))] }),
  decide('isApproved', [when('yes', (ctx) => ctx.vars.approved === true, [
    code('initLines', (ctx) => { ctx.vars.line = 0; }),
    loop('eachLine', (ctx) => (ctx.vars.line as number) < 2, [
      send('pick', 'send', 'Pick', (ctx) => ({ orderId: id(ctx), line: ctx.vars.line })),
      code('nextLine', (ctx) => { ctx.vars.line = (ctx.vars.line as number) + 1; }, { persistAfter: true }),
    ]),
    delay('coolOff', { minutes: 20 }),
    send('invoice', 'send', 'Invoice', (ctx) => ({ orderId: id(ctx) })),
  ])], [compensate('undo'), send('rejected', 'send', 'OrderRejected', (ctx) => ({ orderId: id(ctx) }))]),
  complete('done'),
], { correlationSets: { order: { Order: orderId, Approval: orderId } } });

type Crash = { kind: 'commit' | 'dispatch' | 'enqueue' | 'claim'; at: number };

/**
 * Drives one scenario to quiescence. With `crash`, the host dies at the n-th call of that kind (the call
 * does not happen); the work item it held comes back after its lease, to another host.
 */
async function drive(inputs: RawMessage[], crash?: Crash) {
  const w = createWorld([everything]);
  const calls = { commit: 0, dispatch: 0, enqueue: 0, claim: 0 };
  let crashed = false;
  const trap = (kind: Crash['kind']) => {
    calls[kind]++;
    if (crash && !crashed && crash.kind === kind && calls[kind] === crash.at) {
      crashed = true;
      throw new Error(`host killed before ${kind} #${crash.at}`);
    }
  };
  const { store, sendPort, workQueue } = w;
  const commit = store.commit.bind(store);
  store.commit = async (...args) => { trap('commit'); return commit(...args); };
  const dispatch = sendPort.dispatch.bind(sendPort);
  sendPort.dispatch = async (entries) => { trap('dispatch'); return dispatch(entries); };
  const enqueue = workQueue.enqueue.bind(workQueue);
  workQueue.enqueue = async (items) => { trap('enqueue'); return enqueue(items); };

  const receiveCounts = new Map<WorkItem, number>();
  let hostNumber = 0;
  for (const input of inputs) {
    // A receive that failed stays on the receive queue and comes back.
    for (let count = 1; (await w.receiver.receive([{ ...input, receiveCount: count }])).failures.size > 0; count++) {
      if (count > 5) throw new Error('receive keeps failing');
    }
    for (let guard = 0; guard < 500; guard++) {
      const ready = workQueue.items.findIndex((i) => !i.delaySeconds);
      let item: WorkItem;
      if (ready >= 0) item = workQueue.items.splice(ready, 1)[0]!;
      else if (workQueue.items.length > 0 && input === inputs.at(-1)) {
        // Only timers left: let time pass until the nearest fires.
        workQueue.items.sort((a, b) => a.delaySeconds! - b.delaySeconds!);
        item = workQueue.items.shift()!;
        w.clock.advance(item.delaySeconds! * 1000);
        workQueue.items.forEach((i, n) => (workQueue.items[n] = { ...i, delaySeconds: Math.max(0, i.delaySeconds! - item.delaySeconds!) || undefined }));
      } else break;
      const count = (receiveCounts.get(item) ?? 0) + 1;
      try {
        await w.host(`host-${hostNumber}`).process(item, { receiveCount: count });
      } catch (error) {
        if (!String(error).includes('host killed')) throw error;
        // The work item comes back after the lease (the visibility heartbeat stopped with the host).
        hostNumber++;
        w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
        receiveCounts.set(item, count);
        workQueue.items.unshift(item);
      }
    }
  }
  const byId = new Map<string, string>();
  for (const m of sendPort.sent) {
    const seen = byId.get(m.messageId);
    const content = `${m.messageType} ${JSON.stringify(m.body)}`;
    if (seen !== undefined) expect(seen, `message ${m.messageId} re-sent with other content`).toBe(content);
    byId.set(m.messageId, content);
  }
  const [state] = [...store.items.values()].map((v) => JSON.parse(v));
  return { outputs: [...byId.entries()].sort(), status: state.status as string, calls, crashed };
}

const scenarios: [string, () => RawMessage[]][] = [
  ['approved', () => [rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' }), rawMessage({ orderId: 'o-1', approved: true }, { MessageType: 'Approval' })]],
  ['refused (compensation)', () => [rawMessage({ orderId: 'o-2' }, { MessageType: 'Order' }), rawMessage({ orderId: 'o-2', approved: false }, { MessageType: 'Approval' })]],
  ['timed out (compensation)', () => [rawMessage({ orderId: 'o-3' }, { MessageType: 'Order' })]],
];

describe('crash at every persistence point and every effect', () => {
  for (const [name, inputs] of scenarios) {
    it(`${name}: every crash point gives the same outbound messages as the run without crash`, async () => {
      const messages = inputs();
      const baseline = await drive(messages);
      expect(baseline.status).toBe('completed');
      let points = 0;
      for (const kind of ['commit', 'dispatch', 'enqueue'] as const) {
        for (let at = 1; at <= baseline.calls[kind]; at++) {
          const run = await drive(messages, { kind, at });
          expect(run.crashed, `${kind} #${at}`).toBe(true);
          expect(run.status, `${kind} #${at}`).toBe('completed');
          expect(run.outputs, `${kind} #${at}`).toEqual(baseline.outputs);
          points++;
        }
      }
      expect(points).toBeGreaterThanOrEqual(5);
      console.log(`crash points covered (${name}): ${points} (${baseline.calls.commit} persistence points, ${baseline.calls.dispatch} dispatches, ${baseline.calls.enqueue} work-item enqueues)`);
    });
  }
});
