import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidMessage } from '../core/errors.ts';
import type { RawMessage } from '../core/message.ts';
import type { BodyResolver } from '../core/ports.ts';
import {
  LEGACY_SIZE_ATTRIBUTE,
  SIZE_ATTRIBUTE,
  describeSource,
  isOffloaded,
  isWithin,
  parsePointer,
  withoutSizeAttribute,
  type PointerSource,
} from './extended-client.ts';

/** S3's answers that no retry will change. */
const GONE = new Set(['NoSuchKey', 'NoSuchBucket']);

/**
 * Reads the bodies SQS extended clients offloaded to S3 (extended-client.ts): a message with the size attribute gets
 * its body from the object its pointer names, if that object is within the sources the receive host reads from:
 * Baton's own bucket under `inbound/` and the buckets the deployer allowed (`Baton.readExtendedPayloadsFrom`; the
 * receive host needs s3:GetObject there). A pointer elsewhere, a missing object, a body that is no pointer or an
 * object larger than the MessageBox takes is a message that cannot be taken: suspended with the reason, its pointer
 * kept (the object, if any, is the sender's). A denied or failed read is retried, then left to the DLQ.
 */
export class ExtendedClientBodies implements BodyResolver {
  readonly #s3: S3Client;
  readonly #maxBytes: number;
  readonly #sources: readonly PointerSource[];

  constructor(s3: S3Client, maxBytes: number, sources: readonly PointerSource[]) {
    this.#s3 = s3;
    this.#maxBytes = maxBytes;
    this.#sources = sources;
  }

  async resolve(message: RawMessage): Promise<RawMessage> {
    if (!isOffloaded(message.attributes)) return message;
    const attribute = SIZE_ATTRIBUTE in message.attributes ? SIZE_ATTRIBUTE : LEGACY_SIZE_ATTRIBUTE;
    const pointer = parsePointer(message.body);
    if (!pointer)
      throw new InvalidMessage(
        `the message carries ${attribute} (an SQS extended client's offloaded body), but its body is not an S3 pointer`,
      );
    const where = `s3://${pointer.bucket}/${pointer.key}`;
    if (!isWithin(pointer, this.#sources)) {
      // Nothing is read: whether the object exists, and what it holds, stays unknown to the sender.
      const from =
        this.#sources.length > 0 ? this.#sources.map(describeSource).join(', ') : 'nowhere (no bucket is configured)';
      throw new InvalidMessage(
        `its extended-client pointer names ${where}, outside what the receive host reads bodies from: ${from}`,
      );
    }
    let response;
    try {
      response = await this.#s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }));
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (GONE.has(name))
        throw new InvalidMessage(`its extended-client body at ${where} is not there (${name})`, { cause: error });
      throw new Error(`reading the extended-client body at ${where} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const size = Number(response.ContentLength ?? 0);
    if (size > this.#maxBytes) {
      (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new InvalidMessage(
        `its extended-client body at ${where} is ${size} bytes; the MessageBox keeps at most ${this.#maxBytes} bytes per message`,
      );
    }
    const body = (await response.Body?.transformToString('utf8')) ?? '';
    return { ...message, body, attributes: withoutSizeAttribute(message.attributes) };
  }
}
