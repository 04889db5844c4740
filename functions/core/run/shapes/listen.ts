import type { DelayShape, ReceiveShape } from '../../definition.ts';
import type { ShapeHandler } from './handler.ts';

/** The first of its branches to happen: the oldest message one of its receives takes, else its timeout, else wait. */
export const listen: ShapeHandler<'listen'> = async (run, shape, key) => {
  const candidates = await Promise.all(
    shape.branches
      .filter((b) => b.trigger.kind === 'receive')
      .map(async (b) => ({ branch: b, message: await run.findDelivery(b.trigger as ReceiveShape) })),
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
