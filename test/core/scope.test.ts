import { describe, expect, it } from 'vitest';
import {
  code,
  compensate,
  complete,
  loop,
  orchestration,
  receive,
  scope,
  send,
  throwError,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
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
const fails = (id: string) =>
  code(
    id,
    () => {
      throw new Error(`${id} is down`);
    },
    { retry: { attempts: 1, backoffMs: 0 } },
  );

describe('scope and compensation', () => {
  it("hands a failed step to the scope's error handler, then goes on after the scope", async () => {
    const { sent, state } = await run(
      orchestration('Catch', 1, [
        receive('r', 'Go', { into: 'go' }),
        scope('reserve', [fails('callInventory'), out('neverSent')], {
          onError: [send('reservationFailed', 'send', 'ReservationFailed', (ctx) => ({ error: ctx.vars.lastError }))],
        }),
        out('after', 'After'),
        complete('done'),
      ]),
    );
    expect(sent).toEqual(['ReservationFailed', 'After']);
    expect(state.status).toBe('completed');
    expect(state.vars.lastError).toContain('callInventory is down');
  });

  it('keeps a scope completed in a loop as one entry with its count, and compensates each completion, newest first', async () => {
    const w = createWorld([
      orchestration('LoopCompensation', 1, [
        receive('r', 'Go', { into: 'go' }),
        loop('lines', (ctx) => ((ctx.vars.n as number) ?? 0) < 1_000, [
          scope(
            'reserveLine',
            [
              code('reserve', (ctx) => {
                ctx.vars.n = ((ctx.vars.n as number) ?? 0) + 1;
              }),
            ],
            {
              compensation: [
                code('release', (ctx) => {
                  ctx.vars.released = ((ctx.vars.released as number) ?? 0) + 1;
                }),
              ],
            },
          ),
        ]),
        scope('pay', [code('authorise', () => {})], {
          compensation: [
            code('void', (ctx) => {
              ctx.vars.voidedFirst = ctx.vars.released === undefined;
            }),
          ],
        }),
        code('check', (ctx) => {
          ctx.vars.before = JSON.stringify(ctx.vars);
        }),
        compensate('undo'),
        complete('done'),
      ]),
    ]);
    const compensable: (readonly string[] | undefined)[] = [];
    const commit = w.store.commit.bind(w.store);
    w.store.commit = async (next, ...rest) => {
      compensable.push(next.compensable);
      return commit(next, ...rest);
    };
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    while (w.workQueue.items.length) await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [state] = [...w.store.items.values()].map((v) => JSON.parse(v));
    expect(state.status).toBe('completed');
    expect(state.vars).toMatchObject({ n: 1_000, released: 1_000, voidedFirst: true });
    // Checkpointed along the loop (a run persists every 1,000 shapes): never more than the two scopes' entries.
    expect(compensable).toContainEqual(expect.arrayContaining(['reserveLine*1000']));
    expect(Math.max(...compensable.map((c) => c?.length ?? 0))).toBeLessThanOrEqual(2);
  });

  it('compensates completed scopes newest first, each once, when asked', async () => {
    const { sent, state } = await run(
      orchestration('Cancel', 1, [
        receive('r', 'Go', { into: 'go' }),
        scope('reserve', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
        scope('pay', [out('authorised', 'Authorised')], { compensation: [out('voided', 'Voided')] }),
        compensate('undo'),
        compensate('undoAgain'),
        out('cancelled', 'OrderCancelled'),
        complete('done'),
      ]),
    );
    expect(sent).toEqual(['Reserved', 'Authorised', 'Voided', 'Released', 'OrderCancelled']);
    expect(state.status).toBe('completed');
  });

  it("compensates one named scope when asked, and leaves the others compensable (BizTalk's compensate Scope ())", async () => {
    const { sent, state } = await run(
      orchestration('Targeted', 1, [
        receive('r', 'Go', { into: 'go' }),
        loop('twice', (ctx) => ((ctx.vars.n as number | undefined) ?? 0) < 2, [
          scope('reserve', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
          code('count', (ctx) => {
            ctx.vars.n = ((ctx.vars.n as number | undefined) ?? 0) + 1;
          }),
        ]),
        scope('pay', [out('authorised', 'Authorised')], { compensation: [out('voided', 'Voided')] }),
        compensate('undoReserve', { scope: 'reserve' }),
        compensate('undoReserveAgain', { scope: 'reserve' }),
        out('between', 'Between'),
        compensate('undoRest'),
        complete('done'),
      ]),
    );
    // Each completion of "reserve" once, "pay" left for the compensate of all.
    expect(sent).toEqual(['Reserved', 'Reserved', 'Authorised', 'Released', 'Released', 'Between', 'Voided']);
    expect(state.status).toBe('completed');
  });

  it('refuses a compensate that names no scope with a compensation', () => {
    const definition = (target: string) =>
      orchestration('Named', 1, [
        receive('r', 'Go', { into: 'go' }),
        compensate('undo', { scope: target }),
        scope('pay', [out('authorised', 'Authorised')], { compensation: [out('voided', 'Voided')] }),
        scope('plain', [out('plainly', 'Plain')]),
      ]);
    expect(() => compile(definition('pay'))).not.toThrow();
    expect(() => compile(definition('nowhere'))).toThrow(
      /names scope "nowhere", which is not a scope of this orchestration/,
    );
    expect(() => compile(definition('plain'))).toThrow(/names scope "plain", which has no compensation/);
  });

  it("lets an outer scope's handler undo the inner scopes that completed before the failure", async () => {
    const { sent } = await run(
      orchestration('Transaction', 1, [
        receive('r', 'Go', { into: 'go' }),
        scope(
          'order',
          [
            scope('reserve', [out('reserved', 'Reserved')], { compensation: [out('released', 'Released')] }),
            scope('pay', [fails('authorise')], { compensation: [out('voided', 'Voided')] }),
            out('neverShipped', 'Shipment'),
          ],
          { onError: [compensate('undo'), out('failed', 'OrderFailed')] },
        ),
        complete('done'),
      ]),
    );
    // "pay" never completed, so only "reserve" is compensated.
    expect(sent).toEqual(['Reserved', 'Released', 'OrderFailed']);
  });

  it('suspends on a throw no scope handles, inner scopes without handlers notwithstanding', async () => {
    const { state } = await run(
      orchestration('Unhandled', 1, [
        receive('r', 'Go', { into: 'go' }),
        scope('s', [throwError('t', () => 'bad data')], { compensation: [out('c', 'C')] }),
        complete('done'),
      ]),
    );
    expect(state.status).toBe('suspended');
    expect(state.error.reason).toContain('bad data');
  });
});
