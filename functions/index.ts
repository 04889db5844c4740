/**
 * `baton`: what an orchestrations module imports. Message types with their schemas, the shapes an
 * orchestration is built from (typed through `designer`), and the types around them. The same shapes untyped (as
 * orchestrations written before the designer import them) are in `baton/builders`.
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
export type { Duration, MessageTypeRef } from './core/builder.ts';
export type {
  CallableOptions,
  CallableOrchestration,
  ChildOptions,
  CorrelationSet,
  DecideBranch,
  ForEachOptions,
  ListenBranch,
  MachineState,
  OrchestrationDefinition,
  BranchOptions,
  JoinPolicy,
  ParallelBranch,
  ParallelOptions,
  PropertyFilter,
  RestPolicy,
  ScopeEvent,
  RetryPolicy,
  ScopeOptions,
  Shape,
  StateMachine,
} from './core/definition.ts';
export type { StepContext } from './core/context.ts';
export type { InboundMessage } from './core/message.ts';
export type { Environment, OrchestrationsModule } from './core/orchestrations-module.ts';
export { BatonError, DefinitionError } from './core/errors.ts';
