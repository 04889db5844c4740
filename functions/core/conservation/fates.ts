/** Where one delivery of a message ended, or why it has not. */
export type Fate =
  | {
      readonly kind: 'taken';
      readonly by: string;
      readonly at?: number;
      readonly host?: string;
      readonly evidence: 'history' | 'messagebox';
    }
  | { readonly kind: 'suspended'; readonly reason: string }
  | { readonly kind: 'discarded'; readonly by: string; readonly at: number; readonly reason?: string }
  | { readonly kind: 'resubmitted'; readonly as: string; readonly by: string; readonly at: number }
  /** No end yet, and one may still come (only when the run is not over: see `AccountingOptions.final`). */
  | { readonly kind: 'open'; readonly why: string }
  | { readonly kind: 'unaccounted'; readonly why: string };

export type FateKind = Fate['kind'];

/** One message to one subscriber (or to none, when it could not be routed: then it must be suspended). */
export interface Delivery {
  readonly messageId: string;
  /** The instance the message was routed to; absent when it was routed nowhere (unreadable, untyped, invalid, unrouted). */
  readonly to?: string;
  readonly fate: Fate;
}

export interface MessageAccount {
  readonly messageId: string;
  readonly messageType?: string;
  /** The suspended message an operator resubmitted as this one. */
  readonly resubmittedFrom?: string;
  readonly deliveries: readonly Delivery[];
}

export interface Accounting {
  /** The messages given, then those they were resubmitted as, each once. */
  readonly messages: readonly MessageAccount[];
  /** Deliveries that reached no end (and, when the run is over, never will), each with why. */
  readonly unaccounted: readonly Delivery[];
  /** Deliveries on their way (never when `final`). */
  readonly open: readonly Delivery[];
  /** Deliveries by fate. */
  readonly fates: Readonly<Record<FateKind, number>>;
}
