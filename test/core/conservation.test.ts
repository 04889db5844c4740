import { describe, expect, it } from 'vitest';
import { accountFor, routeOf, type Accounting, type ConservationPorts } from '../../functions/core/conservation.ts';
import {
  code,
  complete,
  listen,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveCorrelated,
} from '../../functions/core/builder.ts';
import { convoyInstanceId } from '../../functions/core/ids.ts';
import type { RawMessage } from '../../functions/core/message.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { RESUBMITTED_FROM } from '../../functions/core/tracking.ts';
import { sampleOrchestrations } from '../../functions/orchestrations/index.ts';
import { MemoryHistory, trackWorld } from '../helpers/memory-history.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

const order = (orderId: string) => ({ orderId, customerId: 'c-1', lines: [{ sku: 'A', qty: 1, unitPrice: 5 }] });
const orderMessage = (orderId: string, messageId = `m-order-${orderId}`) =>
  rawMessage(order(orderId), { MessageType: 'Order' }, messageId);
const cancelMessage = (orderId: string, messageId = `m-cancel-${orderId}`) =>
  rawMessage({ orderId }, { MessageType: 'Cancel' }, messageId);
const approvalMessage = (orderId: string, messageId = `m-approval-${orderId}`) =>
  rawMessage({ orderId, approved: true }, { MessageType: 'Approval' }, messageId);
const instanceOf = (orderId: string) => convoyInstanceId('OrderFulfilment', 'order', orderId);

/** The sample on in-memory fakes, tracked: a 10 s cancellation window. */
function world() {
  const w = createWorld(sampleOrchestrations({ cancellationWindowMs: 10_000, approvalTimeoutMs: 20_000 }));
  const { history } = trackWorld(w);
  const ports: ConservationPorts = { store: w.store, history, registry: w.registry };
  /** Receives messages as the receive queue hands them over (a Cancel for no instance yet is held, then suspended). */
  const receive = async (...messages: RawMessage[]) => {
    const { failures } = await w.receiver.receive(messages);
    expect([...failures.values()]).toEqual([]);
  };
  return { w, history, ports, receive };
}

const fateOf = (accounting: Accounting, messageId: string) =>
  accounting.messages.find((m) => m.messageId === messageId)!.deliveries.map((d) => ({ to: d.to, ...d.fate }));

describe('conservation: every delivery of every message ends once', () => {
  it('finds a message taken by the instance whose history says it took it, with when and on which host instance', async () => {
    const { w, ports, receive } = world();
    const sent = [orderMessage('o-1'), cancelMessage('o-1')];
    const receivedAt = w.clock.now();
    await receive(sent[0]!);
    await settle(w);
    await receive(sent[1]!);
    await settle(w, { timers: true });

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([]);
    expect(fateOf(accounting, 'm-order-o-1')).toEqual([
      { kind: 'taken', to: instanceOf('o-1'), by: instanceOf('o-1'), at: receivedAt, evidence: 'history' },
    ]);
    expect(fateOf(accounting, 'm-cancel-o-1')).toEqual([
      expect.objectContaining({ kind: 'taken', by: instanceOf('o-1'), host: expect.stringMatching(/^host-/) }),
    ]);
    expect(accounting.fates).toMatchObject({ taken: 2, unaccounted: 0, open: 0 });
  });

  it('finds a message the receive host could not route suspended with its reason, to no subscriber', async () => {
    const { ports, receive } = world();
    const sent = [
      rawMessage('not json', { MessageType: 'Order' }, 'm-bad'),
      rawMessage({ x: 1 }, { MessageType: 'Nobody' }, 'm-nobody'),
    ];
    await receive(...sent);

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([]);
    expect(fateOf(accounting, 'm-bad')).toEqual([
      { to: undefined, kind: 'suspended', reason: expect.stringMatching(/not JSON/) },
    ]);
    expect(fateOf(accounting, 'm-nobody')).toEqual([
      { to: undefined, kind: 'suspended', reason: expect.stringMatching(/no subscription/) },
    ]);
  });

  it('finds a message its instance ended without taking suspended: refused at receipt, or kept from the inbox of the instance that ended', async () => {
    const { w, ports, receive } = world();
    // o-2 waits in its cancellation window: the Approval (it takes none there) waits in its inbox until it completes.
    const sent = [orderMessage('o-2'), approvalMessage('o-2'), cancelMessage('o-2')];
    await receive(sent[0]!);
    await settle(w);
    await receive(sent[1]!);
    await settle(w, { timers: true });
    // Completed: a Cancel now is refused at receipt.
    await receive(sent[2]!);

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([]);
    expect(fateOf(accounting, 'm-approval-o-2')).toEqual([
      { to: instanceOf('o-2'), kind: 'suspended', reason: expect.stringMatching(/ended completed without taking it/) },
    ]);
    expect(fateOf(accounting, 'm-cancel-o-2')).toEqual([
      { to: instanceOf('o-2'), kind: 'suspended', reason: expect.stringMatching(/already completed/) },
    ]);
  });

  it('finds a suspended message an operator discarded, with who and why', async () => {
    const { w, ports, receive } = world();
    const sent = [rawMessage('not json', { MessageType: 'Order' }, 'm-junk')];
    await receive(...sent);
    await w.store.resolveSuspendedMessage('m-junk', {
      kind: 'discarded',
      by: 'ada',
      at: w.clock.now(),
      reason: 'a test message',
    });

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([]);
    expect(fateOf(accounting, 'm-junk')).toEqual([
      { to: undefined, kind: 'discarded', by: 'ada', at: w.clock.now(), reason: 'a test message' },
    ]);
  });

  it('follows a resubmitted message to the new message, accounted for in its turn: rebuilt from the record, or as the operator sent it', async () => {
    const { w, ports, receive } = world();
    // A Cancel held past its deliveries before its order existed is suspended; the order comes; an operator resubmits it as it was.
    const early = { ...cancelMessage('o-3'), receiveCount: 4 };
    await receive(early);
    await receive(orderMessage('o-3'));
    await settle(w);
    const resent: RawMessage = {
      messageId: 'm-resent',
      body: early.body,
      attributes: { MessageType: 'Cancel', [RESUBMITTED_FROM]: early.messageId },
    };
    await receive(resent);
    await w.store.resolveSuspendedMessage(early.messageId, {
      kind: 'resubmitted',
      by: 'ada',
      at: w.clock.now(),
      resubmittedAs: 'm-resent',
    });
    // An Order with a bad body, edited and resubmitted: the record keeps the body it went with (the console's way).
    const bad = rawMessage({ orderId: 17 }, { MessageType: 'Order' }, 'm-bad-order');
    await receive(bad);
    const fixed: RawMessage = {
      messageId: 'm-fixed',
      body: JSON.stringify(order('o-4')),
      attributes: { MessageType: 'Order', [RESUBMITTED_FROM]: bad.messageId },
    };
    await receive(fixed);
    await w.store.resolveSuspendedMessage(bad.messageId, {
      kind: 'resubmitted',
      by: 'ada',
      at: w.clock.now(),
      resubmittedAs: 'm-fixed',
      reason: 'edited',
      body: fixed.body,
    });
    // An edit an earlier console made, its body kept nowhere: known only to whoever sent it.
    const older = rawMessage({ orderId: 18 }, { MessageType: 'Order' }, 'm-older-bad');
    await receive(older);
    const olderFixed: RawMessage = {
      messageId: 'm-older-fixed',
      body: JSON.stringify(order('o-5')),
      attributes: { MessageType: 'Order', [RESUBMITTED_FROM]: older.messageId },
    };
    await receive(olderFixed);
    await w.store.resolveSuspendedMessage(older.messageId, {
      kind: 'resubmitted',
      by: 'ada',
      at: w.clock.now(),
      resubmittedAs: 'm-older-fixed',
      reason: 'edited',
    });
    await settle(w, { timers: true });

    const sent = [early, orderMessage('o-3'), bad, older];
    const accounting = await accountFor(sent, ports, {
      resubmitted: (id) => (id === 'm-older-fixed' ? olderFixed : undefined),
    });
    expect(accounting.unaccounted).toEqual([]);
    expect(fateOf(accounting, early.messageId)).toEqual([
      expect.objectContaining({ kind: 'resubmitted', as: 'm-resent', by: 'ada' }),
    ]);
    expect(accounting.messages.find((m) => m.messageId === 'm-resent')).toMatchObject({
      resubmittedFrom: early.messageId,
      deliveries: [{ to: instanceOf('o-3'), fate: { kind: 'taken' } }],
    });
    expect(fateOf(accounting, 'm-fixed')).toEqual([expect.objectContaining({ kind: 'taken', by: instanceOf('o-4') })]);
    expect(fateOf(accounting, 'm-older-fixed')).toEqual([
      expect.objectContaining({ kind: 'taken', by: instanceOf('o-5') }),
    ]);

    // Without being told the older edit's body, the history's links to the new message id lead to the instance that took it.
    const followed = await accountFor(sent, ports);
    expect(followed.unaccounted).toEqual([]);
    expect(fateOf(followed, 'm-older-fixed')).toEqual([
      expect.objectContaining({ kind: 'taken', by: instanceOf('o-5') }),
    ]);
  });

  it('counts a message never seen as unaccounted once the run is over, and as on its way while it goes on', async () => {
    const { ports } = world();
    const sent = [orderMessage('o-5')];

    const over = await accountFor(sent, ports);
    expect(over.unaccounted).toEqual([
      {
        messageId: 'm-order-o-5',
        to: instanceOf('o-5'),
        fate: { kind: 'unaccounted', why: expect.stringMatching(/never seen/) },
      },
    ]);
    const going = await accountFor(sent, ports, { final: false });
    expect(going.unaccounted).toEqual([]);
    expect(going.open).toHaveLength(1);
  });

  it('counts a message left unread in the inbox of an instance that ended, with no suspended record, as unaccounted (a delivery that raced the end)', async () => {
    const { w, ports, receive } = world();
    const sent = [orderMessage('o-6'), cancelMessage('o-6')];
    await receive(sent[0]!);
    await settle(w, { timers: true });
    expect((await w.store.load(instanceOf('o-6')))?.status).toBe('completed');
    // What a delivery that read "waiting" before the instance completed, and wrote after it read its inbox, leaves.
    const cancel = {
      messageId: 'm-cancel-o-6',
      messageType: 'Cancel',
      body: { orderId: 'o-6' },
      properties: {},
      receivedAt: w.clock.now(),
    };
    w.store.inboxes.set(instanceOf('o-6'), [cancel]);

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([
      {
        messageId: 'm-cancel-o-6',
        to: instanceOf('o-6'),
        fate: {
          kind: 'unaccounted',
          why: expect.stringMatching(
            /left unread in the inbox of .* which ended completed without taking it, and no suspended record/,
          ),
        },
      },
    ]);
    expect(fateOf(accounting, 'm-order-o-6')).toEqual([expect.objectContaining({ kind: 'taken' })]);
    // Whoever sent it: a message the run did not send, left there, is unaccounted for all the same.
    const strays = await accountFor([sent[0]!], ports);
    expect(strays.unaccounted).toEqual([
      {
        messageId: 'm-cancel-o-6',
        to: instanceOf('o-6'),
        fate: { kind: 'unaccounted', why: expect.stringMatching(/a Cancel left unread in the inbox/) },
      },
    ]);
  });

  it('says where a Cancel went that raced the end of its order (read "waiting", delivered after the instance completed and read its inbox): wherever the store left it', async () => {
    const { w, ports, receive } = world();
    const sent = [orderMessage('o-race'), cancelMessage('o-race')];
    await receive(sent[0]!);
    await settle(w);
    const id = instanceOf('o-race');
    expect((await w.store.load(id))?.status).toBe('waiting');
    // The window's timer fires on a host between the receive host's read of the status and its delivery.
    w.clock.advance(10_000);
    const timer = w.workQueue.items.splice(0).find((item) => item.reason === 'timer')!;
    const summaryOf = w.store.summaryOf.bind(w.store);
    w.store.summaryOf = async (instanceId) => {
      const summary = await summaryOf(instanceId);
      if (instanceId === id)
        await w.host('host-timer').process({ ...timer, delaySeconds: undefined }, { receiveCount: 1 });
      return summary;
    };
    await receive(sent[1]!);
    w.store.summaryOf = summaryOf;
    await settle(w, { timers: true });
    expect((await w.store.load(id))?.status).toBe('completed');

    const accounting = await accountFor(sent, ports);
    const left = (await w.store.deliveries(id)).some((m) => m.messageId === 'm-cancel-o-race');
    const record = await w.store.suspendedMessage('m-cancel-o-race');
    // Never taken (the instance took its timer, and sent Invoice and Shipment): kept as a suspended message, or unaccounted.
    expect(w.sendPort.sent.filter((e) => e.instanceId === id).map((e) => e.messageType)).toEqual([
      'Invoice',
      'Shipment',
    ]);
    if (left && !record)
      expect(accounting.unaccounted).toEqual([
        {
          messageId: 'm-cancel-o-race',
          to: id,
          fate: {
            kind: 'unaccounted',
            why: expect.stringMatching(
              /left unread in the inbox .* ended completed without taking it, and no suspended record/,
            ),
          },
        },
      ]);
    else expect(fateOf(accounting, 'm-cancel-o-race')).toEqual([expect.objectContaining({ kind: 'suspended' })]);
  });

  it('counts a message resubmitted as one that never arrived as unaccounted, naming what it was resubmitted from', async () => {
    const { w, ports, receive } = world();
    const sent = [rawMessage('not json', { MessageType: 'Order' }, 'm-lost-resubmit')];
    await receive(...sent);
    await w.store.resolveSuspendedMessage('m-lost-resubmit', {
      kind: 'resubmitted',
      by: 'ada',
      at: w.clock.now(),
      resubmittedAs: 'm-ghost',
    });

    const accounting = await accountFor(sent, ports);
    expect(fateOf(accounting, 'm-lost-resubmit')).toEqual([
      expect.objectContaining({ kind: 'resubmitted', as: 'm-ghost' }),
    ]);
    expect(accounting.unaccounted).toEqual([
      { messageId: 'm-ghost', fate: { kind: 'unaccounted', why: expect.stringMatching(/never seen/) } },
    ]);
    expect(accounting.messages.find((m) => m.messageId === 'm-ghost')?.resubmittedFrom).toBe('m-lost-resubmit');
  });

  it('counts a resubmission whose record names no new message as unaccounted', async () => {
    const { w, ports, receive } = world();
    const sent = [rawMessage('not json', { MessageType: 'Order' }, 'm-nameless')];
    await receive(...sent);
    await w.store.resolveSuspendedMessage('m-nameless', { kind: 'resubmitted', by: 'ada', at: w.clock.now() });

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([
      { messageId: 'm-nameless', fate: { kind: 'unaccounted', why: expect.stringMatching(/names no new message/) } },
    ]);
  });

  it('counts a message whose suspended record went missing as unaccounted, even while the run goes on', async () => {
    const { w, ports, receive } = world();
    const sent = [
      rawMessage('not json', { MessageType: 'Order' }, 'm-vanished'),
      orderMessage('o-7'),
      approvalMessage('o-7'),
    ];
    await receive(sent[0]!, sent[1]!);
    await settle(w);
    await receive(sent[2]!);
    await settle(w, { timers: true });
    w.store.suspended.delete('m-vanished');
    w.store.suspended.delete('m-approval-o-7');

    for (const final of [true, false]) {
      const accounting = await accountFor(sent, ports, { final });
      expect(
        accounting.unaccounted.map((d) => [d.messageId, d.to, d.fate.kind === 'unaccounted' && d.fate.why]),
      ).toEqual([
        ['m-vanished', undefined, expect.stringMatching(/suspended record is gone .*not JSON/)],
        ['m-approval-o-7', instanceOf('o-7'), expect.stringMatching(/suspended record is gone .*without taking it/)],
      ]);
    }
  });

  it('counts a message both taken and suspended from the same inbox as unaccounted: two ends', async () => {
    const { w, ports, receive } = world();
    const sent = [orderMessage('o-8'), cancelMessage('o-8')];
    await receive(sent[0]!);
    await settle(w);
    await receive(sent[1]!);
    await settle(w, { timers: true });
    await w.store.putSuspendedMessage({
      messageId: 'm-cancel-o-8',
      reason: 'kept by mistake',
      body: '{}',
      attributes: { MessageType: 'Cancel' },
      receivedAt: 0,
      source: `inbox of ${instanceOf('o-8')}`,
    });

    const accounting = await accountFor(sent, ports);
    expect(accounting.unaccounted).toEqual([
      {
        messageId: 'm-cancel-o-8',
        to: instanceOf('o-8'),
        fate: { kind: 'unaccounted', why: expect.stringMatching(/two ends/) },
      },
    ]);
  });

  it("counts a message taken by the MessageBox's account but missing from the history as unaccounted; without a history, the MessageBox says", async () => {
    const { w, receive } = world();
    const sent = [orderMessage('o-9')];
    await receive(...sent);
    await settle(w, { timers: true });

    const lost = await accountFor(sent, { store: w.store, history: new MemoryHistory(), registry: w.registry });
    expect(lost.unaccounted).toEqual([
      {
        messageId: 'm-order-o-9',
        to: instanceOf('o-9'),
        fate: { kind: 'unaccounted', why: expect.stringMatching(/history shows no receipt: history lost/) },
      },
    ]);
    const untracked = await accountFor(sent, { store: w.store, registry: w.registry });
    expect(untracked.unaccounted).toEqual([]);
    expect(fateOf(untracked, 'm-order-o-9')).toEqual([
      expect.objectContaining({ kind: 'taken', evidence: 'messagebox' }),
    ]);
  });

  it("accounts for each subscriber of a message apart: a suspended record made from one instance's inbox does not cover another's", async () => {
    const note = (name: string) =>
      orchestration(
        name,
        1,
        [
          receive('open', 'Open', { into: 'open', correlation: 'k' }),
          listen('wait', [
            onMessage('noted', receiveCorrelated('note', 'Note', { into: 'note', correlation: 'k' }), []),
            onTimeout('later', 'timer', () => 1_000, []),
          ]),
          code('work', () => {}),
          complete('done'),
        ],
        {
          correlationSets: {
            k: { Open: (m) => (m.body as { k: string }).k, Note: (m) => (m.body as { k: string }).k },
          },
        },
      );
    const w = createWorld([note('A'), note('B')]);
    const { history } = trackWorld(w);
    const open = rawMessage({ k: 'k-1' }, { MessageType: 'Open' }, 'm-open');
    const message = rawMessage({ k: 'k-1' }, { MessageType: 'Note' }, 'm-note');
    expect(await routeOf(message, w.registry)).toEqual({
      messageType: 'Note',
      to: [
        { instanceId: convoyInstanceId('A', 'k', 'k-1'), orchestration: 'A' },
        { instanceId: convoyInstanceId('B', 'k', 'k-1'), orchestration: 'B' },
      ],
    });
    await w.receiver.receive([open]);
    await settle(w, { timers: true });
    // Both ended with the Note unread in their inboxes; only A's was kept as a suspended message (one record a message id).
    for (const name of ['A', 'B'])
      w.store.inboxes.set(convoyInstanceId(name, 'k', 'k-1'), [
        { messageId: 'm-note', messageType: 'Note', body: { k: 'k-1' }, properties: {}, receivedAt: 0 },
      ]);
    await w.store.putSuspendedMessage({
      messageId: 'm-note',
      reason: 'delivered to A, which ended',
      body: '{"k":"k-1"}',
      attributes: { MessageType: 'Note' },
      receivedAt: 0,
      source: `inbox of ${convoyInstanceId('A', 'k', 'k-1')}`,
    });

    const accounting = await accountFor([open, message], { store: w.store, history, registry: w.registry });
    expect(fateOf(accounting, 'm-note')).toEqual([
      { to: convoyInstanceId('A', 'k', 'k-1'), kind: 'suspended', reason: 'delivered to A, which ended' },
      {
        to: convoyInstanceId('B', 'k', 'k-1'),
        kind: 'unaccounted',
        why: expect.stringMatching(
          /left unread in the inbox .*record of this message is inbox of .*'s, not this delivery's/,
        ),
      },
    ]);
    // Two activations (A and B) of the Open, each taken.
    expect(fateOf(accounting, 'm-open').map((f) => f.kind)).toEqual(['taken', 'taken']);
  });

  it("routes as the receive host does: the same instances for the same message, whatever the registry's order", async () => {
    const registry = new OrchestrationRegistry(sampleOrchestrations());
    expect(await routeOf(orderMessage('o-10'), registry)).toEqual({
      messageType: 'Order',
      to: [{ instanceId: instanceOf('o-10'), orchestration: 'OrderFulfilment' }],
    });
    expect(await routeOf(cancelMessage('o-10'), registry)).toEqual({
      messageType: 'Cancel',
      to: [{ instanceId: instanceOf('o-10'), orchestration: 'OrderFulfilment' }],
    });
    expect(await routeOf(rawMessage({ orderId: 17 }, { MessageType: 'Order' }), registry)).toEqual({
      messageType: 'Order',
      refused: expect.stringMatching(/does not match its schema/),
    });
  });
});
