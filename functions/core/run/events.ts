import { forkedBranches } from '../branches.ts';
import type { ScopeEvent } from '../definition.ts';
import type { InstanceState, Thread } from '../instance.ts';
import type { CompiledOrchestration } from '../program.ts';
import type { RunState } from './run-state.ts';
import type { ShapeHandler } from './shapes/handler.ts';

/** The scopes around the thread that have event handlers, innermost first, with their handlers. */
function listening(
  orchestration: CompiledOrchestration,
  thread: Thread,
): { scope: string; depth: number; events: readonly ScopeEvent[] }[] {
  const scopes = thread.scopes ?? [];
  const found = [];
  for (let depth = scopes.length - 1; depth >= 0; depth--) {
    const shape = orchestration.shapes.get(scopes[depth]!);
    if (shape?.kind === 'scope' && shape.events?.length)
      found.push({ scope: scopes[depth]!, depth, events: shape.events });
  }
  return found;
}

/** Whether an instance's thread is inside a scope with event handlers (so a delivery may be for one of them). */
export function listensForEvents(orchestration: CompiledOrchestration, state: Pick<InstanceState, 'cursor'>): boolean {
  return state.cursor.threads.some((thread) => listening(orchestration, thread).length > 0);
}

/**
 * The run is about to wait: a message an event handler of a scope around it takes (innermost scope first, handlers in
 * order) runs that handler instead, and the run goes on. Interrupting, the thread leaves whatever it waited for (the
 * branch instances it forked are cancelled in this commit's outbox) and runs the handler, then the steps after the
 * scope; not interrupting, it keeps where it waited, to go back there at the handler's end. A thread already in a
 * non-interrupting handler takes only interrupting ones (it has one place to go back to).
 */
export async function takeEvent(run: RunState): Promise<boolean> {
  for (const { scope, depth, events } of listening(run.orchestration, run.thread)) {
    for (const event of events) {
      if (run.thread.handling && !event.interrupting) continue;
      // A transient trigger counts only what arrived once the thread entered the scope (kept where it waited).
      const entered = event.trigger.transient
        ? (run.thread.reached?.[scope] ?? run.thread.handling?.reached?.[scope])
        : undefined;
      const message = await run.findDelivery(event.trigger, entered);
      if (!message) continue;
      run.take(event.trigger.into, message);
      const at = run.entry(scope, `event:${event.name}`);
      if (event.interrupting) interrupt(run, scope, depth, event.name, at);
      // Not interrupting: a lock the waiting thread holds (a synchronized scope inside this one) is kept meanwhile.
      else {
        const { holds } = run.thread;
        run.thread = {
          id: run.thread.id,
          at,
          attempts: 0,
          scopes: run.thread.scopes,
          handling: run.thread,
          ...(holds ? { holds } : {}),
        };
      }
      run.shapesRun++;
      return true;
    }
  }
  return false;
}

/** Leaves what the thread waited for, inside the scope at `depth`, for the handler at `at`. */
function interrupt(run: RunState, scope: string, depth: number, name: string, at: string): void {
  // The thread waiting here (or where a non-interrupting handler took it from) may have forked: those still running go.
  const waits: Thread[] = [run.thread, ...(run.thread.handling ? [run.thread.handling] : [])];
  const forked = waits.flatMap((thread) =>
    forkedBranches(run.orchestration, { ...run.current, cursor: { threads: [thread] } }),
  );
  if (forked.length > 0)
    run.outbox.push({
      kind: 'cancel',
      instanceIds: forked,
      reason: `cancelled: event handler "${name}" of scope "${scope}" interrupted it`,
    });
  // What it kept of transient receives it reached stays, to say why a message it passed over was not taken.
  const { reached } = run.thread.handling ?? run.thread;
  run.thread = {
    id: run.thread.id,
    at,
    attempts: 0,
    scopes: (run.thread.scopes ?? []).slice(0, depth),
    ...(reached ? { reached } : {}),
  };
}

/** The end of a non-interrupting event handler: back to where the scope waited. */
export const eventEnd: ShapeHandler<'eventEnd'> = (run, shape, key) => {
  const back = run.thread.handling;
  if (!back) {
    return run.finish('suspended', {
      error: {
        reason: `reached the end of an event handler of "${shape.scope}" outside of one`,
        shapeId: key,
        at: run.options.now(),
      },
    });
  }
  run.thread = back;
  run.shapesRun++;
  return undefined;
};
