/**
 * WCP-37 Acyclic Synchronizing Merge
 *
 * Definition: The convergence of two or more branches which diverged earlier in the process into a single subsequent
 * branch such that the thread of control is passed to the subsequent branch when each active incoming branch has
 * been enabled. Determination of how many branches require synchronization is made on the basis of information
 * locally available to the merge construct. (workflowpatterns.com now calls it the Local Synchronizing Merge.)
 * Rating: supported
 * Reason: Guarded branches: the guards, read at the fork on data the instance holds, decide which branches are
 * active, and the fork records them with the join (`forked`), so the join knows locally how many branches to wait
 * for, and waits for those alone. Baton's flows are block-structured, so the merge is acyclic by construction.
 * BPEL: +
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

const checkBranch = (name: string, minutes: number) =>
  branch(
    name,
    [
      delay(`run-${name}`, { minutes }),
      code(`done-${name}`, (ctx) => {
        ctx.vars[name] = 'passed';
      }),
    ],
    { when: (ctx) => (ctx.vars.checks as string[]).includes(name) },
  );

/** The checks an applicant needs are worked out first; the decision waits for exactly those. */
export const acyclicSynchronizingMerge = orchestration('Wcp37AcyclicSynchronizingMerge', 1, [
  receive('receiveApplicant', 'Applicant', { into: 'applicant' }),
  code('whichChecks', (ctx) => {
    const applicant = ctx.message('applicant').body as { foreign: boolean; driver: boolean };
    ctx.vars.checks = ['identity', ...(applicant.foreign ? ['visa'] : []), ...(applicant.driver ? ['licence'] : [])];
  }),
  parallel('checks', [checkBranch('identity', 5), checkBranch('visa', 60), checkBranch('licence', 20)]),
  send('decide', 'send', 'ApplicantDecided', (ctx) => ({
    identity: ctx.vars.identity ?? null,
    visa: ctx.vars.visa ?? null,
    licence: ctx.vars.licence ?? null,
  })),
]);
