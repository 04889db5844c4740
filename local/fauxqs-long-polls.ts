/**
 * fauxqs 2 answers every long poll waiting on a queue as soon as one message arrives: all of them dequeue, one gets
 * the message, the rest return empty and are sent again. SQS answers the poll that gets the message and lets the
 * others wait out their `WaitTimeSeconds`. With a local cluster's pollers (two per host instance, each with its
 * concurrent batches) most waits ended that way: at 4 host instances about one empty receive per persistence point,
 * each a signed request on a host's CPU and an answer on the emulator's, on the same two cores (docs/benchmarks.md).
 *
 * Here a standard queue wakes one waiting poll at a time: the next is woken when that one has taken what it wanted
 * and messages are still ready. A woken poll always dequeues at once; should one not within `STALE_WAKE_MS` (the
 * queue's own 20 ms timer calls again), the next is woken anyway, so nothing waits on a poll that went away. FIFO
 * queues keep fauxqs's behaviour. Applied once to the SqsQueue class fauxqs itself loads (its package exports only
 * its entry, so the module is found beside it); left alone if that class no longer has the methods it wraps.
 */
interface QueueInternals {
  messages: unknown[];
  pollWaiters: { resolve(): void; timer: NodeJS.Timeout }[];
  isFifo(): boolean;
  notifyWaiters(): void;
  dequeue(...args: unknown[]): unknown[];
}

const STALE_WAKE_MS = 50;
const PATCHED = Symbol.for('baton.fauxqs.oneWakePerPoll');

export async function wakeOneLongPollAtATime(): Promise<void> {
  const store = new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs'));
  const { SqsQueue } = (await import(store.href)) as {
    SqsQueue?: { prototype: QueueInternals & { [PATCHED]?: true } };
  };
  const queue = SqsQueue?.prototype;
  if (!queue || queue[PATCHED] || typeof queue.notifyWaiters !== 'function' || typeof queue.dequeue !== 'function')
    return;
  const wakeAll = queue.notifyWaiters;
  const dequeue = queue.dequeue;
  // When a queue last woke a poll that has not dequeued yet.
  const woken = new WeakMap<QueueInternals, number>();

  queue.notifyWaiters = function (this: QueueInternals) {
    if (this.isFifo()) return wakeAll.call(this);
    const since = woken.get(this);
    if (since !== undefined && Date.now() - since < STALE_WAKE_MS) return;
    const waiter = this.pollWaiters.shift();
    if (!waiter) return;
    woken.set(this, Date.now());
    clearTimeout(waiter.timer);
    waiter.resolve();
  };
  queue.dequeue = function (this: QueueInternals, ...args: unknown[]) {
    const taken = dequeue.apply(this, args);
    if (!this.isFifo()) {
      woken.delete(this);
      if (this.messages.length > 0 && this.pollWaiters.length > 0) this.notifyWaiters();
    }
    return taken;
  };
  queue[PATCHED] = true;
}
