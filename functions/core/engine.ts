import { convoyInstanceId, activationInstanceId } from './ids.ts';
import { correlationValue } from './correlation.ts';
import { END } from './definition.ts';
import type { CompiledOrchestration } from './program.ts';
import { InstanceStatus, type InstanceState } from './instance.ts';
import type { InboundMessage } from './message.ts';
import { DefinitionCodeFailed } from './errors.ts';
import { MAX_SHAPES_PER_RUN, RunState, type RunOptions, type RunResult } from './run/run-state.ts';
import { SHAPE_HANDLERS } from './run/shapes/index.ts';
import { listensForEvents, takeEvent } from './run/events.ts';
import type { ShapeHandler } from './run/shapes/handler.ts';
import { traceOf } from './trace.ts';

export { MAX_SHAPES_PER_RUN, type RunOptions, type RunResult, type StopReason } from './run/run-state.ts';

/** The first state of an instance activated by `message`: the message is bound, the cursor after the receive. */
export function activate(orchestration: CompiledOrchestration, message: InboundMessage, now: number): InstanceState {
  const set = orchestration.activation.correlation;
  const key = set === undefined ? undefined : correlationValue(orchestration, set, message);
  const instanceId =
    set !== undefined && key !== undefined
      ? convoyInstanceId(orchestration.name, set, key)
      : activationInstanceId(orchestration.name, message.messageId);
  return {
    instanceId,
    orchestration: orchestration.name,
    version: orchestration.version,
    status: InstanceStatus.Running,
    cursor: { threads: [{ id: 'main', at: orchestration.next.get(orchestration.activation.id)!, attempts: 0 }] },
    vars: {},
    messages: { [orchestration.activation.into]: message },
    correlations: set !== undefined && key !== undefined ? { [set]: key } : {},
    // A convoy's id can be made again once this one expired: what it makes carries when it was made.
    ...(set !== undefined && key !== undefined ? { incarnation: now.toString(36) } : {}),
    consumed: [message.messageId],
    outbox: [],
    sendSequence: 0,
    causationId: message.messageId,
    trace: traceOf(message),
    revision: 0,
    failovers: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Runs an instance from its cursor to the next persistence point. Pure with respect to the outside world:
 * sends are only appended to the outbox of the returned state, so a run that is never committed leaves
 * no trace. Step code must be deterministic given the state (or exclusive, see CodeShape). Each shape kind's
 * handler is in run/shapes/; what the run holds meanwhile, in run/run-state.ts.
 */
export async function run(
  orchestration: CompiledOrchestration,
  current: InstanceState,
  options: RunOptions,
): Promise<RunResult> {
  const state = new RunState(orchestration, current, options);
  while (state.thread.at !== END) {
    // A loop with no wait in it must not keep one host in one run forever: persist and go on.
    if (state.shapesRun >= MAX_SHAPES_PER_RUN) return state.finish('checkpoint');
    const key = state.thread.at;
    const shape = orchestration.shapes.get(key);
    if (!shape) {
      return state.finish('suspended', {
        error: { reason: `cursor points at unknown shape "${key}"`, at: options.now() },
      });
    }
    try {
      const handle = SHAPE_HANDLERS[shape.kind] as ShapeHandler<typeof shape.kind>;
      // A handler that did not wait answers at once: the run goes on without yielding, as one loop would.
      const answer = handle(state, shape as never, key);
      const stopped = answer instanceof Promise ? await answer : answer;
      // About to wait inside a scope with event handlers: a message one of them takes runs it instead.
      if (stopped?.stop === 'waiting' && listensForEvents(orchestration, stopped.state) && (await takeEvent(state)))
        continue;
      if (stopped) return stopped;
    } catch (error) {
      if (!(error instanceof DefinitionCodeFailed)) throw error;
      return state.finish('suspended', { error: { reason: error.message, shapeId: error.shapeId, at: options.now() } });
    }
  }
  // At the end: persisted first, then ended by the next run, which starts here with nothing to send.
  if (state.endsAfterSends()) return state.finish('checkpoint');
  return state.finish('completed', { error: undefined });
}
