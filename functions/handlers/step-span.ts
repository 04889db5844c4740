import type { Span } from '@opentelemetry/api';
import type { ProcessOutcome } from '../core/processing-host.ts';

/** What a step's span says of its run, once it ended: its outcome, and the orchestration and where it stands. */
export function describeStep(span: Span, outcome: ProcessOutcome): void {
  span.setAttribute('baton.result', outcome.result);
  const instance = outcome.result === 'done' ? outcome.instance : undefined;
  if (!instance) return;
  span.updateName(`step ${instance.orchestration}`);
  span.setAttributes({
    'baton.orchestration': `${instance.orchestration}@${instance.version}`,
    'baton.instance.status': instance.status,
    'baton.instance.revision': instance.revision,
  });
}
