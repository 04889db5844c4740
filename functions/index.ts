/**
 * `baton`: what an orchestrations module imports. Message types with their schemas, the shapes an
 * orchestration is built from (typed through `designer`), and the types around them.
 *
 * @example
 * ```ts
 * import { designer, messageType } from 'baton';
 * ```
 *
 * @packageDocumentation
 */
export { messageType, describeIssues, type MessageType, type Schema, type SchemaIssue } from './core/schema.ts';
export {
  designer,
  type Designer,
  type MessageVariables,
  type BodiesOf,
  type TypedCorrelationSet,
} from './core/designer.ts';
export {
  branch,
  call,
  callable,
  code,
  compensate,
  complete,
  decide,
  delay,
  listen,
  loop,
  onMessage,
  onTimeout,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
  start,
  terminate,
  throwError,
  toMs,
  when,
  type Duration,
  type MessageTypeRef,
} from './core/builder.ts';
export type {
  CallableOrchestration,
  CorrelationSet,
  DecideBranch,
  ListenBranch,
  OrchestrationDefinition,
  ParallelBranch,
  PropertyFilter,
  RetryPolicy,
  Shape,
} from './core/definition.ts';
export type { StepContext } from './core/context.ts';
export type { InboundMessage } from './core/message.ts';
export type { Environment, OrchestrationsModule } from './core/orchestrations-module.ts';
export { BatonError, DefinitionError } from './core/errors.ts';
export { OrchestrationRegistry } from './core/registry.ts';
