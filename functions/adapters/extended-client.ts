/**
 * The wire format of AWS's Amazon SQS Extended Client Library (Java: awslabs/amazon-sqs-java-extended-client-lib with
 * payload-offloading-java-common-lib-for-aws; Python: awslabs/amazon-sqs-python-extended-client-lib), so that what
 * they send is read here and what Baton sends is read by them.
 *
 * A body the library offloaded to S3 travels as a two-element JSON array, the pointer class's name and the object:
 *   ["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"<bucket>","s3Key":"<key>"}]
 * (Java writes it compact, through Jackson's default typing; Python with `json.dumps`, spaces after the separators;
 * Java 1.x named the class `com.amazon.sqs.javamessaging.MessageS3Pointer`.) The object holds the original body as
 * UTF-8 bytes, unchanged. Beside it a Number message attribute gives the body's size in bytes: `ExtendedPayloadSize`
 * (Python's default, and Java's once its legacy name is turned off) or `SQSLargePayloadSize` (Java's default). Both
 * libraries tell a pointer by that attribute alone, and both recognise either name on receive; Python's receiver
 * asks SQS only for the name it writes unless told `All`, so Baton writes `ExtendedPayloadSize`.
 */
export const POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';
export const LEGACY_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';
export const SIZE_ATTRIBUTE = 'ExtendedPayloadSize';
export const LEGACY_SIZE_ATTRIBUTE = 'SQSLargePayloadSize';
/** Where the libraries start offloading by default (a body plus its attributes over 256 KiB). */
export const EXTENDED_CLIENT_THRESHOLD_BYTES = 262_144;

export interface S3Pointer {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Where the receive host follows pointers: a bucket, or only its keys under `prefix`. A pointer names any object the
 * sender likes, and the receive host reads it with its own permissions: followed anywhere, a sender could have
 * another party's body (an instance's state, a message sent out, another sender's upload) taken as its own message.
 */
export interface PointerSource {
  readonly bucket: string;
  readonly prefix?: string;
}

/**
 * Whether `pointer` names an object of one of `sources`. A key with a `.` or `..` segment is never within a
 * prefix: S3 keeps such keys as they are, but a proxy or an emulator on the way may resolve them to another key.
 */
export function isWithin(pointer: S3Pointer, sources: readonly PointerSource[]): boolean {
  if (pointer.key.split('/').some((segment) => segment === '.' || segment === '..')) return false;
  return sources.some((source) => source.bucket === pointer.bucket && pointer.key.startsWith(source.prefix ?? ''));
}

/** `bucket` or `bucket/prefix`, as configuration names a source and a reason shows it. */
export function describeSource(source: PointerSource): string {
  return source.prefix ? `${source.bucket}/${source.prefix}` : source.bucket;
}

/** Whether a message says its body was offloaded (by the size attribute, as the libraries decide). */
export function isOffloaded(attributes: Readonly<Record<string, unknown>>): boolean {
  return SIZE_ATTRIBUTE in attributes || LEGACY_SIZE_ATTRIBUTE in attributes;
}

/** The pointer in an offloaded message's body, or undefined when the body is not one. */
export function parsePointer(body: string): S3Pointer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || (value[0] !== POINTER_CLASS && value[0] !== LEGACY_POINTER_CLASS))
    return undefined;
  const { s3BucketName, s3Key } = (value[1] ?? {}) as { s3BucketName?: unknown; s3Key?: unknown };
  if (typeof s3BucketName !== 'string' || typeof s3Key !== 'string' || s3BucketName === '' || s3Key === '')
    return undefined;
  return { bucket: s3BucketName, key: s3Key };
}

/** The body Baton sends for an offloaded message: the Java library's compact form (Python parses it the same). */
export function pointerBody(pointer: S3Pointer): string {
  return JSON.stringify([POINTER_CLASS, { s3BucketName: pointer.bucket, s3Key: pointer.key }]);
}

/** The attributes without the size attribute the library adds (the libraries remove it before handing a message on). */
export function withoutSizeAttribute<T>(attributes: Readonly<Record<string, T>>): Record<string, T> {
  const { [SIZE_ATTRIBUTE]: _size, [LEGACY_SIZE_ATTRIBUTE]: _legacy, ...rest } = attributes;
  return rest;
}
