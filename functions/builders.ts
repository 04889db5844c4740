/**
 * `baton/builders`: the shape functions untyped (message bodies and variables as plain records), as orchestrations
 * written before the typed designer use them, and the registry that compiles definitions. New code uses `designer`
 * from `baton`, which gives the same shapes typed from the message types an orchestration binds.
 *
 * @example
 * ```ts
 * import { complete, orchestration, receive } from 'baton/builders';
 *
 * export const orchestrations = [orchestration('Noted', 1, [receive('note', 'Note', { into: 'note' }), complete('done')])];
 * ```
 *
 * @packageDocumentation
 */
export {
  branch,
  call,
  callable,
  child,
  code,
  compensate,
  complete,
  decide,
  delay,
  forEach,
  listen,
  loop,
  onEvent,
  onMessage,
  onTimeout,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  receiveReply,
  scope,
  send,
  start,
  stateMachine,
  suspend,
  terminate,
  throwError,
  toMs,
  until,
  when,
  type Duration,
  type MessageTypeRef,
} from './core/builder.ts';
export { OrchestrationRegistry } from './core/registry.ts';
