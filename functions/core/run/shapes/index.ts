import type { ProgramShape } from '../../program.ts';
import { branchEnd } from './branch-end.ts';
import { child, childEnd } from './child.ts';
import { code } from './code.ts';
import { eventEnd } from '../events.ts';
import { forEach, forEachNext } from './for-each.ts';
import { compensate, compensated } from './compensate.ts';
import { decide } from './decide.ts';
import { delay } from './delay.ts';
import { call, complete, suspend, terminate } from './end.ts';
import type { ShapeHandler } from './handler.ts';
import { listen } from './listen.ts';
import { loop, stateEnd, stateMachine, until, untilCheck } from './loop.ts';
import { parallel } from './parallel.ts';
import { receive } from './receive.ts';
import { scope, scopeEnd } from './scope.ts';
import { send } from './send.ts';
import { start } from './start.ts';
import { throwShape } from './throw.ts';

/** One handler per shape kind: a new kind does not compile until it has one. */
export const SHAPE_HANDLERS: { readonly [K in ProgramShape['kind']]: ShapeHandler<K> } = {
  receive,
  code,
  decide,
  send,
  start,
  call,
  child,
  childEnd,
  forEach,
  forEachNext,
  eventEnd,
  delay,
  listen,
  parallel,
  branchEnd,
  loop,
  until,
  untilCheck,
  stateMachine,
  stateEnd,
  throw: throwShape,
  scope,
  scopeEnd,
  compensate,
  compensated,
  terminate,
  suspend,
  complete,
};
