import * as v from 'valibot';
import {
  branch,
  code,
  complete,
  delay,
  orchestration,
  parallel,
  receive,
  scope,
  send,
  stateMachine,
  until,
} from '../functions/core/builder.ts';
import type { StepContext } from '../functions/core/context.ts';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import { messageType } from '../functions/core/schema.ts';
import type { Choices } from './choices.ts';

/**
 * The join policies of Parallel Actions under the storm (issue 25): a first-of join that cancels branches still
 * running (one mid-step under an exclusive step's lease, one waiting on a timer in an until-loop), an n-of-m join that
 * lets the rest run on (a guarded branch among them, then a state machine), and a branch that fails inside a scope
 * with an error handler, cancelling its sibling. What each must do is in `JOINS`, read by the oracle (join-oracle.ts).
 */

/**
 * A step's work, as the world runs it: done at once, after a while (simulated, so a host may die or its lease run out
 * meanwhile), or, for an exclusive step in the storm, never.
 */
export type Work = (instanceId: string, exclusive: boolean) => Promise<void>;

export const QuoteRequest = messageType(
  'QuoteRequest',
  v.object({
    quoteId: v.string(),
    timerMs: v.pipe(v.number(), v.minValue(0)),
    polls: v.pipe(v.number(), v.minValue(1)),
  }),
);
export const QuorumRequest = messageType(
  'QuorumRequest',
  v.object({
    quorumId: v.string(),
    need: v.pipe(v.number(), v.minValue(1)),
    third: v.boolean(),
    waitMs: v.pipe(v.number(), v.minValue(0)),
  }),
);
export const JobRequest = messageType(
  'JobRequest',
  v.object({ jobId: v.string(), fail: v.boolean(), waitMs: v.pipe(v.number(), v.minValue(0)) }),
);

/** What an orchestration with a join must do, for the oracle. */
export interface JoinSpec {
  /** Its Parallel Actions shape. */
  readonly parallel: string;
  /** What becomes of its branches still running once the join went on. */
  readonly rest: 'cancel' | 'ignore';
  /** The types its instance sends after the join, one of which goes out once (the join's downstream). */
  readonly outcomes: readonly string[];
  /** The type each of its branches sends as its last step (exactly once for a branch that completed well). */
  readonly branchSends: string;
  /** Of its activating message's body: how many branches its fork makes (its guards let through). */
  forks(request: Record<string, unknown>): number;
  /** Of its activating message's body: how many branches must have ended well before the join went on. */
  need(request: Record<string, unknown>): number;
  /** Of its activating message's body: the outcome its downstream must send. */
  outcome(request: Record<string, unknown>): string;
  /** What is wrong with a message it or a branch sent (the loops' counts), if anything. */
  wrong?(body: Record<string, unknown>, request: Record<string, unknown>): string | undefined;
}

export const JOINS: Readonly<Record<string, JoinSpec>> = {
  FirstQuote: {
    parallel: 'quotes',
    rest: 'cancel',
    outcomes: ['Quoted'],
    branchSends: 'Quote',
    forks: () => 3,
    need: () => 1,
    outcome: () => 'Quoted',
    wrong: (body, request) =>
      body.from === 'timed' && body.polls !== request.polls
        ? `the until-loop of branch timed ran ${body.polls} times; ${request.polls} were due`
        : undefined,
  },
  Quorum: {
    parallel: 'votes',
    rest: 'ignore',
    outcomes: ['QuorumReached'],
    branchSends: 'Vote',
    forks: (request) => (request.third ? 3 : 2),
    need: (request) => request.need as number,
    outcome: () => 'QuorumReached',
    wrong: (body) =>
      body.rounds !== undefined && body.rounds !== 2
        ? `the state machine counted ${body.rounds} rounds; 2 were due`
        : undefined,
  },
  Job: {
    parallel: 'steps',
    rest: 'cancel',
    outcomes: ['JobJoined', 'JobHandled'],
    branchSends: 'StepDone',
    forks: () => 2,
    // A failing branch raises at once: the join needs none of the others.
    need: (request) => (request.fail ? 0 : 2),
    outcome: (request) => (request.fail ? 'JobHandled' : 'JobJoined'),
  },
};

const request = (ctx: StepContext) => ctx.message('request').body as Record<string, unknown>;
const count = (ctx: StepContext, name: string) => (ctx.vars[name] as number | undefined) ?? 0;
/** The branches whose own variable the join applied: those that ended well before it went on. */
const ended = (ctx: StepContext, names: readonly string[]) => names.filter((n) => ctx.vars[n] !== undefined);

/** A branch's last steps: it says it is done, in its variable (applied at the join only if it ended by then) and a send. */
const finish = (name: string, type: string, id: (ctx: StepContext) => unknown) => [
  code(`${name}Sets`, (ctx) => {
    ctx.vars[name] = name;
  }),
  send(`${name}Says`, 'send', type, (ctx) => ({ id: id(ctx), from: name, polls: ctx.vars.polls })),
];

/**
 * A race for a quote: `quick` works a while; `leased` says it asked (committed before its exclusive step), then works
 * under its lease (and may hang); `timed` polls on a timer. The first to end wins; the others are cancelled.
 */
function firstQuote(work: Work): OrchestrationDefinition {
  const id = (ctx: StepContext) => request(ctx).quoteId;
  return orchestration('FirstQuote', 1, [
    receive('request', QuoteRequest, { into: 'request' }),
    parallel(
      'quotes',
      [
        branch('quick', [code('quickWorks', (ctx) => work(ctx.instanceId, false)), ...finish('quick', 'Quote', id)]),
        branch('leased', [
          send('leasedAsks', 'send', 'QuoteAsked', (ctx) => ({ id: id(ctx) })),
          code('leasedAsked', () => {}, { persistAfter: true }),
          code('leasedWorks', (ctx) => work(ctx.instanceId, true), { exclusive: true }),
          ...finish('leased', 'Quote', id),
        ]),
        branch('timed', [
          until('timedPolls', (ctx) => count(ctx, 'polls') >= (request(ctx).polls as number), [
            delay('timedWaits', (ctx) => request(ctx).timerMs as number),
            code('timedCounts', (ctx) => {
              ctx.vars.polls = count(ctx, 'polls') + 1;
            }),
          ]),
          ...finish('timed', 'Quote', id),
        ]),
      ],
      { join: 'first', rest: 'cancel' },
    ),
    send('quoted', 'send', 'Quoted', (ctx) => ({ id: id(ctx), winners: ended(ctx, ['quick', 'leased', 'timed']) })),
    complete('done'),
  ]);
}

/**
 * A voter's critical section: it says it enters, works under its lease (and may hang), says it leaves, all in a scope
 * synchronized on the quorum's `ballot` lock, so no two voters of one quorum are ever in it at once: what the oracle
 * checks of the Sections they send (join-oracle.ts).
 */
function ballot(name: string, work: Work, id: (ctx: StepContext) => unknown) {
  const section = (at: 'enter' | 'leave') =>
    send(`${name}${at === 'enter' ? 'Enters' : 'Leaves'}`, 'send', 'Section', (ctx) => ({
      id: id(ctx),
      from: name,
      at,
    }));
  return scope(
    `${name}Ballot`,
    [
      section('enter'),
      // A persistence point: the Enter goes out before the work, the Leave after it.
      code(`${name}Entered`, () => {}, { persistAfter: true }),
      code(`${name}Works`, (ctx) => work(ctx.instanceId, true), { exclusive: true }),
      section('leave'),
    ],
    { synchronized: 'ballot' },
  );
}

/**
 * A quorum: `need` of its voters (read from the request at the fork) must have voted; the rest vote on, ignored. The
 * third voter is forked only when the request asks for it; two voters cast their ballots in a synchronized scope. A
 * state machine tallies after the join (a timer in it).
 */
function quorum(work: Work): OrchestrationDefinition {
  const id = (ctx: StepContext) => request(ctx).quorumId;
  return orchestration('Quorum', 1, [
    receive('request', QuorumRequest, { into: 'request' }),
    parallel(
      'votes',
      [
        branch('a', [code('aWorks', (ctx) => work(ctx.instanceId, false)), ...finish('a', 'Vote', id)]),
        branch('b', [
          delay('bWaits', (ctx) => request(ctx).waitMs as number),
          ballot('b', work, id),
          ...finish('b', 'Vote', id),
        ]),
        branch('c', [ballot('c', work, id), ...finish('c', 'Vote', id)], {
          when: (ctx) => request(ctx).third === true,
        }),
      ],
      { join: { atLeast: (ctx) => request(ctx).need as number }, rest: 'ignore' },
    ),
    stateMachine('tally', {
      initial: 'count',
      states: {
        count: {
          steps: [
            delay('tallyWaits', { seconds: 1 }),
            code('tallyCounts', (ctx) => {
              ctx.vars.rounds = count(ctx, 'rounds') + 1;
            }),
          ],
          next: (ctx) => (count(ctx, 'rounds') < 2 ? 'count' : 'announce'),
        },
        announce: {
          steps: [
            send('reached', 'send', 'QuorumReached', (ctx) => ({
              id: id(ctx),
              winners: ended(ctx, ['a', 'b', 'c']),
              rounds: count(ctx, 'rounds'),
            })),
          ],
          next: () => '$end',
        },
      },
    }),
    complete('done'),
  ]);
}

/** Two parts of Job's slow branch, in parallel: one works under its lease, one waits on a timer. */
function slowParts(work: Work, id: (ctx: StepContext) => unknown) {
  return parallel('slowParts', [
    branch('part1', [
      code('part1Works', (ctx) => work(ctx.instanceId, true), { exclusive: true }),
      send('part1Says', 'send', 'PartDone', (ctx) => ({ id: id(ctx), from: 'part1' })),
    ]),
    branch('part2', [
      delay('part2Waits', (ctx) => request(ctx).waitMs as number),
      send('part2Says', 'send', 'PartDone', (ctx) => ({ id: id(ctx), from: 'part2' })),
    ]),
  ]);
}

/**
 * A job of two steps in parallel, in a scope with an error handler: `bad` fails when the request says so, which raises
 * at the join at once and cancels `slow` (waiting on its timer, or mid-step under its lease). With `nested`, `slow`
 * forks two parts of its own first, which are cancelled with it (a branch cancelled between its fork's commit and the
 * creation of its branch instances: see test/core/join-policies.test.ts); off by default, so the default run's traces
 * stay those of the cases above.
 */
function job(work: Work, nested: boolean): OrchestrationDefinition {
  const id = (ctx: StepContext) => request(ctx).jobId;
  return orchestration('Job', 1, [
    receive('request', JobRequest, { into: 'request' }),
    scope(
      'work',
      [
        parallel('steps', [
          branch('slow', [
            delay('slowWaits', (ctx) => request(ctx).waitMs as number),
            // Parallel Actions in a branch: cancelling the branch cancels these too, mid-step or on their timer.
            ...(nested ? [slowParts(work, id)] : []),
            code('slowWorks', (ctx) => work(ctx.instanceId, true), { exclusive: true }),
            ...finish('slow', 'StepDone', id),
          ]),
          branch('bad', [
            code('badWorks', (ctx) => work(ctx.instanceId, false)),
            code(
              'badChecks',
              (ctx) => {
                if (request(ctx).fail) throw new Error('the step breaks');
              },
              { retry: { attempts: 2, backoffMs: 100 } },
            ),
            ...finish('bad', 'StepDone', id),
          ]),
        ]),
        send('joined', 'send', 'JobJoined', (ctx) => ({ id: id(ctx), winners: ended(ctx, ['slow', 'bad']) })),
      ],
      { onError: [send('handled', 'send', 'JobHandled', (ctx) => ({ id: id(ctx), error: ctx.vars.lastError }))] },
    ),
    complete('done'),
  ]);
}

/** The orchestrations with joins; `nested` adds Parallel Actions inside Job's slow branch (see `job`). */
export function joinDefinitions(work: Work, nested = false): OrchestrationDefinition[] {
  return [firstQuote(work), quorum(work), job(work, nested)];
}

/** A few requests of these orchestrations, drawn from the run's choices: what they are and when they come. */
export function joinRequests(choices: Choices, run: string): { at: number; type: string; body: string }[] {
  const out: { at: number; type: string; body: string }[] = [];
  const count = choices.between(0, 3);
  for (let i = 0; i < count; i++) {
    const at = choices.between(0, 8_000);
    const kind = choices.one(['quote', 'quorum', 'job'] as const);
    if (kind === 'quote') {
      const body = { quoteId: `${run}-q${i}`, timerMs: choices.between(200, 6_000), polls: choices.between(1, 2) };
      out.push({ at, type: 'QuoteRequest', body: JSON.stringify(body) });
    } else if (kind === 'quorum') {
      const third = choices.chance(0.7);
      const body = { quorumId: `${run}-v${i}`, need: choices.between(1, 2), third, waitMs: choices.between(0, 6_000) };
      out.push({ at, type: 'QuorumRequest', body: JSON.stringify(body) });
    } else {
      const body = { jobId: `${run}-j${i}`, fail: choices.chance(0.5), waitMs: choices.between(0, 6_000) };
      out.push({ at, type: 'JobRequest', body: JSON.stringify(body) });
    }
  }
  return out;
}
