import type { DelayShape, ReceiveShape } from '../../definition.ts';
import type { ShapeHandler } from './handler.ts';

/**
 * The first of its branches to happen: the oldest message one of its receives takes, else its timeout, else wait. A
 * transient receive's branch counts only a message that arrived once the thread reached the listen.
 */
export const listen: ShapeHandler<'listen'> = async (run, shape, key) => {
  const receives = shape.branches.filter((b) => b.trigger.kind === 'receive');
  const reached = receives.some((b) => (b.trigger as ReceiveShape).transient) ? run.reached(key) : undefined;
  const candidates = await Promise.all(
    receives.map(async (b) => {
      const trigger = b.trigger as ReceiveShape;
      return { branch: b, message: await run.findDelivery(trigger, trigger.transient ? reached : undefined) };
    }),
  );
  const byMessage = candidates
    .filter((c) => c.message !== undefined)
    .sort((a, b) => a.message!.receivedAt - b.message!.receivedAt)[0];
  if (byMessage) {
    const { into } = byMessage.branch.trigger as ReceiveShape;
    if (into) run.take(into, byMessage.message!);
    run.clearTimer();
    run.advanceTo(run.entry(key, byMessage.branch.name));
    return undefined;
  }
  const timeout = shape.branches.find((b) => b.trigger.kind === 'delay');
  if (timeout) {
    run.startTimer(timeout.trigger as DelayShape);
    if (run.thread.timerDue! <= run.options.now()) {
      run.clearTimer();
      run.advanceTo(run.entry(key, timeout.name));
      return undefined;
    }
  }
  return run.finish('waiting');
};
