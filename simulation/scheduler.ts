import type { Clock } from '../functions/core/ports.ts';
import type { Choices } from './choices.ts';

/**
 * Something that acts in the simulated world and can die: a host instance (its receive and processing hosts), the
 * sweeper, the tracking function, an operator. A dead actor's calls never return and its timers never fire, as a
 * killed process's would not; its place is taken by a new actor of the same name when it restarts.
 */
export interface Actor {
  readonly name: string;
  dead: boolean;
  /** How far its clock is off the world's (positive: ahead). */
  readonly skewMs: number;
}

/** What may happen to a call through a port when it is completed. */
export type Fault =
  /** Applied, and its reply arrives. */
  | 'none'
  /** Refused before it was applied (throttled, a 5xx): the caller sees an error. */
  | 'throttled'
  /** Applied, but the reply is lost: the caller sees an error (a timeout) and cannot tell. */
  | 'lost'
  /** Applied, the reply lost, and the SDK's retry applied it again: the caller sees the retry's answer. */
  | 'retried'
  /** The caller's process dies there, the call applied or not. */
  | 'crash';

/** A fault injected by the simulation, as an adapter would throw for a failed request. */
export class SimulatedFault extends Error {
  /** As the SDK marks what it may retry: a throttled call, a lost reply, a dropped connection. */
  readonly $retryable = { throttling: false };
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedFault';
  }
}

interface PendingCall {
  readonly actor: Actor;
  readonly label: string;
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Calls that cannot fail (a model's own bookkeeping) are completed as they are. */
  readonly faultable: boolean;
}

interface Timer {
  readonly at: number;
  readonly actor: Actor;
  readonly label: string;
  readonly fire: () => void;
  cancelled: boolean;
}

/**
 * The simulated world's time and the calls in flight. Nothing happens by itself: a call through a port waits here
 * until the run chooses to complete it (in any order: that is the reordering), with or without a fault; a timer fires
 * when the run moves time past it. Between two events, the code the last one woke runs until every piece of it waits on
 * a call or a timer again (`settle`), so a run is a sequence of events, the same for the same decisions.
 */
export class Scheduler {
  now: number;
  readonly choices: Choices;
  readonly calls: PendingCall[] = [];
  readonly timers: Timer[] = [];
  /** What happened, one line an event: the trace a failing run prints. */
  readonly log: string[] = [];
  /** Called when an actor dies at a call (`crash`). */
  onCrash?: (actor: Actor, at: string) => void;

  constructor(choices: Choices, start: number) {
    this.choices = choices;
    this.now = start;
  }

  /** A call through a port, completed when the run chooses (see `complete`). */
  call<T>(actor: Actor, label: string, run: () => Promise<T>, faultable = true): Promise<T> {
    if (actor.dead) return new Promise<T>(() => {});
    return new Promise<T>((resolve, reject) =>
      this.calls.push({ actor, label, run, resolve: resolve as (v: unknown) => void, reject, faultable }),
    );
  }

  /** The actor's view of time: the world's, off by its skew; its sleeps and timers are the world's timers. */
  clockOf(actor: Actor): Clock {
    return {
      now: () => this.now + actor.skewMs,
      sleep: (ms) => new Promise<void>((resolve) => this.after(actor, ms, 'sleep', resolve)),
      after: (ms, fire) => this.after(actor, ms, 'timer', fire),
    };
  }

  after(actor: Actor, ms: number, label: string, fire: () => void): () => void {
    const timer: Timer = { at: this.now + Math.max(0, ms), actor, label, fire, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Lets the code the last event woke run until all of it waits on a call or a timer again. */
  async settle(): Promise<void> {
    // Every pending continuation is a microtask; one turn of the event loop runs them all, in their order.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Completes the call at `index` with `fault`. */
  async complete(index: number, fault: Fault): Promise<void> {
    const [call] = this.calls.splice(index, 1);
    if (!call || call.actor.dead) return;
    const applied = fault === 'crash' ? this.choices.chance(0.5) : true;
    this.log.push(
      `${this.#time()} ${call.actor.name} ${call.label}${fault === 'none' ? '' : ` [${fault}${fault === 'crash' ? (applied ? ', applied' : ', not applied') : ''}]`}`,
    );
    switch (fault) {
      case 'none':
        await call.run().then(call.resolve, call.reject);
        return;
      case 'throttled':
        call.reject(new SimulatedFault(`${call.label}: throttled`));
        return;
      case 'lost':
        await call.run().catch(() => undefined);
        call.reject(new SimulatedFault(`${call.label}: no reply (it may have been applied)`));
        return;
      case 'retried':
        await call.run().catch(() => undefined);
        await call.run().then(call.resolve, call.reject);
        return;
      case 'crash':
        if (applied) await call.run().catch(() => undefined);
        this.kill(call.actor, call.label);
        return;
    }
  }

  /** The actor dies: its calls in flight are dropped, its timers never fire. */
  kill(actor: Actor, at: string): void {
    if (actor.dead) return;
    actor.dead = true;
    for (let i = this.calls.length - 1; i >= 0; i--) if (this.calls[i]!.actor === actor) this.calls.splice(i, 1);
    for (const timer of this.timers) if (timer.actor === actor) timer.cancelled = true;
    this.onCrash?.(actor, at);
  }

  /** Timers due now, oldest first (cancelled ones dropped). */
  dueTimers(): Timer[] {
    this.#prune();
    return this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at);
  }

  /** When the next timer is due, if any. */
  nextTimerAt(): number | undefined {
    this.#prune();
    return this.timers.length === 0 ? undefined : Math.min(...this.timers.map((t) => t.at));
  }

  fire(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
    if (timer.cancelled || timer.actor.dead) return;
    timer.fire();
  }

  #prune(): void {
    for (let i = this.timers.length - 1; i >= 0; i--)
      if (this.timers[i]!.cancelled || this.timers[i]!.actor.dead) this.timers.splice(i, 1);
  }

  #time(): string {
    return `t+${((this.now - START) / 1000).toFixed(3)}s`;
  }
}

/** Where simulated time starts (a fixed instant, so a run's ids and times are the same every time). */
export const START = Date.UTC(2026, 11, 1);
