/**
 * `baton/local`: Baton on this machine, with the same code as on AWS: the embedded stack (DynamoDB and SQS
 * emulated in-process behind one endpoint), the resources, and host instances as OS processes.
 *
 * @example
 * ```ts
 * import { startLocalCluster } from 'baton/local';
 * ```
 *
 * @packageDocumentation
 */
export {
  startLocalCluster,
  type RunningLocalCluster,
  type SentMessage,
  type StartLocalClusterOptions,
} from './start.ts';
export { LocalCluster, type ClusterOptions, type HostInstanceState } from './cluster.ts';
export { startEmbeddedStack, type EmbeddedStack, type EmbeddedStackOptions } from './embedded-stack.ts';
export { loadOrchestrations } from '../functions/load-orchestrations.ts';
export type { InstanceState, InstanceStatus, SuspendedMessage } from '../functions/core/instance.ts';
