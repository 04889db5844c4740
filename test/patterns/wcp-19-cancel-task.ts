/**
 * WCP-19 Cancel Task
 *
 * Definition: An enabled task is withdrawn prior to it commencing execution. If the task has started, it is
 * disabled and, where possible, the currently running instance is halted and removed.
 * Rating: partial
 * Reason: A task enabled but not started (waiting for its message) is withdrawn by a Listen that races it against a
 * Cancel message. A task that has started cannot be halted: a Listen only listens while it waits, and nothing
 * interrupts steps that are running or a branch that is waiting elsewhere.
 * BPEL: +
 * Pending: interrupting scope event handlers: a Cancel message handled by the task's scope ends it wherever it is.
 */
import { listen, onMessage, orchestration, receive, receiveCorrelated, send } from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A claim's inspection is enabled once requested; the insurer may withdraw it before the inspector reports. */
export const cancelTask = orchestration(
  'Wcp19CancelTask',
  1,
  [
    receive('receiveClaim', 'Claim', { into: 'claim', correlation: 'claim' }),
    send('requestInspection', 'send', 'InspectionRequested', (ctx) => ({ key: keyOf(ctx.message('claim')) })),
    listen('inspection', [
      onMessage(
        'reported',
        receiveCorrelated('receiveReport', 'InspectionReport', { into: 'report', correlation: 'claim' }),
        [send('assess', 'send', 'ClaimAssessed', (ctx) => ({ key: keyOf(ctx.message('claim')) }))],
      ),
      onMessage(
        'withdrawn',
        receiveCorrelated('receiveCancel', 'CancelInspection', { into: 'cancel', correlation: 'claim' }),
        [send('withdraw', 'send', 'InspectionWithdrawn', (ctx) => ({ key: keyOf(ctx.message('claim')) }))],
      ),
    ]),
    send('close', 'send', 'ClaimClosed', (ctx) => ({ key: keyOf(ctx.message('claim')) })),
  ],
  { correlationSets: { claim: { Claim: keyOf, InspectionReport: keyOf, CancelInspection: keyOf } } },
);
