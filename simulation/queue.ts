import type { Choices } from './choices.ts';

/** A message as the simulated queue keeps it. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** Receives so far (SQS's ApproximateReceiveCount once received). */
  receiveCount: number;
  /** Not receivable before this (a delay, or the visibility timeout of a receive). */
  visibleAt: number;
  /** Changes with each receive: a delete with an older one is a late delete of an earlier receive. */
  receipt: number;
}

/**
 * An SQS standard queue as the processing and receive hosts meet it: at least once (a receive may, now and then, hand
 * out a message another receive holds), in no particular order, a visibility timeout per receive, delays, and a
 * dead-letter queue after `maxReceiveCount` receives.
 */
export class SimQueue {
  readonly name: string;
  readonly messages: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  /** Every message ever sent to it, by id (what a run's oracle looks at). */
  readonly sent = new Map<string, { body: string; attributes: Readonly<Record<string, string>>; at: number }>();
  readonly #visibilityMs: number;
  readonly #maxReceiveCount: number;
  #ids = 0;
  #receipts = 0;

  /** Where a message past its receive limit goes when a host reads that queue too (the receive queue's); else `deadLetters`. */
  readonly #deadLetterQueue: SimQueue | undefined;

  constructor(name: string, options: { visibilityMs: number; maxReceiveCount: number; deadLetterQueue?: SimQueue }) {
    this.name = name;
    this.#visibilityMs = options.visibilityMs;
    this.#maxReceiveCount = options.maxReceiveCount;
    this.#deadLetterQueue = options.deadLetterQueue;
  }

  send(now: number, body: string, attributes: Readonly<Record<string, string>> = {}, delayMs = 0): string {
    const messageId = `${this.name}-${++this.#ids}`;
    this.messages.push({ messageId, body, attributes, receiveCount: 0, visibleAt: now + delayMs, receipt: 0 });
    this.sent.set(messageId, { body, attributes, at: now });
    return messageId;
  }

  /** Whether a receive now would get something. */
  ready(now: number): boolean {
    return this.messages.some((m) => m.visibleAt <= now);
  }

  /**
   * Up to `max` messages visible now, in an order the run chooses; each is hidden for the visibility timeout. Past its
   * receive limit a message goes to the dead-letter queue instead. Rarely, a message held by another receive comes too.
   */
  receive(
    now: number,
    max: number,
    choices: Choices,
    duplicateRate: number,
  ): { message: QueuedMessage; receipt: number }[] {
    const visible = this.messages.filter((m) => m.visibleAt <= now);
    const held = this.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0);
    if (held.length > 0 && choices.chance(duplicateRate)) visible.push(choices.one(held));
    const got: { message: QueuedMessage; receipt: number }[] = [];
    while (visible.length > 0 && got.length < max) {
      const [message] = visible.splice(choices.pick(visible.length), 1);
      if (message!.receiveCount >= this.#maxReceiveCount) {
        this.messages.splice(this.messages.indexOf(message!), 1);
        if (this.#deadLetterQueue)
          this.#deadLetterQueue.messages.push({ ...message!, receiveCount: 0, visibleAt: now, receipt: 0 });
        else this.deadLetters.push(message!);
        continue;
      }
      message!.receiveCount++;
      message!.visibleAt = now + this.#visibilityMs;
      message!.receipt = ++this.#receipts;
      got.push({ message: message!, receipt: message!.receipt });
    }
    return got;
  }

  /** Deletes a received message (whichever receive it came from: SQS takes a late receipt handle too). */
  delete(messageId: string): void {
    const i = this.messages.findIndex((m) => m.messageId === messageId);
    if (i >= 0) this.messages.splice(i, 1);
  }

  /** Puts dead letters back (an operator's redrive). */
  redrive(now: number): number {
    const moved = this.deadLetters.splice(0);
    for (const m of moved) this.messages.push({ ...m, receiveCount: 0, visibleAt: now });
    return moved.length;
  }

  /** When the next message becomes visible, if any is waiting. */
  nextVisibleAt(): number | undefined {
    return this.messages.length === 0 ? undefined : Math.min(...this.messages.map((m) => m.visibleAt));
  }
}
