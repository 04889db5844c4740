/**
 * The claim check (Hohpe and Woolf's pattern, and AWS's answer for SQS): a value too large for a MessageBox item is
 * kept in an object store (S3 on AWS, the embedded stack's S3 locally), and the item keeps its key.
 *
 * Which values: the engine state of an instance item, the message of an inbox item and the body of a suspended
 * message (and the edited body it was resubmitted with), each once it passes `fromBytes` as stored. The default, 64 KiB, comes from the item budget and the bill:
 * DynamoDB takes 400 KB an item (a state must leave room for the attributes beside it, and a suspended message for its
 * reason and issues), and a write costs a unit per KB, so a 64 KB state costs 64 units ($40 per million commits)
 * where an S3 PUT and GET cost $5.40 per million; below it the item is cheaper and one request faster.
 *
 * Keys never name two contents (each ends with a digest of the bytes), so a write retried after a crash rewrites the
 * same object and a host that lost its lease cannot overwrite the object of the one that took it over: an instance's
 * state under its revision, a message under its id. Objects are written before the item that refers to them, and
 * deleted (by the tracking function, from the MessageBox's stream) once no item refers to them; a write that lost its
 * condition deletes its own, unless the item that won refers to the same key.
 */
import { createHash } from 'node:crypto';
import { CLAIM_CHECK } from '../settings.ts';
import type { Item } from './item.ts';

export interface PayloadStore {
  /** Writes (or rewrites, with the same bytes) one object. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** @throws PayloadMissing when there is no such object. */
  get(key: string): Promise<Uint8Array>;
  /** Deletes the objects; keys with no object are no error. */
  delete(keys: readonly string[]): Promise<void>;
}

export interface ClaimCheck {
  readonly payloads: PayloadStore;
  /** A value of more bytes than this, as stored, is claim-checked. */
  readonly fromBytes: number;
}

export const DEFAULT_CLAIM_CHECK_FROM_BYTES = 64 * 1024;

/** Each kind under its own prefix: the functions are granted each only the prefixes they use (ClaimCheck.ts). */
export const payloadKeys = {
  state: (instanceId: string, revision: number, bytes: Uint8Array) =>
    `${CLAIM_CHECK.statePrefix}${safe(instanceId)}/${revision}-${digest(bytes)}`,
  inbox: (instanceId: string, messageId: string, bytes: Uint8Array) =>
    `${CLAIM_CHECK.inboxPrefix}${safe(instanceId)}/${safe(messageId)}-${digest(bytes)}`,
  suspended: (messageId: string, bytes: Uint8Array) =>
    `${CLAIM_CHECK.suspendedPrefix}${safe(messageId)}-${digest(bytes)}`,
  /** The body an operator edited before resubmitting a suspended message, beside the message's own. */
  resubmitted: (messageId: string, bytes: Uint8Array) =>
    `${CLAIM_CHECK.suspendedPrefix}${safe(messageId)}-resubmitted-${digest(bytes)}`,
};

/** The item attributes that hold a claim check's key, by the attribute whose value they stand for. */
export const CLAIMED = { z: 'zref', message: 'messageRef', body: 'bodyRef', edited: 'editedRef' } as const;

/** The keys an item refers to. */
export function claimedKeys(item: Record<string, unknown> | undefined): string[] {
  if (!item) return [];
  return Object.values(CLAIMED)
    .map((attribute) => item[attribute])
    .filter((key): key is string => typeof key === 'string');
}

/** Objects an item referred to before a change and no longer does after it (all of them when it was deleted). */
export function releasedKeys(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const kept = new Set(claimedKeys(after));
  return claimedKeys(before).filter((key) => !kept.has(key));
}

/**
 * The item as it would be without the claim check: each claimed value read back in place of its key. An item with
 * nothing claim-checked is returned as it is, without a request.
 */
export async function withClaimedValues(item: Item, payloads: PayloadStore | undefined): Promise<Item> {
  // A value kept in the item wins over a key beside it: a host of an earlier version, still running during an upgrade,
  // commits `z` without removing `zref`, and its state is the newer one.
  const claimed = Object.entries(CLAIMED).filter(
    ([attribute, ref]) =>
      typeof item[ref] === 'string' && item[attribute] === undefined && !(attribute === 'z' && item.doc !== undefined),
  );
  if (claimed.length === 0) return item;
  if (!payloads)
    throw new Error(
      `item ${String(item.pk)} / ${String(item.sk)} has claim-checked values (${claimed.map(([, ref]) => item[ref]).join(', ')}) and no object store is configured (BATON_CLAIM_CHECK_BUCKET)`,
    );
  const whole = { ...item };
  await Promise.all(
    claimed.map(async ([attribute, ref]) => {
      const bytes = await payloads.get(item[ref]);
      // The state stays bytes (brotli); a message and a body are text.
      whole[attribute] = attribute === 'z' ? bytes : Buffer.from(bytes).toString('utf8');
      delete whole[ref];
    }),
  );
  return whole;
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** Ids are the engine's (UUIDs, names with `~`) or SQS's: kept readable, anything unusual in a key escaped. */
function safe(id: string): string {
  return encodeURIComponent(id);
}

/** Where the MessageBox's own objects live; every one of them is some item's (unlike `inbound/` and `outbound/`). */
export const ITEM_PREFIXES = ['state/', 'inbox/', 'suspended/'] as const;

/**
 * How long an object may be no item's: one written for an item not yet written (each object goes first), or one an
 * item let go of (the tracking function deletes it after the stream batch with that change). Checked once tracking has
 * caught up with the stream, an object older than this that no item refers to was left behind.
 */
export const UNREFERENCED_OBJECT_BOUND_MS = 60_000;

export interface StoredObject {
  readonly key: string;
  /** When it was last written (epoch ms). */
  readonly at: number;
}

/**
 * The claim check's side of conservation: every object under the MessageBox's prefixes is referred to by an item, or
 * is younger than `boundMs` (see UNREFERENCED_OBJECT_BOUND_MS); and every key an item refers to has its object.
 * `objects` is the bucket's listing, `referenced` the keys items hold (`claimedKeys` of each), both read after the
 * tracking function caught up.
 */
export function unaccountedObjects(
  objects: readonly StoredObject[],
  referenced: ReadonlySet<string>,
  options: { readonly now: number; readonly boundMs?: number },
): { leaked: StoredObject[]; dangling: string[] } {
  const bound = options.boundMs ?? UNREFERENCED_OBJECT_BOUND_MS;
  const ours = objects.filter((o) => ITEM_PREFIXES.some((prefix) => o.key.startsWith(prefix)));
  const stored = new Set(objects.map((o) => o.key));
  return {
    leaked: ours.filter((o) => !referenced.has(o.key) && options.now - o.at > bound),
    dangling: [...referenced].filter((key) => !stored.has(key)),
  };
}
