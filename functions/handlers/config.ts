import { hostname } from 'node:os';
import { CLAIM_CHECK, OWNERSHIP } from '../settings.ts';
import { MAX_STORED_BODY_BYTES } from '../core/receive-host.ts';
import type { PointerSource } from '../adapters/extended-client.ts';

/** The largest message SQS carries (1 MiB since 2025). */
const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** Handler configuration, read from the environment once per process (the only place that reads it). */
export interface HostConfig {
  readonly tableName: string;
  readonly workQueueUrl: string;
  /** Send port name → queue URL. */
  readonly sendPorts: Record<string, string>;
  readonly hostId: string;
  readonly leaseMs: number;
  readonly region?: string;
  /** Step Functions timer state machine, for timers beyond 15 minutes (absent locally: SQS hops). */
  readonly timerStateMachineArn?: string;
  /** The claim check's bucket: large states and bodies go there (absent: bodies up to 300 KB, kept in the items). */
  readonly claimCheckBucket?: string;
  /** Values larger than this go to the bucket. @defaultValue DEFAULT_CLAIM_CHECK_FROM_BYTES (64 KiB) */
  readonly claimCheckFromBytes?: number;
  /** Outbound bodies larger than this (with their attributes) go out as extended-client pointers. @defaultValue 262,144 */
  readonly sendClaimCheckFromBytes?: number;
  /**
   * Where else the receive host follows extended-client pointers, beside the claim check's bucket under `inbound/`
   * (`BATON_EXTENDED_PAYLOAD_BUCKETS`, set by `Baton.readExtendedPayloadsFrom`). @defaultValue none
   */
  readonly extendedPayloadSources?: readonly PointerSource[];
  /**
   * The receive queue's dead-letter queue, when the receive host reads it too (`BATON_RECEIVE_DLQ_ARN`): a record from
   * it is a message's last delivery, kept as a suspended message if it fails again. @defaultValue none
   */
  readonly receiveDeadLetterQueueArn?: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  const missing: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  const tableName = required('BATON_TABLE_NAME');
  const workQueueUrl = required('BATON_WORK_QUEUE_URL');
  let sendPorts: Record<string, string> = {};
  if (env.BATON_SEND_PORTS) {
    try {
      sendPorts = JSON.parse(env.BATON_SEND_PORTS) as Record<string, string>;
    } catch {
      missing.push('BATON_SEND_PORTS (must be JSON: {"send":"<queue url>"})');
    }
  } else {
    sendPorts = { send: required('BATON_SEND_QUEUE_URL') };
  }
  const claimCheckFromBytes = env.BATON_CLAIM_CHECK_FROM_BYTES ? Number(env.BATON_CLAIM_CHECK_FROM_BYTES) : undefined;
  // Above the item budget a state or a body would fail its write instead of going to the bucket.
  if (
    claimCheckFromBytes !== undefined &&
    !(Number.isInteger(claimCheckFromBytes) && claimCheckFromBytes >= 1 && claimCheckFromBytes <= MAX_STORED_BODY_BYTES)
  ) {
    missing.push(
      `BATON_CLAIM_CHECK_FROM_BYTES (an integer from 1 to ${MAX_STORED_BODY_BYTES}; got "${env.BATON_CLAIM_CHECK_FROM_BYTES}")`,
    );
  }
  const sendClaimCheckFromBytes = env.BATON_SEND_CLAIM_CHECK_FROM_BYTES
    ? Number(env.BATON_SEND_CLAIM_CHECK_FROM_BYTES)
    : undefined;
  // SQS carries 1 MiB a message: a larger body must go as a pointer.
  if (
    sendClaimCheckFromBytes !== undefined &&
    !(
      Number.isInteger(sendClaimCheckFromBytes) &&
      sendClaimCheckFromBytes >= 1 &&
      sendClaimCheckFromBytes <= SQS_MAX_MESSAGE_BYTES
    )
  ) {
    missing.push(
      `BATON_SEND_CLAIM_CHECK_FROM_BYTES (an integer from 1 to ${SQS_MAX_MESSAGE_BYTES}; got "${env.BATON_SEND_CLAIM_CHECK_FROM_BYTES}")`,
    );
  }
  const claimCheckBucket = env.BATON_CLAIM_CHECK_BUCKET || undefined;
  const extendedPayloadSources = pointerSources(env.BATON_EXTENDED_PAYLOAD_BUCKETS, claimCheckBucket, missing);
  if (missing.length > 0) throw new Error(`Baton host configuration incomplete; set: ${missing.join(', ')}`);
  // In Lambda each execution environment has its own log stream: a natural host-instance identity.
  const lambda =
    env.AWS_LAMBDA_FUNCTION_NAME && env.AWS_LAMBDA_LOG_STREAM_NAME
      ? `${env.AWS_LAMBDA_FUNCTION_NAME}/${env.AWS_LAMBDA_LOG_STREAM_NAME}`
      : undefined;
  return {
    tableName,
    workQueueUrl,
    sendPorts,
    hostId: env.BATON_HOST_ID ?? lambda ?? `${hostname()}:${process.pid}`,
    leaseMs: Number(env.BATON_LEASE_MS ?? OWNERSHIP.leaseMs),
    region: env.AWS_REGION,
    timerStateMachineArn: env.BATON_TIMER_STATE_MACHINE_ARN || undefined,
    claimCheckBucket,
    claimCheckFromBytes,
    sendClaimCheckFromBytes,
    extendedPayloadSources,
    receiveDeadLetterQueueArn: env.BATON_RECEIVE_DLQ_ARN || undefined,
  };
}

/** An S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The buckets a sender's pointer may name, from a comma-separated list of `bucket` (any key) or `bucket/prefix` (only
 * keys under the prefix). The claim check's own bucket is never allowed outside `inbound/`: its other objects are
 * instances' states and other parties' messages.
 */
function pointerSources(
  text: string | undefined,
  claimCheckBucket: string | undefined,
  problems: string[],
): PointerSource[] {
  const sources: PointerSource[] = [];
  for (const entry of (text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const slash = entry.indexOf('/');
    const bucket = slash < 0 ? entry : entry.slice(0, slash);
    const prefix = slash < 0 ? undefined : entry.slice(slash + 1) || undefined;
    if (!BUCKET_NAME.test(bucket))
      problems.push(
        `BATON_EXTENDED_PAYLOAD_BUCKETS (comma-separated "bucket" or "bucket/prefix"; "${bucket}" is no bucket name)`,
      );
    else if (bucket === claimCheckBucket && !prefix?.startsWith(CLAIM_CHECK.inboundPrefix)) {
      problems.push(
        `BATON_EXTENDED_PAYLOAD_BUCKETS (the claim check's bucket ${bucket} is read only under ${CLAIM_CHECK.inboundPrefix}; got "${entry}")`,
      );
    } else sources.push(prefix ? { bucket, prefix } : { bucket });
  }
  return sources;
}
