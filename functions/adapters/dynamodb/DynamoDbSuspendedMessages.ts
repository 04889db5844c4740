import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InstanceStatus, type MessageResolution, type SuspendedMessage } from '../../core/instance.ts';
import type { SuspendedMessages } from '../../core/ports.ts';
import { CLAIMED, payloadKeys } from '../claim-check.ts';
import { itemIsNew, unresolved } from './conditions.ts';
import { SUSPENDED, sortKey, statusKey, suspendedFromItem } from './items.ts';
import { inStatus } from './status-index.ts';
import type { MessageBoxTable } from './table.ts';

/**
 * Suspended messages (`M#<messageId>` / `SUSPENDED`): in the status index under `message` until an operator resolves
 * them; the record, with its body and reason, stays after.
 */
export class DynamoDbSuspendedMessages implements SuspendedMessages {
  readonly #table: MessageBoxTable;

  constructor(table: MessageBoxTable) {
    this.#table = table;
  }

  async putSuspendedMessage(message: SuspendedMessage): Promise<void> {
    const table = this.#table;
    const { body, ...rest } = message;
    const item = {
      pk: `M#${message.messageId}`,
      sk: SUSPENDED,
      status: InstanceStatus.Suspended,
      gsi1pk: statusKey('message', message.messageId),
      gsi1sk: sortKey(message.receivedAt, message.messageId),
      ...rest,
      ...(await table.claimText('body', body, (bytes) => payloadKeys.suspended(message.messageId, bytes))),
    };
    try {
      // A redelivery of the same bad message keeps the first record.
      await table.client.send(new PutCommand({ TableName: table.name, Item: item, ConditionExpression: itemIsNew }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await table.discardUnlessReferenced(item, CLAIMED.body);
    }
  }

  async listSuspendedMessages(limit = 1_000, options: { readonly bodies?: boolean } = {}): Promise<SuspendedMessage[]> {
    const items = await inStatus(this.#table, 'message', limit, options.bodies !== false);
    return items.filter((item) => !item.resolution).map(suspendedFromItem);
  }

  async suspendedMessage(
    messageId: string,
    options: { readonly bodies?: boolean } = {},
  ): Promise<SuspendedMessage | undefined> {
    const item = await this.#table.get({ pk: `M#${messageId}`, sk: SUSPENDED });
    if (!item) return undefined;
    return suspendedFromItem(options.bodies === false ? item : await this.#table.whole(item));
  }

  async resolveSuspendedMessage(messageId: string, resolution: MessageResolution): Promise<boolean> {
    const table = this.#table;
    // An edited body is kept beside the message's own, in the claim check once large (its object first, as always).
    const { body, ...rest } = resolution;
    const key = { pk: `M#${messageId}`, sk: SUSPENDED };
    const edited =
      body === undefined
        ? {}
        : await table.claimText('edited', body, (bytes) => payloadKeys.resubmitted(messageId, bytes));
    const [attribute, value] = Object.entries(edited)[0] ?? [];
    try {
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key,
          // Out of the status index (no longer listed as suspended); the record itself stays, with what was done.
          UpdateExpression: `SET #resolution = :resolution${attribute ? ', #edited = :edited' : ''} REMOVE gsi1pk, gsi1sk`,
          ConditionExpression: unresolved,
          ExpressionAttributeNames: { '#resolution': 'resolution', ...(attribute ? { '#edited': attribute } : {}) },
          ExpressionAttributeValues: { ':resolution': rest, ...(attribute ? { ':edited': value } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await table.discardUnlessReferenced({ ...key, ...edited }, CLAIMED.edited);
      return false;
    }
  }
}
