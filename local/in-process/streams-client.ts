/**
 * A DynamoDB Streams client that reads the embedded stack's ChangeFeed in-process, for the tracking poller that runs
 * in its process: the same API (DescribeStream, GetShardIterator, GetRecords) without HTTP. Records come as the feed
 * keeps them (the JSON protocol's values: binary as base64, the creation time in epoch seconds), as a Lambda event
 * carries them.
 */
import { DynamoDBStreamsClient, DynamoDBStreamsServiceException } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeFeed } from '../change-feed.ts';
import type { Item } from '../../functions/adapters/item.ts';

export class InProcessStreamsClient extends DynamoDBStreamsClient {
  readonly #feed: ChangeFeed;

  constructor(feed: ChangeFeed) {
    super({
      region: process.env.AWS_REGION ?? 'us-east-1',
      endpoint: 'http://in-process.invalid',
      credentials: { accessKeyId: 'in-process', secretAccessKey: 'in-process' },
    });
    this.#feed = feed;
  }

  // biome-ignore lint/suspicious/noExplicitAny: every DynamoDB Streams command, as the SDK's `send` takes them
  override async send(command: any): Promise<any> {
    const action = String(command.constructor.name).replace(/Command$/, '');
    const { status, body } = this.#feed.handle(action, command.input as Item) as { status: number; body: Item };
    if (status === 200) return { ...body, $metadata: { httpStatusCode: 200 } };
    const type = String(body.__type ?? 'InternalServerError');
    throw new DynamoDBStreamsServiceException({
      name: type.slice(type.indexOf('#') + 1),
      message: String(body.message ?? type),
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
    });
  }

  override destroy(): void {}
}
