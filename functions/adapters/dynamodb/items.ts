/**
 * How the MessageBox's items are laid out and read: keys, shards, an instance's state packed (compressed once large
 * enough), a suspended message as an item. Each concern's adapter is in this folder (DynamoDb<Port>.ts).
 */
/*
 * Item layout (single table):
 *   I#<instanceId> / STATE      one item per instance; the engine state as JSON, in `doc`, or brotli-compressed
 *                               in `z` once it is large enough for that to pay (see `packState`); the attributes
 *                               beside it are what conditions and indexes need.
 *   I#<instanceId> / MSG#<id>  a message delivered to the instance, held until a receive takes it;
 *   I#<instanceId> / TOOK#<id> once taken, what is left of it (see DynamoDbInbox): the inbox holds only what waits.
 *   I#<instanceId> / LOCK#<name> a synchronized scope's lock, shared by the instance's branches (see DynamoDbLocks).
 *   M#<messageId>  / SUSPENDED  a message that could not become an instance.
 *   SWEEP#<shard>  / CURSOR     how far the sweeper has passed over a shard of the due index.
 * With a claim check configured, the state of an instance item (`zref` for `z`), the message of an inbox item
 * (`messageRef`) and the body of a suspended message (`bodyRef`) are kept in the object store once they are large
 * (see claim-check.ts); every read here puts them back, so nothing above the store sees the difference.
 * The status index is sparse: only instances an operator lists by status carry gsi1pk (dehydrated ones, waiting for
 * a message or a timer, and suspended ones; see `statusIndexed`), sharded so no index partition takes every write,
 * and sorted by creation, so a commit that keeps the status writes nothing to it. The due index is sparse too: an
 * instance carries duePk/dueAt only while something about it is due at a time (core/due.ts), which is all the sweeper
 * reads; running instances and joins are listed from it. Each change of an index key costs two index writes: the
 * bench measures what the sample's orchestrations write to them per persistence point (docs/benchmarks.md).
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { atJoin, dueOf } from '../../core/due.ts';
import { InstanceStatus, TERMINAL_STATUSES, type InstanceState, type SuspendedMessage } from '../../core/instance.ts';
import { MESSAGEBOX } from '../../settings.ts';
import { CLAIMED } from '../claim-check.ts';
import type { Item } from '../item.ts';

export const STATE = 'STATE';
export const INBOX = 'MSG#';
export const TAKEN = 'TOOK#';
export const LOCK = 'LOCK#';
export const SUSPENDED = 'SUSPENDED';

export type Doc = Omit<
  InstanceState,
  'revision' | 'lease' | 'status' | 'dispatchedRevision' | 'attempts' | 'awaitsRetire'
>;

/**
 * Whether an instance is in the status index: suspended, or dehydrated waiting for a message or a timer. Not while
 * running (seconds, usually: it is in the due index) nor at a join (its branches run; it is in the due index too).
 */
export function statusIndexed(state: InstanceState): boolean {
  return state.status === InstanceStatus.Suspended || (state.status === InstanceStatus.Waiting && !atJoin(state));
}

/**
 * Where an inbox item keeps a message too large to be listed (LISTED_MESSAGE_BYTES) and not claim-checked: beside the
 * small ones' `message`, so a listing can leave it out.
 */
export const LARGE_MESSAGE = 'large';

/** The message an inbox item holds, as JSON text: small ones in `message`, large ones in `large` (or, read back, the claim check's). */
export function inboxText(item: Item): string {
  return String(item.message ?? item[LARGE_MESSAGE]);
}

export function renamed(values: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  if (!(from in values)) return values;
  const { [from]: value, ...rest } = values;
  return { ...rest, [to]: value };
}

/** How many due-index entries a count of running instances reads at most (each is an item read). */
export const IN_FLIGHT_COUNTED = 2_000;

/**
 * Whether an item of the due index is an instance listed as `status` from there: running, or waiting at a join. A
 * waiting instance is in the status index unless it waits at a join (see `statusIndexed`), so its item says which
 * without its state.
 */
export function inFlightAs(item: Item, status: InstanceStatus): boolean {
  return (
    item.status === status &&
    (status === InstanceStatus.Running || (status === InstanceStatus.Waiting && item.gsi1pk === undefined))
  );
}

/**
 * A suspended-message record as the engine knows it (the item's keys and index attributes left out); a body left in the
 * claim check (the item not read whole) is empty, with its key.
 */
export function suspendedFromItem(item: Item): SuspendedMessage {
  const unread = item.body === undefined && typeof item[CLAIMED.body] === 'string';
  // The edited body a resubmission went with is kept beside the resolution (read unless the item was not read whole).
  const resolution = item.resolution && {
    ...item.resolution,
    ...(typeof item.edited === 'string' ? { body: item.edited } : {}),
  };
  return {
    messageId: item.messageId,
    reason: item.reason,
    body: unread ? '' : item.body,
    ...(unread ? { bodyRef: item[CLAIMED.body] as string } : {}),
    attributes: item.attributes ?? {},
    receivedAt: item.receivedAt,
    source: item.source,
    ...(item.issues ? { issues: item.issues } : {}),
    ...(item.takenBy ? { takenBy: item.takenBy } : {}),
    ...(item.keys ? { keys: item.keys } : {}),
    ...(resolution ? { resolution } : {}),
  };
}

export function instanceKey(instanceId: string): string {
  return `I#${instanceId}`;
}

/** A correlation value initialized at a send: `C#<orchestration>#<set>#<value>` / `CORRELATION`, naming its owner. */
export const CORRELATION = 'CORRELATION';
export function correlationKey(key: { orchestration: string; set: string; value: string }): string {
  return `C#${key.orchestration}#${key.set}#${key.value}`;
}

/**
 * When a correlation value's item expires (DynamoDB TTL, epoch seconds): a year after it was initialized. Its owner
 * may wait that long for the answer; a value looked up after it expired is held, then suspended, as one never
 * initialized.
 */
export function correlationExpiry(from: number): number {
  return Math.floor(from / 1000) + 365 * 86_400;
}

export function shardOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % MESSAGEBOX.statusShards;
}

export function dueKey(id: string): string {
  return `DUE#${shardOf(id)}`;
}

export function statusKey(status: string, id: string): string {
  return `STATUS#${status}#${shardOf(id)}`;
}

export function sortKey(time: number, id: string): string {
  return `${String(time).padStart(15, '0')}#${id}`;
}

export function toItem(state: InstanceState): Item {
  const {
    revision,
    lease,
    status,
    trace,
    dispatchedRevision: _kept,
    attempts: _counted,
    awaitsRetire: _read,
    ...doc
  } = state;
  const indexed = statusIndexed(state);
  const finished = TERMINAL_STATUSES.has(status);
  const due = dueOf(state);
  return {
    pk: instanceKey(state.instanceId),
    sk: STATE,
    rev: revision,
    status,
    ...packState(doc),
    updatedAt: state.updatedAt,
    // Beside the doc so a delivery can name the incarnation it goes to with a small read (see summaryOf).
    createdAt: state.createdAt,
    // Beside the doc, so the sweeper's wake-up continues the instance's trace from the few attributes it reads.
    trace,
    leaseOwner: lease?.owner,
    leaseExp: lease?.expiresAt,
    gsi1pk: indexed ? statusKey(status, state.instanceId) : undefined,
    // By creation, which never changes: a commit that keeps the status does not move the entry.
    gsi1sk: indexed ? sortKey(state.createdAt, state.instanceId) : undefined,
    // A finished branch instance expires like any other: its join, while it waits, keeps those that ended from expiring
    // (ProcessingHost, when the sweeper wakes the join).
    ttl: finished ? expiry(state.updatedAt) : undefined,
    duePk: due ? dueKey(state.instanceId) : undefined,
    dueAt: due?.at,
    joinOf: due?.joinOf,
  };
}

/** When a finished instance expires (DynamoDB TTL, epoch seconds): the retention counted from `from`. */
export function expiry(from: number): number {
  return Math.floor(from / 1000) + MESSAGEBOX.finishedRetentionDays * 86_400;
}

/**
 * The engine state as stored. A write costs one unit per KB of the larger of the item before and after it, and the
 * state's JSON (names repeated, bodies, ids) is most of the item: brotli at a low quality takes the sample's
 * 1–2.5 KB states to 0.5–0.7 KB in about 0.03 ms, so most persistence points write one unit instead of two or three.
 * (Quality 5 saved some 15% more bytes for twice the time; a unit is a KB, so the bytes past the first mostly count.)
 * Below COMPRESS_FROM the item fits a unit anyway, and the JSON stays readable in the table.
 */
export const COMPRESS_FROM = 512;

export function packState(doc: Doc): { doc?: string; z?: Uint8Array } {
  const json = JSON.stringify(doc);
  if (json.length < COMPRESS_FROM) return { doc: json };
  const z = compress(json);
  return z.length < Buffer.byteLength(json) ? { z } : { doc: json };
}

export function compress(json: string): Uint8Array {
  return brotliCompressSync(json, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 2,
      // A 64 KiB window, not 4 MiB: a state is a few KB, and the encoder's setup for the larger one cost more than
      // compressing it (0.08 ms against 0.05 ms for a 2.7 KB state, the same size out). Any window decodes.
      [zlib.BROTLI_PARAM_LGWIN]: 16,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(json),
    },
  });
}

/**
 * The engine state of an item in either form: `z` (compressed) or `doc` (plain JSON, and every item written before
 * compression existed: a running instance survives the upgrade). `z` arrives as bytes from the SDK, and as base64
 * text in a Lambda's stream event.
 */
export function unpackState(item: Item): Doc {
  if (item.z === undefined) return JSON.parse(item.doc) as Doc;
  const bytes = typeof item.z === 'string' ? Buffer.from(item.z, 'base64') : item.z;
  return JSON.parse(brotliDecompressSync(bytes).toString('utf8')) as Doc;
}

export function fromItem(item: Item): InstanceState {
  const doc = unpackState(item);
  return {
    ...doc,
    // In the doc on items written before it had an attribute of its own.
    ...(typeof item.trace === 'string' ? { trace: item.trace } : {}),
    status: item.status,
    revision: Number(item.rev),
    dispatchedRevision: item.dispatchedRev === undefined ? undefined : Number(item.dispatchedRev),
    attempts: item.attempts === undefined ? undefined : Number(item.attempts),
    lease: item.leaseOwner === undefined ? undefined : { owner: item.leaseOwner, expiresAt: Number(item.leaseExp) },
    // Written by a version that kept finished branch instances from expiring until their join retired them.
    ...(doc.branchOf && TERMINAL_STATUSES.has(item.status) && item[MESSAGEBOX.ttlAttribute] === undefined
      ? { awaitsRetire: true }
      : {}),
  };
}
