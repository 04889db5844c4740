/**
 * Reads a MessageBox stream record (DynamoDB Streams, NEW_AND_OLD_IMAGES) as the change it is (core/tracking.ts):
 * an instance item, an inbox item or a suspended-message item. Items of other kinds (none today) are no change
 * to track. Claim-checked values (claim-check.ts) are read back from the object store first.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { InboundMessage } from '../core/message.ts';
import type { Change } from '../core/tracking.ts';
import { fromItem, inboxText, suspendedFromItem } from './dynamodb/items.ts';
import { withClaimedValues, type PayloadStore } from './claim-check.ts';
import type { Item } from './item.ts';

type Image = Record<string, AttributeValue>;

/** The part of a stream record read here: the same in a Lambda event and in a GetRecords reply. */
export interface StreamRecordLike {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: number | Date;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
  };
}

/** The record's item before and after the change, as stored (claim-checked values by their keys). */
export function imagesOf(record: StreamRecordLike): { before?: Item; after?: Item } {
  const data = record.dynamodb ?? {};
  return {
    after: data.NewImage ? unmarshall(data.NewImage as Image) : undefined,
    before: data.OldImage ? unmarshall(data.OldImage as Image) : undefined,
  };
}

/** @throws PayloadMissing when a claim-checked value of the record is no longer in the object store. */
export async function changeOf(record: StreamRecordLike, payloads?: PayloadStore): Promise<Change | undefined> {
  const data = record.dynamodb ?? {};
  const created = data.ApproximateCreationDateTime;
  // Seconds in the service's records (a fraction in the embedded stack's); a Date once the SDK has parsed it.
  const at =
    created instanceof Date ? created.getTime() : typeof created === 'number' ? Math.round(created * 1000) : Date.now();
  const { before, after } = imagesOf(record);
  const item = after ?? before;
  if (!item) return undefined;
  const pk = String(item.pk);
  const sk = String(item.sk);
  // Claim-checked values are read only for the changes tracked, and once for both images when they share a key (a
  // claim, a lease renewed, a dispatch marked: the state is the same).
  const whole = (image: Item) => withClaimedValues(image, payloads);
  if (pk.startsWith('I#') && sk === 'STATE') {
    const sameState = before?.zref !== undefined && before.zref === after?.zref;
    const [wholeBefore, wholeAfter] = sameState
      ? await whole(after!).then((w) => [{ ...before!, z: w.z, zref: undefined }, w])
      : await Promise.all([before && whole(before), after && whole(after)]);
    return {
      kind: 'instance',
      at,
      before: wholeBefore ? fromItem(wholeBefore) : undefined,
      after: wholeAfter ? fromItem(wholeAfter) : undefined,
    };
  }
  if (pk.startsWith('I#') && sk.startsWith('MSG#') && after && !before) {
    // What tracking says of a delivery is in its head (no body to read, even from the claim check); older items have none.
    const message =
      typeof after.head === 'string'
        ? { ...JSON.parse(after.head), body: undefined }
        : JSON.parse(inboxText(await whole(after)));
    return { kind: 'delivery', at, instanceId: pk.slice(2), message: message as InboundMessage };
  }
  if (pk.startsWith('M#') && sk === 'SUSPENDED' && after) {
    if (!before) return { kind: 'suspended-message', at, message: suspendedFromItem(await whole(after)) };
    if (after.resolution && !before.resolution)
      return { kind: 'message-resolved', at, message: suspendedFromItem(await whole(after)) };
  }
  return undefined;
}
