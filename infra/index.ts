/**
 * `baton/cdk`: the Baton construct (your orchestrations on SQS, Lambda, DynamoDB and Step Functions) and the
 * constructs it is made of, for those who assemble their own.
 *
 * @example
 * ```ts
 * import { Baton } from 'baton/cdk';
 *
 * new Baton(this, 'Baton', { orchestrations: 'src/orchestrations.ts' });
 * ```
 *
 * @packageDocumentation
 */
export { Baton, type BatonProps, type DeployedOrchestrations } from './constructs/Baton.ts';
export { ProcessingHost, type Placement, type ProcessingHostProps } from './constructs/ProcessingHost.ts';
export { HostFunction, type HostFunctionProps } from './constructs/HostFunction.ts';
export { MessageBox, type MessageBoxAccess, type MessageBoxProps } from './constructs/MessageBox.ts';
export { ClaimCheck, type ClaimCheckProps } from './constructs/ClaimCheck.ts';
export { DurableQueue } from './constructs/DurableQueue.ts';
export { DurableTimers } from './constructs/DurableTimers.ts';
export { Monitoring, type MonitoringProps } from './constructs/Monitoring.ts';
export { Tracking, type TrackingProps } from './constructs/Tracking.ts';
