import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InstanceState } from '../../functions/core/instance.ts';
import type { RawMessage } from '../../functions/core/message.ts';
import { MAX_STORED_BODY_BYTES, OversizedMessage, UncorrelatedMessage } from '../../functions/core/receive-host.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { createWorld, settle } from '../helpers/world.ts';

/** `npm test` runs a bounded number of cases; `npm run fuzz` many more (BATON_FUZZ_RUNS). */
const RUNS = Number(process.env.BATON_FUZZ_RUNS ?? 40);

const TYPES = [
  'Order',
  'Approval',
  'Cancel',
  'Invoice',
  'order',
  '',
  ' Order',
  'Order\u0000',
  '<script>',
  '../../etc/passwd',
  'A'.repeat(200),
  'Ördér',
  '💥',
];
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '\u0000', '\uFFFF', '\uD800', 'null', '{}', '[]'),
);
const json = fc.jsonValue({ maxDepth: 3 });
const orderId = fc.oneof(fc.constantFrom('o-1', 'o-2', 'o-3'), text, fc.integer(), fc.constant(null));
const line = fc.record(
  {
    sku: fc.oneof(fc.constantFrom('A', 'OOS-1', 'GOLD'), text),
    qty: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), text),
    unitPrice: fc.oneof(fc.double(), fc.integer({ min: 0, max: 20_000 }), text),
  },
  { requiredKeys: [] },
);
const order = fc.record(
  { orderId, customerId: fc.oneof(text, fc.constant('c-1')), lines: fc.oneof(fc.array(line, { maxLength: 4 }), json) },
  { requiredKeys: [] },
);
const approval = fc.record({ orderId, approved: fc.oneof(fc.boolean(), json) }, { requiredKeys: [] });

/** Bodies: near-valid business messages, any JSON, not JSON at all, and sizes at and past the MessageBox's limit. */
const body = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(order, approval, fc.record({ orderId })).map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: json.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: text },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(MAX_STORED_BODY_BYTES - 20, MAX_STORED_BODY_BYTES + 1, 262_144, 1_048_576)
      .map((n) => JSON.stringify({ orderId: 'o-big', pad: 'x'.repeat(n) })),
  },
);
const attributes = fc
  .dictionary(fc.oneof(fc.constantFrom('MessageType', 'Priority', 'CorrelationId'), text), text, { maxKeys: 3 })
  .chain((extra) =>
    fc
      .option(fc.constantFrom(...TYPES), { nil: undefined })
      .map((type) => (type === undefined ? extra : { ...extra, MessageType: type })),
  );

let ids = 0;
const raw = fc
  .record({ body, attributes })
  .map(({ body, attributes }): RawMessage => ({ messageId: `fz-${++ids}`, body, attributes }));

function world() {
  return createWorld(sampleOrchestrations({ cancellationWindowMs: 0 }));
}

const states = (w: ReturnType<typeof world>) => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);

describe('bad input, fuzzed (fast-check)', () => {
  it('gives every receive-queue message a clear outcome: an instance, a suspended record with its reason, or a retry', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(raw, { minLength: 1, maxLength: 8 }), async (messages) => {
        const w = world();
        for (const message of messages) {
          // Redelivered as SQS would, up to the hold limit; `receive` itself must never throw.
          for (let receiveCount = 1; receiveCount <= 5; receiveCount++) {
            const { outcomes, failures } = await w.receiver.receive([{ ...message, receiveCount }]);
            const failure = failures.get(message.messageId);
            if (failure === undefined) {
              const [outcome] = outcomes;
              expect(outcome!.messageId).toBe(message.messageId);
              if (outcome!.result === 'suspended') {
                const record = w.store.suspended.get(message.messageId)!;
                expect(record.reason.length).toBeGreaterThan(0);
                expect(record.body).toBe(message.body);
              } else {
                for (const id of outcome!.instanceIds) expect(await w.store.summaryOf(id)).toBeDefined();
              }
              break;
            }
            if (failure instanceof OversizedMessage) {
              // Recorded (truncated) with its reason; the original goes to the receive DLQ whole.
              expect(w.store.suspended.get(message.messageId)!.reason).toMatch(/body is \d+ bytes/);
              break;
            }
            // Only "its instance does not exist yet" is retried, and not past the hold.
            expect(failure).toBeInstanceOf(UncorrelatedMessage);
            expect(receiveCount).toBeLessThan(4);
          }
        }
        // The hosts run whatever was accepted to its end; none throws, none is left running or unexplained.
        await settle(w, { timers: true });
        for (const state of states(w)) {
          expect(['completed', 'terminated', 'suspended']).toContain(state.status);
          if (state.status === 'suspended') expect(state.error?.reason).toBeTruthy();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('loses nothing already accepted, whatever junk and duplicates arrive between the orders', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(raw, { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (junk, count) => {
        const w = world();
        const orders = Array.from(
          { length: count },
          (_, i): RawMessage => ({
            messageId: `good-${++ids}`,
            body: JSON.stringify({
              orderId: `good-${ids}-${i}`,
              customerId: 'c',
              lines: [{ sku: 'A', qty: 1, unitPrice: 2 }],
            }),
            attributes: { MessageType: 'Order' },
          }),
        );
        // Interleave, and deliver each order twice (an SQS duplicate).
        const mixed = [...orders, ...junk, ...orders].sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
        for (const message of mixed) await w.receiver.receive([message]);
        await settle(w, { timers: true });
        for (const o of orders) {
          const { orderId } = JSON.parse(o.body) as { orderId: string };
          const out = new Map(
            w.sendPort.sent
              .filter((m) => (m.body as { orderId?: string }).orderId === orderId)
              .map((m) => [m.messageId, m.messageType]),
          );
          expect([...out.values()].sort()).toEqual(['Invoice', 'Shipment']);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never suspends a schema-valid body for its shape: every valid Order starts its order, a valid answer is never a schema mismatch', async () => {
    // Well-formed by the sample's schemas (messages.ts): any strings, finite numbers within the bounds.
    const amount = (max: number) => fc.double({ min: -max, max, noNaN: true, noDefaultInfinity: true });
    const validLine = fc.record({
      sku: fc.string({ maxLength: 200 }),
      qty: fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), amount(100_000)),
      unitPrice: amount(1_000_000),
    });
    const validOrder = fc.record({
      customerId: fc.string({ maxLength: 200 }),
      lines: fc.array(validLine, { maxLength: 100 }),
    });
    const validAnswer = fc.oneof(
      fc.record({ type: fc.constant('Approval'), body: fc.record({ approved: fc.boolean() }) }),
      fc.record({ type: fc.constant('Cancel'), body: fc.constant({}) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(validOrder, { minLength: 1, maxLength: 6 }),
        fc.array(validAnswer, { maxLength: 4 }),
        async (orders, answers) => {
          const w = createWorld(sampleOrchestrations({ cancellationWindowMs: 0, approvalTimeoutMs: 1_000 }));
          const run = ++ids;
          for (const [i, order] of orders.entries()) {
            const body = JSON.stringify({ orderId: `v-${run}-${i}`, ...order });
            const { outcomes, failures } = await w.receiver.receive([
              { messageId: `vo-${run}-${i}`, body, attributes: { MessageType: 'Order' } },
            ]);
            expect(failures.size).toBe(0);
            expect(outcomes[0]!.result, outcomes[0]!.reason).toBe('activated');
          }
          for (const [i, answer] of answers.entries()) {
            const body = JSON.stringify({ orderId: `v-${run}-${i % orders.length}`, ...answer.body });
            const { outcomes } = await w.receiver.receive([
              { messageId: `va-${run}-${i}`, body, attributes: { MessageType: answer.type } },
            ]);
            if (outcomes[0]?.result === 'suspended')
              expect(outcomes[0].reason).not.toMatch(/does not match its schema/);
          }
          // And the hosts take every one to an end with a message out: nothing valid is stuck or suspended.
          await settle(w, { timers: true });
          for (const state of states(w))
            expect(['completed', 'terminated'], state.error?.reason).toContain(state.status);
          for (let i = 0; i < orders.length; i++)
            expect(w.sendPort.sent.some((m) => (m.body as { orderId?: string }).orderId === `v-${run}-${i}`)).toBe(
              true,
            );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('suspends with a reason, rather than hides, a message for an order that already ended', async () => {
    const w = world();
    const send = (messageId: string, type: string, b: unknown) =>
      w.receiver.receive([{ messageId, body: JSON.stringify(b), attributes: { MessageType: type } }]);
    await send('a', 'Order', { orderId: 'done-1', customerId: 'c', lines: [{ sku: 'A', qty: 1, unitPrice: 1 }] });
    await settle(w, { timers: true });
    const bodies = {
      Cancel: { orderId: 'done-1' },
      Approval: { orderId: 'done-1', approved: true },
      Order: { orderId: 'done-1', customerId: 'c', lines: [] },
    };
    for (const [id, type] of [
      ['b', 'Cancel'],
      ['c', 'Approval'],
      ['d', 'Order'],
    ] as const) {
      const { outcomes } = await send(id, type, bodies[type]);
      expect(outcomes[0]!.result, type).toBe('suspended');
      expect(w.store.suspended.get(id)!.reason, type).toMatch(
        /OrderFulfilment instance for order="done-1" has already (completed|ended)/,
      );
    }
  });

  it('takes a message SQS delivers again after its instance ended as the duplicate it is, not as a new one', async () => {
    const w = createWorld(sampleOrchestrations());
    const cancel = {
      messageId: 'cancel-1',
      body: JSON.stringify({ orderId: 'c-1' }),
      attributes: { MessageType: 'Cancel' },
    };
    await w.receiver.receive([
      {
        messageId: 'order-1',
        body: JSON.stringify({ orderId: 'c-1', customerId: 'c', lines: [{ sku: 'A', qty: 1, unitPrice: 1 }] }),
        attributes: { MessageType: 'Order' },
      },
    ]);
    await settle(w);
    await w.receiver.receive([cancel]);
    await settle(w, { timers: true });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['OrderCancelled']);
    // The delete of the Cancel was lost: SQS delivers it again, after the order completed.
    const again = await w.receiver.receive([{ ...cancel, receiveCount: 2 }]);
    expect(again.outcomes[0]!.result).toBe('activated');
    expect(w.store.suspended.size).toBe(0);
  });
});
