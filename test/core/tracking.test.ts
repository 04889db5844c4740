import { describe, expect, it } from 'vitest';
import type { InstanceState } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { messageFlow } from '../../functions/core/message-flow.ts';
import { fitEvent, track, TrackedKind, type TrackedEvent } from '../../functions/core/tracking.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { code, complete, orchestration, receive, send } from '../../functions/core/builder.ts';
import { rawMessage } from '../helpers/orders.ts';
import { type MemoryHistory, trackWorld } from '../helpers/memory-history.ts';
import { createWorld, settle } from '../helpers/world.ts';

const large = (orderId: string) => ({
  orderId,
  customerId: 'c-2',
  lines: [{ sku: 'GOLD', qty: 1, unitPrice: 12_500 }],
});

async function historyOf(history: MemoryHistory, subject: string): Promise<TrackedEvent[]> {
  return (await history.history(subject, { limit: 1_000 })).events as TrackedEvent[];
}

function world() {
  const w = createWorld(sampleOrchestrations({ cancellationWindowMs: 0 }));
  const { history, changes } = trackWorld(w);
  const instances = () => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
  return { w, history, changes, instances };
}

describe('tracking: what each MessageBox change means', () => {
  it("tells an order's story from its activation to its completion: the message taken, each persistence point, each message sent", async () => {
    const { w, history, instances } = world();
    await w.receiver.receive([rawMessage(large('o-7'), { MessageType: 'Order' }, 'm-order-7')]);
    await settle(w);
    await w.receiver.receive([
      rawMessage({ orderId: 'o-7', approved: true }, { MessageType: 'Approval' }, 'm-approval-7'),
    ]);
    await settle(w, { timers: true });
    const main = instances().find((s) => !s.branchOf)!;
    expect(main.status).toBe('completed');

    const events = await historyOf(history, main.instanceId);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe(TrackedKind.Activated);
    expect(events[0]).toMatchObject({ messageId: 'm-order-7', messageType: 'Order' });
    expect(kinds.at(-1)).toBe(TrackedKind.Completed);
    expect(events.filter((e) => e.kind === TrackedKind.Received).map((e) => e.messageId)).toEqual([
      'm-order-7',
      'm-approval-7',
    ]);
    // Every message the send port got is in the history once, under the id the consumer sees.
    const sent = events.filter((e) => e.kind === TrackedKind.Sent);
    expect(sent.map((e) => [e.messageType, e.messageId])).toEqual(
      w.sendPort.sent.filter((m) => m.instanceId === main.instanceId).map((m) => [m.messageType, m.messageId]),
    );
    expect(sent.map((e) => e.messageType)).toEqual(['ApprovalRequest', 'Invoice', 'Shipment']);
    expect(events.filter((e) => e.kind === TrackedKind.Waiting).map((e) => e.detail ?? '')).toContainEqual(
      expect.stringMatching(/Approval|receive|a message/),
    );
    expect(events.filter((e) => e.kind === TrackedKind.Persisted).length).toBeGreaterThanOrEqual(2);
    // Time order: a history reads as it happened.
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((a, b) => a - b));
  });

  it('names the host instance a step was taken over from when its owner died mid-step holding the lease', async () => {
    let crash = true;
    const twoSteps = orchestration('TwoSteps', 1, [
      receive('start', 'Go', { into: 'go' }),
      code(
        'first',
        (ctx) => {
          ctx.vars.first = 1;
        },
        { persistAfter: true },
      ),
      code(
        'second',
        () => {
          if (crash) throw Object.assign(new Error('process killed'), { fatal: true });
        },
        { retry: { attempts: 1, backoffMs: 0 }, persistAfter: true },
      ),
      send('done', 'send', 'Done', () => ({})),
      complete('end'),
    ]);
    const w = createWorld([twoSteps]);
    const { history } = trackWorld(w);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' }, 'm-go')]);
    const item = w.workQueue.items.shift()!;
    w.store.beforeCommit = (next) => {
      if (next.status === 'suspended') throw new Error('killed');
    };
    await expect(w.host('host-a').process(item, { receiveCount: 1 })).rejects.toThrow('killed');
    crash = false;
    w.store.beforeCommit = undefined;
    w.clock.advance(DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.maxClockSkewMs + 1);
    await w.host('host-b').process(item, { receiveCount: 2 });

    const events = await historyOf(history, item.instanceId);
    const persisted = events.filter((e) => e.kind === TrackedKind.Persisted);
    expect(persisted[0]).toMatchObject({ fromShape: 'first', shape: 'second' });
    expect(persisted[0]!.host).toMatch(/^host-a/);
    const takeover = events.find((e) => e.kind === TrackedKind.Takeover);
    expect(takeover?.host).toMatch(/^host-b/);
    expect(takeover?.detail).toMatch(/host-a/);
    expect(events.at(-1)).toMatchObject({ kind: TrackedKind.Completed });
    expect(events.filter((e) => e.kind === TrackedKind.Sent).map((e) => e.messageType)).toEqual(['Done']);
  });

  it("records a suspension with its reason, the resume, and a termination with the operator's reason", async () => {
    const { w, history } = world();
    await w.receiver.receive([rawMessage(large('o-9'), { MessageType: 'Order' }, 'm-order-9')]);
    await settle(w);
    const waiting = [...w.store.items.values()]
      .map((v) => JSON.parse(v) as InstanceState)
      .find((s) => s.status === 'waiting')!;
    await w.host('admin').terminate(waiting.instanceId, 'customer called to cancel');
    const events = await historyOf(history, waiting.instanceId);
    expect(events.at(-1)).toMatchObject({ kind: TrackedKind.Terminated, host: 'admin' });
    expect(events.at(-1)!.detail).toContain('customer called to cancel');
  });

  it('cuts an event too large for a history item to fit, its longest text first, each field saying from how many bytes, and leaves one that fits as it is', () => {
    const fits = { subject: 'i-1', at: 1, kind: TrackedKind.Suspended, detail: 'step "price" failed' };
    expect(fitEvent(fits, 1_024)).toBe(fits);
    // A reason of 600 KB in two-byte characters and a message type of 20 KB: the reason gives what the budget needs.
    const huge = {
      subject: 'i-1',
      at: 1,
      kind: TrackedKind.MessageSuspended,
      messageType: 'T'.repeat(20_000),
      detail: 'é'.repeat(300_000),
    };
    const cut = fitEvent(huge, 32 * 1024);
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThanOrEqual(32 * 1024);
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeGreaterThan(31 * 1024);
    expect(cut).toMatchObject({
      subject: 'i-1',
      at: 1,
      kind: TrackedKind.MessageSuspended,
      messageType: huge.messageType,
      cut: true,
    });
    expect(cut.detail).toMatch(/^é+ … \[cut: 600000 bytes in all\]$/);
    // Both too large for a small budget: each is cut, to no less than what still says what it was.
    const both = fitEvent(huge, 2_048);
    expect(Buffer.byteLength(JSON.stringify(both))).toBeLessThanOrEqual(2_048);
    expect(both.messageType).toMatch(/^T+ … \[cut: 20000 bytes in all\]$/);
  });

  it('makes nothing of a write that changed none of what it tracks (a due mark, a retention)', () => {
    const { w } = world();
    void w;
    const state = {
      instanceId: 'i-1',
      orchestration: 'O',
      version: 1,
      status: 'waiting',
      cursor: { threads: [{ id: 'main', at: 'wait', attempts: 0 }] },
      vars: {},
      messages: {},
      outbox: [],
      correlations: {},
      consumed: [],
      sendSequence: 0,
      causationId: 'm-1',
      revision: 4,
      failovers: 0,
      createdAt: 1,
      updatedAt: 2,
    } as InstanceState;
    expect(track({ kind: 'instance', at: 3, before: state, after: { ...state } })).toEqual({ events: [], links: [] });
  });

  it('follows an order by its orderId across its instances and messages, in time order', async () => {
    const { w, history, instances } = world();
    await w.receiver.receive([rawMessage(large('o-10'), { MessageType: 'Order' }, 'm-order-10')]);
    await settle(w);
    await w.receiver.receive([rawMessage(large('o-11'), { MessageType: 'Order' }, 'm-order-11')]);
    await w.receiver.receive([
      rawMessage({ orderId: 'o-10', approved: true }, { MessageType: 'Approval' }, 'm-approval-10'),
    ]);
    await settle(w, { timers: true });

    const flow = await messageFlow(history, 'o-10');
    const ofOrder = instances().filter(
      (s) => s.instanceId === flow.subjects[0] || s.branchOf?.instanceId === flow.subjects[0],
    );
    expect(flow.subjects.length).toBeGreaterThan(0);
    expect(new Set(flow.subjects)).toEqual(new Set(ofOrder.map((s) => s.instanceId)));
    const messageIds = flow.events.map((e) => e.messageId);
    expect(messageIds).toContain('m-order-10');
    expect(messageIds).toContain('m-approval-10');
    expect(messageIds).not.toContain('m-order-11');
    expect(flow.events.map((e) => e.at)).toEqual([...flow.events.map((e) => e.at)].sort((a, b) => a - b));
    // The same flow from the Approval's message id.
    expect(new Set((await messageFlow(history, 'm-approval-10')).subjects)).toEqual(new Set(flow.subjects));
  });

  it("links a suspended message to the business keys it carries: a key's flow has its uncorrelated, refused and unreadable-in-part messages", async () => {
    const { w, history } = world();
    // An Approval before its order: held (SQS brings it back), then kept at its 4th delivery, naming its key.
    const early = rawMessage({ orderId: 'o-20', approved: true }, { MessageType: 'Approval' }, 'm-early-20');
    expect((await w.receiver.receive([early])).failures.size).toBe(1);
    await w.receiver.receive([{ ...early, receiveCount: 4 }]);
    // An order whose body its schema refuses still names its key; one that is not JSON names none.
    await w.receiver.receive([
      rawMessage({ orderId: 'o-20', customerId: 'c-1', lines: 'none' }, { MessageType: 'Order' }, 'm-bad-20'),
      rawMessage('not json', { MessageType: 'Order' }, 'm-unread-20'),
    ]);
    expect((await w.store.suspendedMessage('m-early-20'))?.keys).toEqual(['o-20']);
    expect((await w.store.suspendedMessage('m-bad-20'))?.keys).toEqual(['o-20']);
    expect((await w.store.suspendedMessage('m-unread-20'))?.keys).toBeUndefined();

    const flow = await messageFlow(history, 'o-20');
    expect(new Set(flow.subjects)).toEqual(new Set(['message:m-early-20', 'message:m-bad-20']));
    expect(flow.events.map((e) => e.kind)).toEqual([TrackedKind.MessageSuspended, TrackedKind.MessageSuspended]);
    // One flow from several ways into it: the key, and the unreadable message's own id.
    const both = await messageFlow(history, ['o-20', 'm-unread-20']);
    expect(both.subjects).toHaveLength(3);
  });

  it('says a parallel branch that failed into its handler failed, not completed', async () => {
    const { w, history, instances } = world();
    const order = { orderId: 'o-21', customerId: 'c-1', lines: [{ sku: 'OOS-1', qty: 1, unitPrice: 5 }] };
    await w.receiver.receive([rawMessage(order, { MessageType: 'Order' }, 'm-order-21')]);
    await settle(w, { timers: true });
    const [failed] = instances().filter((s) => s.branchOf?.branch === 'inventory');
    expect(failed).toMatchObject({ status: 'completed', error: { reason: expect.stringContaining('out of stock') } });
    const kinds = (await historyOf(history, failed!.instanceId)).map((e) => e.kind);
    expect(kinds.at(-1)).toBe(TrackedKind.Failed);
    expect(kinds).not.toContain(TrackedKind.Completed);
    const [paid] = instances().filter((s) => s.branchOf?.branch === 'payment');
    expect((await historyOf(history, paid!.instanceId)).map((e) => e.kind).at(-1)).toBe(TrackedKind.Completed);
  });
});
