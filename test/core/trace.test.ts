import { describe, expect, it } from 'vitest';
import { InstanceStatus, type InstanceState } from '../../functions/core/instance.ts';
import { isTraceparent, traceOf } from '../../functions/core/trace.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { rawMessage, validOrder } from '../helpers/orders.ts';

const states = (w: ReturnType<typeof createWorld>) =>
  [...w.store.items.values()].map((json) => JSON.parse(json) as InstanceState);

describe('one trace per business transaction', () => {
  it("carries the order's traceparent to its instance, its branch instances, its work items and every message it sends", async () => {
    const w = createWorld(sampleOrchestrations({ cancellationWindowMs: 0 }));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { failures } = await w.receiver.receive([
      rawMessage(validOrder('o-traced'), { MessageType: 'Order', traceparent }),
    ]);
    expect(failures.size).toBe(0);
    expect(w.workQueue.items.map((i) => i.trace)).toEqual([traceparent]);
    await settle(w);

    const all = states(w);
    expect(all.filter((s) => s.branchOf)).toHaveLength(2);
    expect(all.filter((s) => !(s.trace === traceparent))).toEqual([]);
    expect(all.find((s) => !s.branchOf)!.status).toBe(InstanceStatus.Completed);
    // Invoice and Shipment, and whatever the called orchestration sent: the same context, so a consumer continues it.
    expect(w.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['Invoice', 'Shipment']);
    expect(w.sendPort.sent.filter((m) => !(m.trace === traceparent))).toEqual([]);
  });

  it('gives a message without one (or with a malformed one) a context derived from its id: the same on a redelivery, another for another message', () => {
    const derived = traceOf({ messageId: 'm-1', properties: {} });
    expect(isTraceparent(derived), derived).toBe(true);
    expect(traceOf({ messageId: 'm-1', properties: { traceparent: 'garbage' } })).toBe(derived);
    expect(
      traceOf({
        messageId: 'm-1',
        properties: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
      }),
    ).toBe(derived);
    expect(traceOf({ messageId: 'm-2', properties: {} })).not.toBe(derived);
    expect(traceOf({ messageId: 'm-2', properties: {} }).split('-')[1]).not.toBe(derived.split('-')[1]);
  });
});
