import { createHash } from 'node:crypto';

/**
 * Deterministic ids: the same inputs give the same id on every host and every retry, which is what
 * makes receipt and dispatch idempotent. Shaped like a UUID so tools that expect one accept it.
 */
export function deterministicId(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The instance a message activates for an orchestration. Versions excluded: a redelivery after an upgrade routes to the same instance. */
export function activationInstanceId(orchestration: string, messageId: string): string {
  return deterministicId('instance', orchestration, messageId);
}

/**
 * The id of the n-th message an instance sends (or orchestration it starts), stable across re-execution from the last
 * persistence point. `incarnation` tells apart instances made under one id (see `InstanceState.incarnation`): a convoy
 * made again after its predecessor expired must not send under its predecessor's ids.
 */
export function outboundMessageId(instanceId: string, sequence: number, incarnation?: string): string {
  return incarnation === undefined
    ? deterministicId('send', instanceId, sequence)
    : deterministicId('send', instanceId, incarnation, sequence);
}

/**
 * The instance of a convoy: an orchestration whose activating receive initializes a correlation set has one
 * instance per value of that set, and its id derives from the value. Creating it is then the convoy's claim
 * (one conditional write), and a later message of the set finds its instance without a lookup.
 */
export function convoyInstanceId(orchestration: string, set: string, value: string): string {
  return deterministicId('convoy', orchestration, set, value);
}

/**
 * A branch instance of Parallel Actions: readable, and the same on every host that forks it. The forking instance's
 * incarnation is in it when it has one, so a convoy made again does not fork onto its predecessor's branch instances.
 */
export function branchInstanceId(instanceId: string, fork: number, branch: string, incarnation?: string): string {
  return incarnation === undefined
    ? `${instanceId}~${fork}~${branch}`
    : `${instanceId}~${fork}.${incarnation}~${branch}`;
}
