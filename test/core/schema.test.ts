import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as v from 'valibot';
import {
  branch,
  complete,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
  start,
} from '../../functions/core/builder.ts';
import { designer } from '../../functions/core/designer.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { messageType } from '../../functions/core/schema.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

// zod here, valibot in the sample: any Standard Schema library does.
const Greeting = messageType(
  'Greeting',
  z.object({ name: z.string().min(1), times: z.number().int().positive().default(1) }),
);
const Reply = messageType('Reply', z.object({ text: z.string().max(20) }));

const {
  orchestration: typedOrchestration,
  receive: typedReceive,
  code: typedCode,
  send: typedSend,
  complete: typedComplete,
} = designer({ greeting: Greeting }).withVariables<{ text?: string }>();

const hello = typedOrchestration('Hello', 1, [
  typedReceive('start', Greeting, { into: 'greeting' }),
  typedCode('shout', (ctx) => {
    // Typed by the schema's output: `times` is a number with its default filled in.
    ctx.vars.text = ctx.message('greeting').body.name.toUpperCase().repeat(ctx.message('greeting').body.times);
  }),
  typedSend('reply', 'send', Reply, (ctx) => ({ text: ctx.vars.text ?? '' })),
  typedComplete('done'),
]);

const states = (w: ReturnType<typeof createWorld>) =>
  [...w.store.items.values()].map((item) => JSON.parse(item) as InstanceState);

describe('message schemas (Standard Schema)', () => {
  it('suspends an inbound body that does not match, with every issue and its path, and starts nothing', async () => {
    const w = createWorld([hello]);
    const message = rawMessage({ name: '', times: 'twice', extra: { deep: [1] } }, { MessageType: 'Greeting' });
    const { outcomes } = await w.receiver.receive([message]);
    expect(outcomes[0]!.result).toBe('suspended');
    const record = w.store.suspended.get(message.messageId)!;
    expect(record.issues!.map((i) => i.path)).toEqual(['name', 'times']);
    expect(record.reason).toMatch(/^SchemaMismatch: Greeting does not match its schema: name: .+; times: .+/);
    expect(record.body).toBe(message.body);
    expect(w.store.items.size).toBe(0);
    expect(w.workQueue.items).toEqual([]);
  });

  it("hands the orchestration the schema's output (defaults filled in) and sends a body that matches", async () => {
    const w = createWorld([hello]);
    await w.receiver.receive([rawMessage({ name: 'ada' }, { MessageType: 'Greeting' })]);
    await settle(w);
    expect(states(w)[0]!.messages.greeting!.body).toEqual({ name: 'ada', times: 1 });
    expect(w.sendPort.sent.map((m) => [m.messageType, m.body])).toEqual([['Reply', { text: 'ADA' }]]);
  });

  it('suspends the instance, and sends nothing, when a send builds a body its schema refuses', async () => {
    const w = createWorld([hello]);
    await w.receiver.receive([rawMessage({ name: 'a-very-long-name', times: 2 }, { MessageType: 'Greeting' })]);
    await settle(w);
    expect(w.sendPort.sent).toEqual([]);
    const [state] = states(w);
    expect(state!.status).toBe('suspended');
    expect(state!.error!.reason).toMatch(/^send "reply": the Reply it built does not match its schema: text: /);
    expect(state!.outbox).toEqual([]);
  });

  it("lets the scope's error handler take a send that fails its schema, in a parallel branch too", async () => {
    const Go = messageType('Go', v.object({ text: v.string() }));
    const Out = messageType('Out', v.object({ text: v.pipe(v.string(), v.maxLength(3)) }));
    const Failed = messageType('Failed', v.object({ why: v.string() }));
    const flow = orchestration('Guarded', 1, [
      receive('go', Go, { into: 'go' }),
      scope(
        'guard',
        [
          parallel('both', [
            branch('ok', [send('short', 'send', Out, () => ({ text: 'ok' }))]),
            branch('bad', [
              send('long', 'send', Out, (ctx) => ({ text: (ctx.message('go').body as { text: string }).text })),
            ]),
          ]),
        ],
        {
          onError: [send('report', 'send', Failed, (ctx) => ({ why: String(ctx.vars.lastError) })), complete('failed')],
        },
      ),
      complete('done'),
    ]);
    const w = createWorld([flow]);
    await w.receiver.receive([rawMessage({ text: 'too long' }, { MessageType: 'Go' })]);
    await settle(w);
    expect(w.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['Failed', 'Out']);
    expect(w.sendPort.sent.find((m) => m.messageType === 'Out')!.body).toEqual({ text: 'ok' });
    expect((w.sendPort.sent.find((m) => m.messageType === 'Failed')!.body as { why: string }).why).toMatch(
      /send "long": the Out it built does not match its schema: text: /,
    );
  });

  it("validates a Start shape's body against the started orchestration's activating message", async () => {
    const Job = messageType('Job', z.object({ id: z.string() }));
    const parent = orchestration('Parent', 1, [
      receive('r', 'Kick', { into: 'k' }),
      start('spawn', 'Child', () => ({ id: 42 })),
      complete('e'),
    ]);
    const child = orchestration('Child', 1, [receive('r', Job, { into: 'job' }), complete('e')]);
    const w = createWorld([parent, child]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Kick' })]);
    await settle(w);
    const all = states(w);
    expect(all).toHaveLength(1);
    expect(all[0]!.status).toBe('suspended');
    expect(all[0]!.error!.reason).toMatch(/start "spawn": the Job it built does not match its schema: id: /);
  });

  it('suspends a message whose schema outputs something JSON cannot hold, with the reason', async () => {
    const Dated = messageType('Dated', z.object({ at: z.string().transform((s) => new Date(s)) }));
    const w = createWorld([orchestration('Dates', 1, [receive('r', Dated, { into: 'd' }), complete('e')])]);
    const { outcomes } = await w.receiver.receive([rawMessage({ at: '2026-11-25' }, { MessageType: 'Dated' })]);
    expect(outcomes[0]!.result).toBe('suspended');
    expect(outcomes[0]!.reason).toMatch(/at: the schema's output is a Date.*must output JSON data/);
  });

  it('refuses, when loaded, one message type declared with two different schemas', () => {
    const a = messageType('Twin', z.object({ a: z.string() }));
    const b = messageType('Twin', z.object({ b: z.string() }));
    const one = orchestration('One', 1, [receive('r', a, { into: 'm' }), complete('e')]);
    const two = orchestration('Two', 1, [
      receive('r', 'Other', { into: 'm' }),
      send('s', 'send', b, () => ({ b: 'x' })),
      complete('e'),
    ]);
    expect(() => new OrchestrationRegistry([one, two])).toThrow(DefinitionError);
    expect(() => new OrchestrationRegistry([one, two])).toThrow(
      /message type "Twin" has a schema other than the one One@1 declares/,
    );
    expect(() =>
      orchestration('Both', 1, [receive('r', a, { into: 'm' }), send('s', 'send', b, () => ({})), complete('e')]),
    ).not.toThrow();
    expect(
      () =>
        new OrchestrationRegistry([
          orchestration('Both', 1, [receive('r', a, { into: 'm' }), send('s', 'send', b, () => ({})), complete('e')]),
        ]),
    ).toThrow(/declared with two different schemas/);
  });

  it('keeps the first 20 issues of a body with thousands, so its suspended record still fits an item', async () => {
    const lines = Array.from({ length: 8_000 }, () => ({ qty: 'x' }));
    const Lines = messageType('Lines', z.object({ lines: z.array(z.object({ qty: z.number(), sku: z.string() })) }));
    const world = createWorld([orchestration('Many', 1, [receive('r', Lines, { into: 'l' }), complete('e')])]);
    const message = rawMessage({ lines }, { MessageType: 'Lines' });
    const { outcomes } = await world.receiver.receive([message]);
    expect(outcomes[0]!.result).toBe('suspended');
    const record = world.store.suspended.get(message.messageId)!;
    expect(record.issues).toHaveLength(21);
    expect(record.issues!.at(-1)!.message).toBe('and 15980 more issue(s)');
    expect(record.reason.length + JSON.stringify(record.issues).length).toBeLessThan(20_000);
    expect(world.store.items.size).toBe(0);
  });

  it('refuses, when loaded, one message variable bound to two message types', () => {
    const mixed = orchestration(
      'Mixed',
      1,
      [
        receive('r', 'Order', { into: 'm', correlation: 'k' }),
        receiveCorrelated('again', 'Cancel', { into: 'm', correlation: 'k' }),
        complete('e'),
      ],
      { correlationSets: { k: { Order: () => 'x', Cancel: () => 'x' } } },
    );
    expect(() => new OrchestrationRegistry([mixed])).toThrow(
      /binds a Cancel to message variable "m", which holds Order messages elsewhere/,
    );
  });

  it('refuses a schema that is not a Standard Schema when the message type is declared', () => {
    expect(() => messageType('Bad', { parse: () => ({}) } as never)).toThrow(/not a Standard Schema/);
  });

  it('types step code by the declared message variables and variables (checked by tsc)', () => {
    const Order = messageType(
      'Order',
      z.object({ orderId: z.string(), lines: z.array(z.object({ qty: z.number() })) }),
    );
    const Invoice = messageType('Invoice', z.object({ orderId: z.string(), total: z.number() }));
    const d = designer({ order: Order, greeting: Greeting }).withVariables<{ total?: number }>();
    d.code('typed', (ctx) => {
      expectTypeOf(ctx.message('order').body).toEqualTypeOf<{ orderId: string; lines: { qty: number }[] }>();
      expectTypeOf(ctx.vars.total).toEqualTypeOf<number | undefined>();
      // @ts-expect-error: no message variable of that name
      ctx.message('approval');
    });
    d.receive('r', Order, { into: 'order' });
    // @ts-expect-error: an Order cannot be bound to a Greeting variable
    d.receive('r2', Order, { into: 'greeting' });
    // @ts-expect-error: a message that may be either type binds to no variable
    d.receive('r3', Math.random() > 0.5 ? Order : Greeting, { into: 'order' });
    d.send('s', 'send', Invoice, (ctx) => ({ orderId: ctx.message('order').body.orderId, total: ctx.vars.total ?? 0 }));
    // @ts-expect-error: the body misses `total`, which Invoice's schema requires
    d.send('s2', 'send', Invoice, (ctx) => ({ orderId: ctx.message('order').body.orderId }));
    d.orchestration('Typed', 1, [d.receive('r', Order, { into: 'order' }), d.complete('e')], {
      correlationSets: { order: { Order: (m) => m.body.orderId } },
    });
  });
});
