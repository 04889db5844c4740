import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { LISTED_MESSAGE_BYTES, type InboundMessage, type InboxEntry } from '../../core/message.ts';
import type { Inbox } from '../../core/ports.ts';
import { MESSAGEBOX } from '../../settings.ts';
import { PayloadMissing } from '../../core/errors.ts';
import { CLAIMED, payloadKeys } from '../claim-check.ts';
import type { Item } from '../item.ts';
import { itemIsNew } from './conditions.ts';
import type { DynamoDbDueIndex } from './DynamoDbDueIndex.ts';
import { INBOX, LARGE_MESSAGE, TAKEN, inboxText, instanceKey, renamed } from './items.ts';
import type { MessageBoxTable } from './table.ts';

/** SQS keeps a message at most 14 days: past that (and a day's margin) no copy of a settled one can come back. */
const SETTLED_RECORD_SECONDS = 15 * 86_400;

/**
 * Inboxes: `I#<instanceId>` / `MSG#<messageId>` for a message delivered and not yet taken, `TOOK#<messageId>` for what
 * is left of one once taken (see `settle`), so the inbox holds only what waits. A delivery makes a waiting instance due
 * (the due index), so a lost wake-up is found.
 */
export class DynamoDbInbox implements Inbox {
  readonly #table: MessageBoxTable;
  readonly #due: DynamoDbDueIndex;

  constructor(table: MessageBoxTable, due: DynamoDbDueIndex) {
    this.#table = table;
    this.#due = due;
  }

  async deliver(instanceId: string, message: InboundMessage): Promise<void> {
    const table = this.#table;
    // A copy of a message the instance took and settled: delivered already.
    if ((await this.settled(instanceId, [message.messageId])).size > 0) return;
    const item = {
      pk: instanceKey(instanceId),
      sk: `${INBOX}${message.messageId}`,
      ...(await this.#held(instanceId, message)),
    };
    try {
      await table.client.send(new PutCommand({ TableName: table.name, Item: item, ConditionExpression: itemIsNew }));
    } catch (error) {
      // A redelivered message is already in the inbox.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await table.discardUnlessReferenced(item, CLAIMED.message);
    }
    // Due from now (not from when the message was received): the sweeper's cursor never passes a time this recent.
    await this.#due.markDue(instanceId, Math.max(message.receivedAt, table.clock.now()));
  }

  /**
   * What an inbox item holds of a message. Keyed by message id alone: a redelivery (a later receivedAt) finds the first
   * copy. Its object, by the copy's digest too: a late copy that recreates a settled inbox item gets an object of its
   * own, not the one its first copy's removal lets go of. `head` is the message without its body, which a listing
   * reads instead of a large one.
   */
  async #held(instanceId: string, message: InboundMessage): Promise<Record<string, unknown>> {
    const { body: _body, ...head } = message;
    const text = JSON.stringify(message);
    // Listed whole when small, unless the claim check takes it (a threshold set below the listing's).
    const bytes = Buffer.byteLength(text, 'utf8');
    const claimCheck = this.#table.claimCheck;
    const listed = bytes <= LISTED_MESSAGE_BYTES && !(claimCheck && bytes > claimCheck.fromBytes);
    const held = listed
      ? { message: text }
      : renamed(
          await this.#table.claimText('message', text, (b) => payloadKeys.inbox(instanceId, message.messageId, b)),
          'message',
          LARGE_MESSAGE,
        );
    return { head: JSON.stringify(head), ...held };
  }

  async deliveries(instanceId: string): Promise<InboxEntry[]> {
    const messages: InboxEntry[] = [];
    // Small messages whole, large ones by their head only: a backlog of large messages is not read on every wake-up.
    const pages = paginateQuery(
      { client: this.#table.client },
      {
        TableName: this.#table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inbox)',
        ExpressionAttributeValues: { ':pk': instanceKey(instanceId), ':inbox': INBOX },
        ProjectionExpression: 'pk, sk, head, message, #ref',
        ExpressionAttributeNames: { '#ref': CLAIMED.message },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const entry = await this.#entry(instanceId, item);
        if (entry) messages.push(entry);
      }
    }
    return messages.sort((a, b) => a.receivedAt - b.receivedAt || a.messageId.localeCompare(b.messageId));
  }

  /** An inbox item as listed: whole when small, its head when large; undefined when it left meanwhile. */
  async #entry(instanceId: string, item: Item): Promise<InboxEntry | undefined> {
    if (typeof item.message === 'string') return JSON.parse(item.message) as InboundMessage;
    if (typeof item.head === 'string')
      return { ...(JSON.parse(item.head) as Omit<InboundMessage, 'body'>), bodyLeft: true };
    // Written before inbox items had a head: read whole, as then.
    return this.delivery(instanceId, String(item.sk).slice(INBOX.length));
  }

  async delivery(instanceId: string, messageId: string): Promise<InboundMessage | undefined> {
    const item = await this.#table.get({ pk: instanceKey(instanceId), sk: `${INBOX}${messageId}` });
    if (!item) return undefined;
    let whole: Item;
    try {
      whole = await this.#table.whole(item);
    } catch (error) {
      // Settled or discarded between the read of the item and of its object: it left the inbox.
      if (error instanceof PayloadMissing) return undefined;
      throw error;
    }
    return JSON.parse(inboxText(whole)) as InboundMessage;
  }

  async settle(instanceId: string, messageIds: readonly string[], now: number): Promise<void> {
    const { client, name } = this.#table;
    const pk = instanceKey(instanceId);
    const ttl = Math.floor(now / 1000) + SETTLED_RECORD_SECONDS;
    // The records first: removing an inbox item before its record exists would let a late copy in again. One request
    // per item (a commit takes one message, usually): the embedded stack streams single-item writes only.
    await Promise.all(
      messageIds.map((id) =>
        client.send(
          new PutCommand({ TableName: name, Item: { pk, sk: `${TAKEN}${id}`, [MESSAGEBOX.ttlAttribute]: ttl } }),
        ),
      ),
    );
    await this.#remove(instanceId, messageIds);
  }

  async discard(instanceId: string, messageIds: readonly string[]): Promise<void> {
    // Its claim-checked object, if any, goes with it: the tracking function deletes what a removed item let go of.
    await this.#remove(instanceId, messageIds);
  }

  async #remove(instanceId: string, messageIds: readonly string[]): Promise<void> {
    const { client, name } = this.#table;
    await Promise.all(
      messageIds.map((id) =>
        client.send(new DeleteCommand({ TableName: name, Key: { pk: instanceKey(instanceId), sk: `${INBOX}${id}` } })),
      ),
    );
  }

  async settled(instanceId: string, messageIds: readonly string[]): Promise<ReadonlySet<string>> {
    const pk = instanceKey(instanceId);
    const records = await this.#table.batchGet(
      messageIds.map((id) => ({ pk, sk: `${TAKEN}${id}` })),
      { ConsistentRead: true, ProjectionExpression: 'sk' },
    );
    return new Set(records.map((item) => String(item.sk).slice(TAKEN.length)));
  }
}
