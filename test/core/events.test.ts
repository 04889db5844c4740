import { describe, expect, it } from 'vitest';
import {
  branch,
  code,
  delay,
  forEach,
  onEvent,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
} from '../../functions/core/builder.ts';
import type { OrchestrationDefinition, Shape } from '../../functions/core/definition.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

type World = ReturnType<typeof createWorld>;

const states = (w: World): InstanceState[] => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState);
const main = (w: World) => states(w).find((s) => !s.branchOf)!;
const sent = (w: World) => w.sendPort.sent.map((m) => m.messageType);
const out = (id: string, type: string) => send(id, 'send', type, () => ({}));
const correlated = {
  correlationSets: { order: { Order: orderIdOf, Cancel: orderIdOf, Update: orderIdOf, Done: orderIdOf } },
};

const cancelled = onEvent(
  'cancelled',
  receiveCorrelated('cancel', 'Cancel', { into: 'cancel', correlation: 'order' }),
  [out('ack', 'CancelAcknowledged')],
);

/** An order whose `body` runs in a scope that a Cancel interrupts; Finished after the scope either way. */
const cancellable = (name: string, body: Shape[], events = [cancelled]): OrchestrationDefinition =>
  orchestration(
    name,
    1,
    [
      receive('order', 'Order', { into: 'order', correlation: 'order' }),
      scope('work', body, { events }),
      out('finished', 'Finished'),
    ],
    correlated,
  );

async function started(definition: OrchestrationDefinition) {
  const w = createWorld([definition]);
  await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
  await settle(w);
  return w;
}
const send_ = async (w: World, type: string) => {
  await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: type })]);
};

describe('scope event handlers', () => {
  it('cancels a running Parallel Actions when a Cancel arrives: its branches are cancelled, the handler runs, then what follows the scope', async () => {
    const w = await started(
      cancellable('CancelBranches', [
        parallel('both', [
          branch('pick', [delay('picking', { hours: 1 }), out('picked', 'Picked')]),
          branch('bill', [delay('billing', { hours: 2 }), out('billed', 'Billed')]),
        ]),
        out('prepared', 'Prepared'),
      ]),
    );
    expect(main(w).status).toBe('waiting');
    await send_(w, 'Cancel');
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['CancelAcknowledged', 'Finished']);
    expect(main(w).status).toBe('completed');
    const branches = states(w).filter((s) => s.branchOf);
    expect(branches.map((b) => b.status)).toEqual(['terminated', 'terminated']);
    expect(branches[0]!.error!.reason).toMatch(/event handler "cancelled" of scope "work" interrupted it/);
  });

  it('interrupts a delay, and cancels the lanes of a For Each', async () => {
    const waiting = await started(cancellable('CancelDelay', [delay('cooling', { days: 3 }), out('cooled', 'Cooled')]));
    await send_(waiting, 'Cancel');
    await settle(waiting, { timers: true });
    expect(sent(waiting)).toEqual(['CancelAcknowledged', 'Finished']);

    const fanOut = await started(
      cancellable('CancelForEach', [
        forEach('each', () => [1, 2, 3, 4, 5, 6], [delay('slow', { minutes: 10 }), out('did', 'Did')], {
          maxConcurrency: 2,
        }),
      ]),
    );
    await send_(fanOut, 'Cancel');
    await settle(fanOut, { timers: true });
    expect(sent(fanOut)).toEqual(['CancelAcknowledged', 'Finished']);
    expect(
      states(fanOut)
        .filter((s) => s.lane)
        .every((l) => l.status === 'terminated'),
    ).toBe(true);
  });

  it('takes a Cancel that came before the scope waited, at its first wait', async () => {
    const definition = cancellable('EarlyCancel', [delay('cooling', { minutes: 5 }), out('cooled', 'Cooled')]);
    const w = createWorld([definition]);
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    await send_(w, 'Cancel');
    await settle(w, { timers: true });
    expect(sent(w)).toEqual(['CancelAcknowledged', 'Finished']);
  });

  it('runs a non-interrupting handler for each message while the scope waits, and the scope goes on', async () => {
    const noted = onEvent(
      'updated',
      receiveCorrelated('update', 'Update', { into: 'update', correlation: 'order' }),
      [
        code('count', (ctx) => {
          ctx.vars.updates = ((ctx.vars.updates as number | undefined) ?? 0) + 1;
        }),
        send('noted', 'send', 'UpdateNoted', (ctx) => ({ updates: ctx.vars.updates })),
      ],
      { interrupting: false },
    );
    const w = await started(
      cancellable(
        'Updates',
        [
          receiveCorrelated('done', 'Done', { into: 'done', correlation: 'order' }),
          send('closed', 'send', 'Closed', (ctx) => ({ updates: ctx.vars.updates })),
        ],
        [noted],
      ),
    );
    await send_(w, 'Update');
    await settle(w);
    await send_(w, 'Update');
    await settle(w);
    expect(main(w).status).toBe('waiting');
    await send_(w, 'Done');
    await settle(w);
    expect(w.sendPort.sent.map((m) => [m.messageType, m.body])).toEqual([
      ['UpdateNoted', { updates: 1 }],
      ['UpdateNoted', { updates: 2 }],
      ['Closed', { updates: 2 }],
      ['Finished', {}],
    ]);
  });

  it('does not take a Cancel once the scope ended: it becomes a suspended message when the instance ends', async () => {
    const definition = orchestration(
      'LateCancel',
      1,
      [
        receive('order', 'Order', { into: 'order', correlation: 'order' }),
        scope('work', [out('quick', 'Quick')], { events: [cancelled] }),
        receiveCorrelated('done', 'Done', { into: 'done', correlation: 'order' }),
        out('finished', 'Finished'),
      ],
      correlated,
    );
    const w = await started(definition);
    await send_(w, 'Cancel');
    await settle(w);
    await send_(w, 'Done');
    await settle(w);
    expect(sent(w)).toEqual(['Quick', 'Finished']);
    const held = [...w.store.suspended.values()].map((m) => m.attributes.MessageType);
    expect(held).toEqual(['Cancel']);
  });

  it('refuses event handlers inside a parallel branch, two of one name, and a trigger that is not a correlated receive', () => {
    const problems = (steps: Shape[]) => {
      try {
        new OrchestrationRegistry([
          orchestration(
            'Bad',
            1,
            [receive('order', 'Order', { into: 'order', correlation: 'order' }), ...steps],
            correlated,
          ),
        ]);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(DefinitionError);
        return (error as Error).message;
      }
    };
    expect(problems([parallel('p', [branch('a', [scope('s', [out('x', 'X')], { events: [cancelled] })])])])).toMatch(
      /receive "cancel" cannot be in a parallel branch/,
    );
    expect(problems([scope('s', [out('x', 'X')], { events: [cancelled, cancelled] })])).toMatch(
      /scope "s" has two event handlers named "cancelled"/,
    );
    expect(
      problems([
        scope('s', [out('x', 'X')], {
          events: [
            { name: 'bad', trigger: receive('again', 'Order', { into: 'o' }) as never, steps: [], interrupting: true },
          ],
        }),
      ]),
    ).toMatch(/event handler "bad" needs a receiveCorrelated\(\.\.\.\) trigger/);
  });
});
