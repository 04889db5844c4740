import { parseWorkItem } from '../functions/adapters/SqsWorkQueue.ts';
import { ProcessingHost } from '../functions/core/processing-host.ts';
import { ReceiveHost } from '../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { sweep } from '../functions/core/sweeper.ts';
import { track } from '../functions/core/tracking.ts';
import { handleWorkItem } from '../functions/core/work-items.ts';
import { MAX_CLOCK_SKEW_MS } from '../functions/core/ownership.ts';
import type { SendEntry } from '../functions/core/instance.ts';
import type { HistoryStore, SendPort, TimerScheduler, WorkItem, WorkQueue } from '../functions/core/ports.ts';
import { EAGER, MESSAGEBOX, OWNERSHIP, QUEUES } from '../functions/settings.ts';
import { MemoryHistory } from '../test/helpers/memory-history.ts';
import { Choices } from './choices.ts';
import { SimMessageBox } from './message-box.ts';
import { SimQueue } from './queue.ts';
import { definitions, workload, type Ledger, type Workload } from './scenario.ts';
import { START, Scheduler, type Actor, type Fault } from './scheduler.ts';
import { Oracle, type Violation } from './oracle.ts';
import { short } from './short.ts';
import { Operations } from '../console/operations.ts';
import type { AuditTrail } from '../console/audit.ts';
import type { OperatorQueues } from '../console/queues.ts';
import { RESUBMISSION_ID } from '../functions/core/resubmission.ts';
import { RESUBMITTED_FROM } from '../functions/core/tracking.ts';

/** How a run is shaken: what may go wrong, how often. */
export interface Weather {
  /** Of the calls through a port, the share that fails (throttled, reply lost, retried twice, or the caller dies). */
  readonly faultRate: number;
  /** Of the events, the share that kills a host instance. */
  readonly crashRate: number;
  /** Of the receives, the share that also hands out a message another receive holds (SQS's at-least-once). */
  readonly duplicateRate: number;
  /** Of the runs of an exclusive step, the share that hang. */
  readonly hangRate: number;
  /**
   * The receive queue's receive limit (SQS's maxReceiveCount; the receive host holds an uncorrelated message one
   * delivery less). Lower than production's, it sends messages through the last delivery and the dead-letter queue.
   * @defaultValue QUEUES.receive.maxReceiveCount
   */
  readonly receiveLimit?: number;
}

export const STORM: Weather = { faultRate: 0.05, crashRate: 0.01, duplicateRate: 0.02, hangRate: 0.2 };
/** Worse than any day in production, to search where the storm rarely goes: one call in ten fails, SQS doubles often. */
export const HARSH: Weather = { faultRate: 0.1, crashRate: 0.02, duplicateRate: 0.3, hangRate: 0.2, receiveLimit: 3 };
export const WEATHERS = { storm: STORM, harsh: HARSH } as const;
export const CALM: Weather = { faultRate: 0, crashRate: 0, duplicateRate: 0, hangRate: 0 };

/** What a run did, and what it found wrong. */
export interface RunReport {
  readonly seed: number;
  readonly events: number;
  readonly violations: readonly Violation[];
  readonly log: readonly string[];
  readonly decisions: readonly number[];
  readonly simulatedMs: number;
  /** What it exercised of the join policies (see JoinOracle.coverage). */
  readonly coverage: Readonly<Record<string, number>>;
}

/** A host instance: its receive and processing hosts in one process, as a Lambda environment or a local process has. */
interface HostInstance {
  readonly name: string;
  actor: Actor;
  receiveHost: ReceiveHost;
  processingHost: ProcessingHost;
  batches: number;
}

const LEASE = { leaseMs: OWNERSHIP.leaseMs, maxClockSkewMs: OWNERSHIP.maxClockSkewMs };
/** The time limit of a run (the host function's), as the runtime gives it. */
const RUN_TIME_LIMIT_MS = 10_000;
/** Past this, the storm ends: no more faults, crashes or hangs; the world must then settle by itself. */
const STORM_MS = 60_000;
/** A run that has not settled this long after the storm has something that never ends. */
const SETTLE_WITHIN_MS = 3 * 86_400_000;
const RETENTION_MS = MESSAGEBOX.finishedRetentionDays * 86_400_000;
const SWEEP_EVERY_MS = 60_000;
const HOSTS = 3;
const BATCH = 10;

/**
 * One simulated run: the real receive host, processing hosts, retry policy, sweeper and tracking, on models of the
 * MessageBox, the queues, the timer service and the history table, with every decision (which event comes next, which
 * call fails, which process dies) drawn from one seed (or replayed from a list of decisions).
 */
export class World {
  readonly scheduler: Scheduler;
  readonly box: SimMessageBox;
  /** The receive queue's dead-letter queue, which the receive hosts read too (a last delivery there). */
  readonly receiveDlq = new SimQueue('receive-dlq', {
    visibilityMs: 60_000,
    maxReceiveCount: Number.POSITIVE_INFINITY,
  });
  readonly receiveQueue: SimQueue;
  readonly workQueue = new SimQueue('work', { visibilityMs: 60_000, maxReceiveCount: QUEUES.work.maxReceiveCount });
  readonly sendQueue = new SimQueue('send', { visibilityMs: 30_000, maxReceiveCount: 1_000 });
  readonly history = new MemoryHistory();
  readonly registry: OrchestrationRegistry;
  readonly oracle: Oracle;
  readonly hosts: HostInstance[] = [];
  readonly workload: Workload;
  readonly #choices: Choices;
  readonly #weather: Weather;
  get #receiveLimit(): number {
    return this.#weather.receiveLimit ?? QUEUES.receive.maxReceiveCount;
  }
  readonly #system: Actor = { name: 'aws', dead: false, skewMs: 0 };
  #tracked = 0;
  #trackingAttempts = 0;
  #lastSweep = START;
  #clientIndex = 0;
  #answered = new Set<string>();
  #reusedSent = false;
  #stormOver = false;
  /** When an operator last acted (or the storm ended): the world must settle within SETTLE_WITHIN_MS of it. */
  #healedAt = START + STORM_MS;
  #ids = 0;
  events = 0;

  constructor(
    seed: number,
    weather: Weather = STORM,
    replay?: readonly number[],
    options: { blindAfterDeliver?: boolean; nested?: boolean } = {},
  ) {
    this.#choices = new Choices(seed, replay);
    this.#weather = weather;
    this.receiveQueue = new SimQueue('receive', {
      visibilityMs: 60_000,
      maxReceiveCount: this.#receiveLimit,
      deadLetterQueue: this.receiveDlq,
    });
    this.scheduler = new Scheduler(this.#choices, START);
    this.box = new SimMessageBox(() => this.scheduler.now);
    this.box.blindAfterDeliver = options.blindAfterDeliver === true;
    const ledger: Ledger = {
      charge: (instanceId, chargeId, token) => this.oracle.charge(instanceId, chargeId, token),
      hang: (instanceId) => {
        const hangs = !this.#stormOver && this.#choices.chance(this.#weather.hangRate);
        if (hangs) this.scheduler.log.push(`${this.#time()} the exclusive step of ${short(instanceId)} hangs`);
        return hangs;
      },
      work: (instanceId, exclusive) => this.#work(instanceId, exclusive),
    };
    this.workload = workload(this.#choices, `s${seed}`);
    this.registry = new OrchestrationRegistry(
      definitions(ledger, this.workload.approvalTimeoutMs, options.nested === true),
    );
    this.oracle = new Oracle(this);
    for (let n = 1; n <= HOSTS; n++) this.hosts.push(this.#startHost(`host-${n}`));
    this.scheduler.onCrash = (actor) => this.#restartLater(actor);
  }

  /** Runs until the world has settled after the storm (or it never does), checking as it goes. */
  async run(maxEvents = 20_000): Promise<void> {
    for (;;) {
      const settleBy = this.#healedAt + SETTLE_WITHIN_MS;
      if (!this.#stormOver && this.scheduler.now >= START + STORM_MS) this.#stormOver = true;
      await this.scheduler.settle();
      if (this.oracle.violations.length > 0) return;
      if (this.events >= maxEvents || this.scheduler.now > settleBy) {
        this.oracle.neverSettled(
          this.events >= maxEvents
            ? `still moving after ${this.events} events`
            : 'still moving three simulated days after the storm',
        );
        return;
      }
      const moved = await this.#step();
      this.events++;
      if (!moved) {
        // Nothing can happen now: move time to the next thing that will, or stop when nothing will. After the storm an
        // operator acts once nothing but the sweeper would happen by itself: a join may wait, watched by the sweeper
        // forever, for a branch suspended until an operator resumes it.
        const next = this.#nextAt();
        if (this.#stormOver && this.#nextAt(false) === undefined) {
          const still = next === undefined;
          if (this.#heal(still)) continue;
          if (still) {
            if (!this.#nothingInFlight()) continue;
            await this.oracle.settled();
            return;
          }
        }
        if (next === undefined) {
          this.scheduler.now = START + STORM_MS;
          continue;
        }
        this.scheduler.now = Math.max(this.scheduler.now + 1, next);
      }
    }
  }

  report(seed: number): RunReport {
    return {
      seed,
      events: this.events,
      violations: this.oracle.violations,
      log: this.scheduler.log,
      decisions: this.#choices.taken,
      simulatedMs: this.scheduler.now - START,
      coverage: this.oracle.coverage,
    };
  }

  /** One event, chosen among those that can happen now; false when none can. */
  async #step(): Promise<boolean> {
    const s = this.scheduler;
    const storm = !this.#stormOver;
    const options: (() => Promise<void> | void)[] = [];
    // Calls in flight: completing one, in whatever order, is most of what happens.
    for (let i = 0; i < s.calls.length; i++) {
      const call = s.calls[i]!;
      // A host instance's or an operator's process dies at a call; the sweeper and tracking (Lambda invocations) fail
      // and are retried.
      const mortal = this.hosts.some((h) => h.actor === call.actor) || call.actor.name.startsWith('operator-');
      options.push(() => s.complete(i, this.#fault(call.faultable && storm, mortal)));
    }
    for (const timer of s.dueTimers()) {
      options.push(() => {
        // A batch's time limit says so itself, when it ends a batch still running.
        if (timer.label !== 'batch time limit') s.log.push(`${this.#time()} ${timer.actor.name} ${timer.label} fires`);
        s.fire(timer);
      });
    }
    for (const host of this.hosts) {
      if (host.actor.dead || host.batches >= 2) continue;
      if (this.receiveQueue.ready(s.now)) options.push(() => this.#receiveBatch(host, this.receiveQueue));
      if (this.receiveDlq.ready(s.now)) options.push(() => this.#receiveBatch(host, this.receiveDlq));
      if (this.workQueue.ready(s.now)) options.push(() => this.#workBatch(host));
    }
    const client = this.workload.sends[this.#clientIndex];
    if (client && START + client.at <= s.now) options.push(() => this.#clientSend());
    if (this.#answerable().length > 0) options.push(() => this.#answer());
    if (this.#tracked < this.box.stream.length && !this.#trackingBusy) options.push(() => this.#track());
    if (s.now - this.#lastSweep >= SWEEP_EVERY_MS && !this.#sweeping) options.push(() => this.#sweep());
    if (this.#expiring().length > 0) options.push(() => this.#expire());
    // In the storm an operator acts on what is suspended as it appears, through ports that fail like the hosts' do.
    if (storm) {
      const waiting = [...this.box.inner.suspended.values()].filter(
        (m) => !m.resolution && !this.#actedOn.has(m.messageId),
      );
      if (waiting.length > 0) options.push(() => this.#actOn(this.#choices.one(waiting).messageId, true));
    }
    if (options.length === 0) return false;
    // Now and then, time passes instead (a slow call, a pause), and, in the storm, a host instance dies.
    if (storm && this.#choices.chance(this.#weather.crashRate)) {
      const live = this.hosts.filter((h) => !h.actor.dead);
      if (live.length > 0) {
        const victim = this.#choices.one(live);
        s.log.push(`${this.#time()} ${victim.name} killed`);
        s.kill(victim.actor, 'killed');
        return true;
      }
    }
    // A pause of everything (a slow network, a stalled machine): timers come late. Only in the storm: after it, time
    // moves only to the next thing due, so a heartbeat that runs keeps its lease.
    if (storm && this.#choices.chance(0.05)) {
      const ms = this.#choices.one([1, 10, 100, 1_000, 5_000, 15_000]);
      s.now += ms;
      s.log.push(`${this.#time()} ${ms} ms pass`);
      return true;
    }
    await options[this.#choices.pick(options.length)]!();
    return true;
  }

  /**
   * A step's work in the orchestrations with joins: at once, or over simulated time (its host may die, a join go on
   * without it, its lease run out past the run's time limit), or, for an exclusive step in the storm, never.
   */
  #work(instanceId: string, exclusive: boolean): Promise<void> {
    const storm = !this.#stormOver;
    if (exclusive && storm && this.#choices.chance(this.#weather.hangRate / 2)) {
      this.scheduler.log.push(`${this.#time()} the exclusive step of ${short(instanceId)} hangs`);
      return new Promise<void>(() => {});
    }
    // Past the run's time limit only in the storm: after it, every step ends in time.
    const ms = this.#choices.one(storm ? [0, 0, 100, 1_000, 4_000, 12_000] : [0, 100, 1_000, 4_000]);
    if (ms === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.scheduler.after(this.#system, ms, `work of ${short(instanceId)} (${ms} ms)`, () => {
        // Its branch was cancelled while it worked: what the step did next must not be committed (the oracle checks).
        if (/cancelled:/.test(this.box.state(instanceId)?.error?.reason ?? ''))
          this.oracle.cover(exclusive ? 'cancelled mid-step under a lease' : 'cancelled mid-step');
        resolve();
      });
    });
  }

  #fault(faultable: boolean, mortal: boolean): Fault {
    if (!faultable || !this.#choices.chance(this.#weather.faultRate)) return 'none';
    return this.#choices.one<Fault>(
      mortal ? ['throttled', 'lost', 'retried', 'crash'] : ['throttled', 'lost', 'retried'],
    );
  }

  #startHost(name: string, restarts = 0): HostInstance {
    // Clocks off by up to the skew leases tolerate, and one beyond it (it may take over early: refused work, never a double commit).
    const skewMs =
      name === 'host-3'
        ? 2 * MAX_CLOCK_SKEW_MS
        : this.#choices.between(0, MAX_CLOCK_SKEW_MS) * (name === 'host-2' ? -1 : 1);
    const actor: Actor = { name: restarts === 0 ? name : `${name}#${restarts}`, dead: false, skewMs };
    const clock = this.scheduler.clockOf(actor);
    const store = this.box.portFor(actor, this.scheduler);
    const workQueue = this.#workQueuePort(actor);
    // The planted bug (`blindAfterDeliver`) loses the delivery's wake-up as well: that work item, finding the instance
    // ended, would keep the message too (core/host/wake-up.ts), and the race would have no loss left to find.
    const wakes: WorkQueue = this.box.blindAfterDeliver
      ? { enqueue: (items) => workQueue.enqueue(items.filter((i) => i.reason !== 'receive' || i.state !== undefined)) }
      : workQueue;
    const receiveHost = new ReceiveHost({
      registry: this.registry,
      store,
      workQueue: wakes,
      clock,
      source: 'receive',
      suspendAtReceive: this.#receiveLimit,
      holdReceives: this.#receiveLimit - 1,
    });
    const processingHost = new ProcessingHost({
      registry: this.registry,
      store,
      sendPort: this.#sendPort(actor),
      workQueue,
      timers: this.#timers(actor),
      clock,
      lease: LEASE,
      hostId: name,
      runTimeLimitMs: RUN_TIME_LIMIT_MS,
      newId: () => `${actor.name}-${++this.#ids}`,
      // Eager execution on some hosts, with room for a few or many runs: a crash then loses work items never sent.
      ...(this.#choices.chance(0.6)
        ? { eager: { items: this.#choices.between(1, 16), minRemainingMs: EAGER.minRemainingMs } }
        : {}),
    });
    return { name, actor, receiveHost, processingHost, batches: 0 };
  }

  #restartLater(actor: Actor): void {
    const host = this.hosts.find((h) => h.actor === actor);
    if (!host) return;
    host.batches = 0;
    // The service manager (or Lambda) starts another process a while later.
    this.scheduler.after(this.#system, this.#choices.between(100, 3_000), `restart ${host.name}`, () => {
      const restarted = this.#startHost(host.name, Number(actor.name.split('#')[1] ?? 0) + 1);
      Object.assign(host, {
        actor: restarted.actor,
        receiveHost: restarted.receiveHost,
        processingHost: restarted.processingHost,
        batches: 0,
      });
      this.scheduler.log.push(`${this.#time()} ${restarted.actor.name} started`);
    });
  }

  #workQueuePort(actor: Actor): WorkQueue {
    return {
      enqueue: (items) =>
        this.scheduler.call(
          actor,
          `work.enqueue ${items.map((i) => `${short(i.instanceId)}:${i.reason}`).join(',')}`,
          async () => {
            for (const item of items) {
              const { delaySeconds, ...rest } = item;
              this.workQueue.send(this.scheduler.now, JSON.stringify(rest), {}, (delaySeconds ?? 0) * 1000);
            }
          },
        ),
    };
  }

  #sendPort(actor: Actor): SendPort {
    return {
      dispatch: (entries: readonly SendEntry[]) =>
        this.scheduler.call(
          actor,
          `send ${entries.map((e) => `${e.messageType}`).join(',')} for ${short(entries[0]?.instanceId ?? '')}`,
          async () => {
            for (const entry of entries) {
              this.oracle.sent(entry);
              this.sendQueue.send(this.scheduler.now, JSON.stringify(entry.body), {
                MessageType: entry.messageType,
                MessageId: entry.messageId,
              });
            }
          },
        ),
    };
  }

  /** Step Functions' timer: when due, it puts the instance's work item on the queue (once per timer id). */
  readonly #armed = new Set<string>();
  #timers(actor: Actor): TimerScheduler {
    return {
      schedule: (timer) =>
        this.scheduler.call(actor, `timers.schedule ${short(timer.instanceId)}`, async () => {
          if (this.#armed.has(timer.timerId)) return;
          this.#armed.add(timer.timerId);
          this.scheduler.after(this.#system, timer.dueAt - this.scheduler.now, 'timer', () => {
            this.workQueue.send(this.scheduler.now, JSON.stringify({ instanceId: timer.instanceId, reason: 'timer' }));
          });
        }),
    };
  }

  async #receiveBatch(host: HostInstance, queue: SimQueue): Promise<void> {
    const got = queue.receive(
      this.scheduler.now,
      BATCH,
      this.#choices,
      this.#stormOver ? 0 : this.#weather.duplicateRate,
    );
    if (got.length === 0) return;
    const deadLettered = queue === this.receiveDlq;
    this.scheduler.log.push(
      `${this.#time()} ${host.actor.name} receives${deadLettered ? ' from the receive DLQ' : ''} ${got.map((g) => `${g.message.messageId}(${g.message.receiveCount})`).join(' ')}`,
    );
    const actor = host.actor;
    host.batches++;
    void host.receiveHost
      .receive(
        got.map(({ message }) => ({
          messageId: message.messageId,
          body: message.body,
          attributes: message.attributes,
          receiveCount: message.receiveCount,
          ...(deadLettered ? { deadLettered } : {}),
        })),
      )
      .then(async ({ outcomes }) => {
        await Promise.all(
          outcomes.map((o) =>
            this.scheduler
              .call(actor, `${queue.name}.delete ${o.messageId}`, async () => queue.delete(o.messageId))
              .catch(() => undefined),
          ),
        );
      })
      .catch(() => undefined)
      .finally(() => {
        if (host.actor === actor) host.batches--;
      });
  }

  async #workBatch(host: HostInstance): Promise<void> {
    const got = this.workQueue.receive(
      this.scheduler.now,
      BATCH,
      this.#choices,
      this.#stormOver ? 0 : this.#weather.duplicateRate,
    );
    if (got.length === 0) return;
    this.scheduler.log.push(
      `${this.#time()} ${host.actor.name} takes ${got.map((g) => `${short(JSON.parse(g.message.body).instanceId)}:${JSON.parse(g.message.body).reason}(${g.message.receiveCount})`).join(' ')}`,
    );
    const actor = host.actor;
    const processingHost = host.processingHost;
    const workQueue = this.#workQueuePort(actor);
    host.batches++;
    // As a Lambda invocation would, the batch ends at its time limit whatever still runs (its work items come back).
    let ended = false;
    const end = () => {
      if (!ended && host.actor === actor) host.batches--;
      ended = true;
    };
    this.scheduler.after(actor, RUN_TIME_LIMIT_MS, 'batch time limit', () => {
      if (!ended) this.scheduler.log.push(`${this.#time()} ${actor.name}'s batch reaches its time limit, unfinished`);
      end();
    });
    void Promise.all(
      got.map(async ({ message }) => {
        let item: WorkItem;
        try {
          item = parseWorkItem(message.body);
        } catch {
          return;
        }
        const handled = await handleWorkItem(
          processingHost,
          item,
          { receiveCount: message.receiveCount },
          { workQueue, suspendAtReceive: QUEUES.work.maxReceiveCount - 1 },
        ).catch(() => ({ ack: false as const }));
        if (handled.ack)
          await this.scheduler
            .call(actor, `work.delete ${short(item.instanceId)}`, async () => this.workQueue.delete(message.messageId))
            .catch(() => undefined);
      }),
    ).finally(end);
  }

  #clientSend(): void {
    const send = this.workload.sends[this.#clientIndex++]!;
    const id = this.receiveQueue.send(this.scheduler.now, send.body, { MessageType: send.type });
    this.scheduler.log.push(`${this.#time()} client sends ${send.type} ${id} ${send.body.slice(0, 60)}`);
  }

  /** ApprovalRequests a person will answer now. */
  #answerable(): string[] {
    const out: string[] = [];
    for (const [, m] of this.sendQueue.sent) {
      if (m.attributes.MessageType !== 'ApprovalRequest') continue;
      const { orderId } = JSON.parse(m.body) as { orderId: string };
      const answer = this.workload.answers.get(orderId);
      if (!answer || this.#answered.has(orderId) || m.at + answer.afterMs > this.scheduler.now) continue;
      out.push(orderId);
    }
    return out;
  }

  #answer(): void {
    const orderId = this.#answerable()[0]!;
    this.#answered.add(orderId);
    const answer = this.workload.answers.get(orderId)!;
    const id = this.receiveQueue.send(this.scheduler.now, JSON.stringify({ orderId, approved: answer.approved }), {
      MessageType: 'Approval',
    });
    this.scheduler.log.push(`${this.#time()} person answers ${orderId} ${answer.approved ? 'yes' : 'no'} (${id})`);
  }

  /** The tracking function: the stream's records in order, each retried up to five times, then given up (history lost). */
  #trackingBusy = false;
  #track(): void {
    const { change, origin } = this.box.stream[this.#tracked]!;
    this.#trackingBusy = true;
    const history: HistoryStore = this.history;
    // Started, not awaited: its call completes as a later event, like every other.
    void this.scheduler
      .call(
        this.#tracking,
        `track ${change.kind} ${origin}`,
        () => history.record(track(change), origin),
        !this.#stormOver,
      )
      .then(
        () => {
          this.#tracked++;
          this.#trackingAttempts = 0;
        },
        () => {
          if (++this.#trackingAttempts <= 5) return;
          this.oracle.historyLost(origin, change);
          this.#tracked++;
          this.#trackingAttempts = 0;
        },
      )
      .finally(() => {
        this.#trackingBusy = false;
      });
  }
  readonly #tracking: Actor = { name: 'tracking', dead: false, skewMs: 0 };

  #sweeping = false;
  readonly #sweeper: Actor = { name: 'sweeper', dead: false, skewMs: 0 };
  #sweep(): void {
    this.#lastSweep = this.scheduler.now;
    this.#sweeping = true;
    this.scheduler.log.push(`${this.#time()} sweeper wakes`);
    const store = this.box.portFor(this.#sweeper, this.scheduler);
    void sweep(
      { store, workQueue: this.#workQueuePort(this.#sweeper), clock: this.scheduler.clockOf(this.#sweeper) },
      { staleAfterMs: OWNERSHIP.sweepStaleAfterMs, lease: LEASE },
    )
      .catch(() => undefined)
      .finally(() => {
        this.#sweeping = false;
      });
  }

  /**
   * Finished instances past their retention, looked for at most once a simulated hour (TTL takes its time anyway, and
   * the look reads every item).
   */
  #expiringAt = START;
  #expiringNow: string[] = [];
  #expiring(): string[] {
    if (this.scheduler.now >= this.#expiringAt) {
      this.#expiringNow = this.box.expired(this.scheduler.now, RETENTION_MS);
      this.#expiringAt = this.scheduler.now + 3_600_000;
    }
    return this.#expiringNow;
  }

  #expire(): void {
    // Still there and still past its retention (a retire renews it).
    const still = (id: string) => {
      const at = this.box.inner.expiresAt(id);
      return at !== undefined && at + RETENTION_MS < this.scheduler.now;
    };
    const expired = this.#expiringNow.filter(still);
    this.#expiringNow = expired;
    if (expired.length === 0) return;
    const id = this.#choices.one(expired);
    this.scheduler.log.push(`${this.#time()} TTL deletes ${short(id)}`);
    this.box.inner.items.delete(id);
  }

  /**
   * What an operator does with what is suspended, through the console's own operations: discard a message, resubmit it
   * (an edited body for a charge that failed its schema), or resubmit it twice at once (a double click, two operators),
   * and resume a suspended instance. Each record is acted on once; its resubmission, suspended in its turn, is another.
   */
  readonly #actedOn = new Set<string>();
  readonly #resumed = new Map<string, number>();
  readonly #sentAgain = new Set<string>();
  #operations(actor: Actor, faultable: boolean): Operations {
    const s = this.scheduler;
    const store = this.box.portFor(actor, s, faultable);
    const host = new ProcessingHost({
      registry: this.registry,
      store,
      sendPort: this.#sendPort(actor),
      workQueue: this.#workQueuePort(actor),
      timers: this.#timers(actor),
      clock: s.clockOf(actor),
      lease: LEASE,
      hostId: 'operator',
      newId: () => `${actor.name}-${++this.#ids}`,
    });
    const queues = {
      send: (name: string, body: string, attributes: Readonly<Record<string, string>>) =>
        s.call(
          actor,
          `operator.send ${name} ${attributes[RESUBMISSION_ID] ?? ''}`,
          async () => {
            const id = this.receiveQueue.send(s.now, body, attributes);
            s.log.push(
              `${this.#time()} ${actor.name} sends ${attributes.MessageType} ${id} (resubmission ${attributes[RESUBMISSION_ID]} of ${attributes[RESUBMITTED_FROM]})`,
            );
            return id;
          },
          faultable,
        ),
    } as unknown as OperatorQueues;
    const audit = { record: async () => {}, recent: async () => [] } as unknown as AuditTrail;
    return new Operations({
      store: Object.assign(store, { countByStatus: async () => ({}) }),
      history: this.history,
      admin: host,
      queues,
      audit,
      operator: actor.name,
      now: () => s.now,
      newId: () => `resubmission-${++this.#ids}`,
    });
  }

  /** An operator's action on one suspended message, chosen by the run. */
  #actOn(messageId: string, faultable: boolean): void {
    const record = this.box.inner.suspended.get(messageId)!;
    this.#actedOn.add(messageId);
    const choice = this.#choices.pick(4);
    const operator: Actor = { name: `operator-${this.#actedOn.size}`, dead: false, skewMs: 0 };
    const ops = this.#operations(operator, faultable);
    const log = (what: string) =>
      this.scheduler.log.push(`${this.#time()} ${operator.name} ${what} ${messageId} (${record.reason.slice(0, 70)})`);
    if (choice === 0) {
      log('discards');
      void ops.discard(messageId, 'seen').catch(() => undefined);
      return;
    }
    // A charge that failed its schema is sent again mended; anything else as it came.
    const mended =
      record.attributes.MessageType === 'ChargeRequest' && /does not match its schema/.test(record.reason)
        ? { body: JSON.stringify({ chargeId: `${messageId}-mended`, amount: 1 }) }
        : {};
    log(choice === 2 ? 'resubmits twice at once' : 'resubmits');
    void ops.resubmit(messageId, mended).catch(() => undefined);
    if (choice === 2)
      void this.#operations({ ...operator, name: `${operator.name}b` }, faultable)
        .resubmit(messageId, mended)
        .catch(() => undefined);
  }

  /**
   * After the storm, when nothing but the sweeper will happen by itself: what an operator does (redrive the dead-letter
   * queues, resume the suspended instances, act on the suspended messages, send again a resubmission that never
   * arrived) and, once the world is `still` (not even a sweep due), an order placed again under an id whose instance
   * has expired. Returns whether it started anything.
   */
  #heal(still: boolean): boolean {
    const acted = this.#operatorHeals();
    if (acted || still) this.#healedAt = Math.max(this.#healedAt, this.scheduler.now);
    return acted || (still && this.#placeReused());
  }

  #operatorHeals(): boolean {
    const s = this.scheduler;
    // The receive queue's dead letters need none: the receive hosts read its dead-letter queue.
    const redriven = this.workQueue.redrive(s.now);
    if (redriven > 0) {
      s.log.push(`${this.#time()} operator redrives ${redriven} dead letter(s)`);
      return true;
    }
    let acted = false;
    for (const state of this.box.states().filter((st) => st.status === 'suspended')) {
      const times = this.#resumed.get(state.instanceId) ?? 0;
      if (times >= 3) continue;
      this.#resumed.set(state.instanceId, times + 1);
      s.log.push(`${this.#time()} operator resumes ${short(state.instanceId)} (${state.error?.reason.slice(0, 80)})`);
      void this.#operations({ name: 'operator', dead: false, skewMs: 0 }, false)
        .act('resume', [state.instanceId])
        .catch(() => undefined);
      acted = true;
    }
    for (const [messageId, record] of this.box.inner.suspended) {
      if (!record.resolution && !this.#actedOn.has(messageId)) {
        this.#actOn(messageId, false);
        acted = true;
      }
      // A resubmission claimed and never sent (the send failed, or the operator's process died): sent again, once.
      const id = record.resolution?.kind === 'resubmitted' ? record.resolution.resubmittedAs : undefined;
      if (id && !this.#sentAgain.has(messageId) && !this.box.taken.has(id) && !this.box.inner.suspended.has(id)) {
        this.#sentAgain.add(messageId);
        s.log.push(`${this.#time()} operator sends again the resubmission of ${messageId}`);
        void this.#operations({ name: 'operator', dead: false, skewMs: 0 }, false)
          .sendAgain(messageId)
          .catch(() => undefined);
        acted = true;
      }
    }
    return acted;
  }

  /** Orders placed again, once, days later, under ids whose instances have expired meanwhile (a convoy made again). */
  #placeReused(): boolean {
    const s = this.scheduler;
    if (!this.#reusedSent && this.workload.reused.length > 0) {
      this.#reusedSent = true;
      s.now += RETENTION_MS + 86_400_000;
      s.log.push(`${this.#time()} ${MESSAGEBOX.finishedRetentionDays + 1} days later`);
      this.#healedAt = s.now;
      for (const orderId of this.workload.reused) {
        const body = JSON.stringify({ orderId, customerId: 'again', lines: [{ sku: 'A', qty: 2, unitPrice: 3 }] });
        const id = this.receiveQueue.send(s.now, body, { MessageType: 'Order' });
        s.log.push(`${this.#time()} client sends Order ${id} again for ${orderId}`);
      }
      return true;
    }
    return false;
  }

  #nothingInFlight(): boolean {
    return (
      this.scheduler.calls.length === 0 &&
      this.hosts.every((h) => h.batches === 0) &&
      this.#tracked >= this.box.stream.length
    );
  }

  /**
   * When something will next happen by itself (a timer, a message becoming visible, a client, a sweep unless not
   * `sweeps`), if anything will.
   */
  #nextAt(sweeps = true): number | undefined {
    const s = this.scheduler;
    const times = [
      s.nextTimerAt(),
      this.receiveQueue.nextVisibleAt(),
      this.receiveDlq.nextVisibleAt(),
      this.workQueue.nextVisibleAt(),
    ];
    const client = this.workload.sends[this.#clientIndex];
    if (client) times.push(START + client.at);
    for (const [, m] of this.sendQueue.sent) {
      if (m.attributes.MessageType !== 'ApprovalRequest') continue;
      const { orderId } = JSON.parse(m.body) as { orderId: string };
      const answer = this.workload.answers.get(orderId);
      if (answer && !this.#answered.has(orderId)) times.push(m.at + answer.afterMs);
    }
    // Expiries are looked at when the world is otherwise still: only those already due.
    const known = times.filter((t): t is number => t !== undefined);
    // The sweeper runs while anything is still unfinished (a lost wake-up is what it is for).
    if (sweeps && this.box.states().some((st) => st.status === 'running' || st.status === 'waiting'))
      known.push(this.#lastSweep + SWEEP_EVERY_MS);
    return known.length === 0 ? undefined : Math.min(...known);
  }

  #time(): string {
    return `t+${((this.scheduler.now - START) / 1000).toFixed(3)}s`;
  }
}
