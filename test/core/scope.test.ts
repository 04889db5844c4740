import { describe, expect, it } from 'vitest';
import { code, compensate, complete, orchestration, receive, scope, send, throwError } from '../../functions/core/builder.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

async function run(definition: ReturnType<typeof orchestration>, body: unknown = {}) {
  const w = createWorld([definition]);
  await w.receiver.receive([rawMessage(body, { MessageType: 'Go' })]);
  while (w.workQueue.items.length) await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
  const [state] = [...w.store.items.values()].map((v) => JSON.parse(v));
  return { sent: w.sendPort.sent.map((m) => m.messageType), state };
}

const out = (id: string, type = id) => send(id, 'send', type, () => ({}));
const fails = (id: string) => code(id, () => { throw new Error(`${id} is down`); }, { retry: { attempts: 1, backoffMs: 0 } });

describe('scope and compensation', () => {
  it('hands a failed step to the scope\'s error handler, then goes on after the scope', async () => {
    const { sent, state } = await run(orchestration('Catch', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope('reserve', [fails('callInventory'), out('neverSent')], { onError: [send('reservationFailed', 'send', 'ReservationFailed', (ctx) => ({ error: ctx.vars.lastError }))] }),
      out('after', 'After'),
      complete('done'),
    ]));
    expect(sent).toEqual(['ReservationFailed', 'After']);
    expect(state.status).toBe('completed');
    expect(state.vars.lastError).toContain('callInventory is down');
  });

  it('compensates completed scopes newest first, each once, when asked', async () => {
    const { sent, state } = await run(orchestration('Cancel', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope('reserve', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
      scope('pay', [out('authorised', 'Authorised')], { compensation: [out('voided', 'Voided')] }),
      compensate('undo'),
      compensate('undoAgain'),
      out('cancelled', 'OrderCancelled'),
      complete('done'),
    ]));
    expect(sent).toEqual(['Reserved', 'Authorised', 'Voided', 'Released', 'OrderCancelled']);
    expect(state.status).toBe('completed');
  });

  it('lets an outer scope\'s handler undo the inner scopes that completed before the failure', async () => {
    const { sent } = await run(orchestration('Transaction', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope('order', [
        scope('reserve', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
        scope('pay', [fails('authorise')], { compensation: [out('voided', 'Voided')] }),
        out('neverShipped', 'Shipment'),
      ], { onError: [compensate('undo'), out('failed', 'OrderFailed')] }),
      complete('done'),
    ]));
    // "pay" never completed, so only "reserve" is compensated.
    expect(sent).toEqual(['Reserved', 'Released', 'OrderFailed']);
  });

  it('suspends on a throw no scope handles, inner scopes without handlers notwithstanding', async () => {
    const { state } = await run(orchestration('Unhandled', 1, [
      receive('r', 'Go', { into: 'go' }),
      scope('s', [throwError('t', () => 'bad data')], { compensation: [out('c', 'C')] }),
      complete('done'),
    ]));
    expect(state.status).toBe('suspended');
    expect(state.error.reason).toContain('bad data');
  });
});
