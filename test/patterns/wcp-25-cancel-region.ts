/**
 * WCP-25 Cancel Region
 *
 * Definition: The ability to disable a set of tasks in a process instance. If any of the tasks are already
 * executing (or are currently enabled), then they are withdrawn. The tasks need not be a connected subset of the
 * overall process model.
 * Rating: partial
 * Reason: A scope is a region, and an interrupting event handler cancels it on a message
 * (`scope(id, steps, { events: [onEvent(name, receiveCorrelated(...), steps)] })`), wherever it waits: at a receive,
 * a delay, or the join of a `parallel`, `forEach` or `child`, whose branch instances still running are terminated
 * in the handler's commit; the tasks of the region not yet reached never run, the handler runs instead, then what
 * follows the region (a Throw or a failed step inside it cancels it too, into its `onError`). What is short of the
 * pattern is its last sentence: a region is a scope, a block of the model, so its tasks are always a connected
 * subset; tasks from different blocks (one branch of a `parallel` and a step after its join, say) cannot be
 * cancelled together without what lies between them, and a scope with event handlers sits on the instance's own
 * thread, not inside a branch. The Workflow Patterns Initiative rates the same limit partial in BPMN and XPDL (the
 * region as a sub-process with an error event), and BPEL's +/- (the region as a scope) is it too; Baton is rated
 * alike.
 * BPEL: +/-
 * Pending: none planned: Baton's regions are its blocks; a handler that names the shapes it withdraws, wherever they
 * are in the model, would make it direct.
 */
import {
  branch,
  delay,
  onEvent,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;
const done = (id: string, type: string) => send(id, 'send', type, () => ({}));

/**
 * A loan's assessment region: a credit check and a valuation at once, then an offer the applicant accepts, then the
 * settlement. The applicant withdrawing cancels whatever of it is left; the application is closed either way.
 */
export const cancelRegion = orchestration(
  'Wcp25CancelRegion',
  1,
  [
    receive('receiveApplication', 'LoanApplication', { into: 'application', correlation: 'application' }),
    scope(
      'assessment',
      [
        parallel('checks', [
          branch('credit', [delay('creditBureau', { hours: 1 }), done('creditChecked', 'CreditChecked')]),
          branch('valuation', [delay('valuer', { hours: 3 }), done('valued', 'PropertyValued')]),
        ]),
        done('offer', 'OfferMade'),
        receiveCorrelated('receiveAcceptance', 'OfferAccepted', { into: 'acceptance', correlation: 'application' }),
        done('settle', 'LoanSettled'),
      ],
      {
        events: [
          onEvent(
            'withdrawn',
            receiveCorrelated('receiveWithdrawal', 'ApplicationWithdrawn', {
              into: 'withdrawal',
              correlation: 'application',
            }),
            [done('cancelled', 'AssessmentCancelled')],
          ),
        ],
      },
    ),
    done('close', 'ApplicationClosed'),
  ],
  {
    correlationSets: {
      application: { LoanApplication: keyOf, OfferAccepted: keyOf, ApplicationWithdrawn: keyOf },
    },
  },
);
