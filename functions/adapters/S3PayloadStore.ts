import { DeleteObjectsCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PayloadMissing } from '../core/errors.ts';
import { DEFAULT_CLAIM_CHECK_FROM_BYTES, type ClaimCheck, type PayloadStore } from './claim-check.ts';
import { s3Client, type ClientOptions } from './aws-clients.ts';

/** S3 deletes at most this many keys a request. */
const DELETE_BATCH = 1_000;

/** The claim check's objects in one S3 bucket (see claim-check.ts). */
export class S3PayloadStore implements PayloadStore {
  readonly #s3: S3Client;
  readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.bucket = bucket;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const { Body } = await this.#s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!Body) throw new PayloadMissing(key);
      return await Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
        throw new PayloadMissing(key, { cause: error });
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const chunk = keys.slice(i, i + DELETE_BATCH);
      const { Errors = [] } = await this.#s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (Errors.length > 0)
        throw new Error(
          `could not delete ${Errors.length} claim-checked object(s) from ${this.bucket}: ${Errors.slice(0, 3)
            .map((e) => `${e.Key}: ${e.Code} ${e.Message}`)
            .join('; ')}`,
        );
    }
  }
}

/** The claim check on `bucket` (none without one: the MessageBox then keeps bodies up to MAX_STORED_BODY_BYTES). */
export function s3ClaimCheck(
  bucket: string | undefined,
  options: ClientOptions,
  fromBytes = DEFAULT_CLAIM_CHECK_FROM_BYTES,
): ClaimCheck | undefined {
  return bucket ? { payloads: new S3PayloadStore(s3Client(options), bucket), fromBytes } : undefined;
}
