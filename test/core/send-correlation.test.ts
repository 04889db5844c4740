import { describe, expect, it } from 'vitest';
import {
  code,
  complete,
  listen,
  loop,
  onMessage,
  onTimeout,
  orchestration,
  receive,
  receiveCorrelated,
  send,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { createWorld } from '../helpers/world.ts';
import { rawMessage } from '../helpers/orders.ts';

/**
 * A correlation set initialized at a send (BizTalk's `send (…, initialize Set)`): an expense report asks approvers one
 * round after another, each request carrying a round id of its own, and takes the answer of the latest round only.
 * The activation's set (the report's id) is not the set the answers follow.
 */
const roundOf = (m: { body: unknown }) => (m.body as { round?: string }).round;
const reports = orchestration(
  'Reports',
  1,
  [
    receive('receiveReport', 'Report', { into: 'report', correlation: 'report' }),
    loop('rounds', (ctx) => ctx.vars.approved === undefined && ((ctx.vars.round as number | undefined) ?? 0) < 2, [
      code('nextRound', (ctx) => {
        ctx.vars.round = ((ctx.vars.round as number | undefined) ?? 0) + 1;
      }),
      send(
        'ask',
        'send',
        'ApprovalRequest',
        (ctx) => ({ round: `${(ctx.message('report').body as { id: string }).id}/${ctx.vars.round}` }),
        { initializes: 'round' },
      ),
      listen('answer', [
        onMessage('answered', receiveCorrelated('receiveAnswer', 'Answer', { into: 'answer', correlation: 'round' }), [
          code('keep', (ctx) => {
            ctx.vars.approved = (ctx.message('answer').body as { approved: boolean }).approved;
          }),
        ]),
        onTimeout('noAnswer', 'roundTimeout', { minutes: 10 }, []),
      ]),
    ]),
    send('decided', 'send', 'Decided', (ctx) => ({ approved: ctx.vars.approved ?? null })),
    complete('done'),
  ],
  {
    correlationSets: {
      report: { Report: (m) => (m.body as { id: string }).id },
      round: { ApprovalRequest: roundOf, Answer: roundOf },
    },
  },
);

function world() {
  const base = createWorld([reports]);
  const drain = async () => {
    for (;;) {
      const at = base.workQueue.items.findIndex((item) => !item.delaySeconds);
      if (at < 0) return;
      await base.host('a').process(base.workQueue.items.splice(at, 1)[0]!, { receiveCount: 1 });
    }
  };
  /** The round's timeout comes: its delayed work item, run now. */
  const timeout = async () => {
    const at = base.workQueue.items.findIndex((item) => item.delaySeconds);
    base.clock.advance(11 * 60_000);
    await base.host('a').process(base.workQueue.items.splice(at, 1)[0]!, { receiveCount: 1 });
    await drain();
  };
  return { ...base, drain, timeout };
}

const answer = (round: string, approved: boolean, receiveCount = 1) => ({
  ...rawMessage({ round, approved }, { MessageType: 'Answer' }),
  receiveCount,
});

describe('a correlation set initialized at a send', () => {
  it("routes each answer to the instance whose request initialized its value, as the activation's set would", async () => {
    const w = world();
    await w
      .receiverFor()
      .receive([
        rawMessage({ id: 'e-1' }, { MessageType: 'Report' }),
        rawMessage({ id: 'e-2' }, { MessageType: 'Report' }),
      ]);
    await w.drain();
    expect(w.sendPort.sent.map((m) => m.body)).toEqual([{ round: 'e-1/1' }, { round: 'e-2/1' }]);
    await w.receiverFor().receive([answer('e-2/1', false), answer('e-1/1', true)]);
    await w.drain();
    const decided = w.sendPort.sent.filter((m) => m.messageType === 'Decided');
    expect(decided.map((m) => m.body)).toEqual(expect.arrayContaining([{ approved: true }, { approved: false }]));
    expect(decided.find((m) => (m.body as { approved: boolean }).approved)!.instanceId).toBe(
      w.sendPort.sent.find((m) => (m.body as { round?: string }).round === 'e-1/1')!.instanceId,
    );
  });

  it('takes the answer of the latest round only: an answer to an earlier round is left, and kept when the instance ends', async () => {
    const w = world();
    await w.receiverFor().receive([rawMessage({ id: 'e-3' }, { MessageType: 'Report' })]);
    await w.drain();
    await w.timeout();
    // Round 2 initialized the set again: an answer of round 1 no longer matches.
    expect(w.sendPort.sent.map((m) => m.body)).toEqual([{ round: 'e-3/1' }, { round: 'e-3/2' }]);
    const early = answer('e-3/1', true);
    await w.receiverFor().receive([early, answer('e-3/2', false)]);
    await w.drain();
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Decided').map((m) => m.body)).toEqual([
      { approved: false },
    ]);
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.reason)).toEqual([expect.stringMatching(/which ended completed without taking it/)]);
    expect(kept[0]!.messageId).toBe(early.messageId);
    expect(kept).toHaveLength(1);
  });

  it('holds an answer of a value no send initialized, then suspends it with the reason', async () => {
    const w = world();
    const first = await w.receiverFor().receive([answer('nobody/1', true)]);
    expect(first.outcomes.map((o) => o.result)).not.toContain('suspended');
    const last = await w.receiverFor().receive([answer('nobody/1', true, 4)]);
    expect(last.outcomes.map((o) => o.result)).toEqual(['suspended']);
    expect((await w.store.listSuspendedMessages())[0]!.reason).toMatch(/no Reports instance has round="nobody\/1"/);
  });

  it('needs the set defined, with a key for the type sent', () => {
    const asking = (
      initializes: string,
      sets: Record<string, Record<string, (m: { body: unknown }) => string | undefined>>,
    ) =>
      orchestration(
        'Asking',
        1,
        [
          receive('r', 'Report', { into: 'report' }),
          send('ask', 'send', 'ApprovalRequest', () => ({ round: 'x' }), { initializes }),
          receiveCorrelated('a', 'Answer', { into: 'answer', correlation: 'round' }),
        ],
        { correlationSets: sets },
      );
    expect(() => compile(asking('round', { round: { ApprovalRequest: roundOf, Answer: roundOf } }))).not.toThrow();
    expect(() => compile(asking('nowhere', { round: { ApprovalRequest: roundOf, Answer: roundOf } }))).toThrow(
      /initializes correlation set "nowhere", which is not defined/,
    );
    expect(() => compile(asking('round', { round: { Answer: roundOf } }))).toThrow(
      /correlation set "round" has no key for message type "ApprovalRequest"/,
    );
  });
});
