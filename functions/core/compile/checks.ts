import { END, ID_PATTERN, NAME_PATTERN, PORT_PATTERN, type ParallelShape, type ScopeShape } from '../definition.ts';
import { lockOf } from '../locks.ts';
import { FOR_EACH_LANES } from '../run/shapes/for-each.ts';
import type { Compiler, ShapeChecks, Site } from './compiler.ts';
import { sameInstanceShapes } from './shape-tree.ts';

/** A scope: its end and compensated markers, its body, error handler and compensation. */
const scope: ShapeChecks['scope'] = (c, shape, site) => {
  const { where, key, successor, prefix, calling } = site;
  if (shape.steps.length === 0) c.problems.push(`${where}: scope "${shape.id}" needs at least one step`);
  const end = `${key}$end`;
  const compensated = `${key}$compensated`;
  c.shapes.set(end, { kind: 'scopeEnd', id: end, scope: key });
  c.next.set(end, successor);
  c.shapes.set(compensated, { kind: 'compensated', id: compensated, scope: key });
  const entries = new Map<string, string>([['body', c.visit(shape.steps, end, `${where}.steps`, prefix, calling)]]);
  if (shape.onError) entries.set('onError', c.visit(shape.onError, successor, `${where}.onError`, prefix, calling));
  if (shape.compensation)
    entries.set('compensation', c.visit(shape.compensation, compensated, `${where}.compensation`, prefix, calling));
  scopeEvents(c, shape, site, entries);
  c.branchEntry.set(key, entries);
  synchronizedScope(c, shape, where);
};

/**
 * A scope's event handlers: each trigger a correlated receive (registered as one, so its messages are delivered to
 * the instance), each handler's steps ending after the scope (interrupting) or at the scope's event marker, which
 * takes the thread back to where it waited.
 */
function scopeEvents(c: Compiler, shape: ScopeShape, site: Site, entries: Map<string, string>): void {
  const { where, key, successor, prefix, calling } = site;
  const back = `${key}$event`;
  shape.events?.forEach((event, e) => {
    const at = `${where}.events[${e}]`;
    if (!ID_PATTERN.test(event.name))
      c.problems.push(`${at}: event handler name "${event.name}" must match ${ID_PATTERN}`);
    if (entries.has(`event:${event.name}`))
      c.problems.push(`${where}: scope "${shape.id}" has two event handlers named "${event.name}"`);
    const trigger = event.trigger;
    if (trigger?.kind !== 'receive' || trigger.activate) {
      c.problems.push(`${at}: event handler "${event.name}" needs a receiveCorrelated(...) trigger`);
      return;
    }
    c.register(prefix + trigger.id, trigger, at);
    c.checkReceive(trigger, at);
    if (!event.interrupting && !c.shapes.has(back)) c.shapes.set(back, { kind: 'eventEnd', id: back, scope: key });
    const after = event.interrupting ? successor : back;
    entries.set(`event:${event.name}`, c.visit(event.steps, after, `${at}.steps`, prefix, calling));
  });
}

/**
 * A synchronized scope: a lock's name, and nothing in its body (its branches, what it calls) that would hold the lock
 * without bound or deadlock. Not another synchronized scope: a branch forked inside would wait for the lock its own
 * scope holds, and two scopes nesting two locks in opposite orders would wait for each other. Not a receive or a
 * listen: the lock would be held until a message comes, however long (the other branches' synchronized scopes blocked
 * meanwhile). A child orchestration's scopes take its own locks: it may run inside one.
 */
function synchronizedScope(c: Compiler, shape: Parameters<ShapeChecks['scope']>[1], where: string): void {
  const lock = shape.synchronized;
  if (lock !== undefined && typeof lock !== 'boolean' && (typeof lock !== 'string' || !ID_PATTERN.test(lock)))
    c.problems.push(
      `${where}: scope "${shape.id}" has synchronized ${JSON.stringify(lock)}: it must be true, or a lock's name matching ${ID_PATTERN}`,
    );
  if (lockOf(shape) === undefined) return;
  for (const inner of sameInstanceShapes(shape.steps)) {
    if (inner.kind === 'scope' && lockOf(inner) !== undefined)
      c.problems.push(
        `${where}: scope "${inner.id}" is synchronized inside synchronized scope "${shape.id}": a branch forked inside would wait for the lock its own scope holds, and two locks taken in opposite orders wait for each other; synchronize one of them`,
      );
    if (inner.kind === 'receive' || inner.kind === 'listen')
      c.problems.push(
        `${where}: ${inner.kind} "${inner.id}" cannot be in synchronized scope "${shape.id}": the lock would be held until a message comes, however long that takes; receive before the scope or after it`,
      );
  }
}

/** A loop: its body's last step comes back to the loop, which checks its condition again. */
const loop: ShapeChecks['loop'] = (c, shape, { where, key, prefix, calling }) => {
  if (shape.steps.length === 0) c.problems.push(`${where}: loop "${shape.id}" needs at least one step`);
  c.branchEntry.set(key, new Map([['body', c.visit(shape.steps, key, `${where}.steps`, prefix, calling)]]));
};

/** An until-loop: its body first, then the check marker, which goes back to the body or on. */
const until: ShapeChecks['until'] = (c, shape, { where, key, successor, prefix, calling }) => {
  if (shape.steps.length === 0) c.problems.push(`${where}: until "${shape.id}" needs at least one step`);
  const check = `${key}$check`;
  c.shapes.set(check, { kind: 'untilCheck', id: check, until: key });
  c.next.set(check, successor);
  c.branchEntry.set(key, new Map([['body', c.visit(shape.steps, check, `${where}.steps`, prefix, calling)]]));
};

/**
 * A state machine: one entry per state (its first step, or its end marker when it has none), and after each state's
 * steps a marker whose `next` chooses the state to enter, or the shape after the machine.
 */
const stateMachine: ShapeChecks['stateMachine'] = (c, shape, { where, key, successor, prefix, calling }) => {
  const states = Object.entries(shape.states ?? {});
  const what = `state machine "${shape.id}"`;
  if (states.length === 0) c.problems.push(`${where}: ${what} needs at least one state`);
  else if (typeof shape.initial !== 'string' || !Object.hasOwn(shape.states, shape.initial))
    c.problems.push(
      `${where}: ${what} starts in ${JSON.stringify(shape.initial)}, which is not one of its states (${states.map(([name]) => name).join(', ')})`,
    );
  const entries = new Map<string, string>();
  for (const [name, state] of states) {
    const at = `${where}.states.${name}`;
    if (!ID_PATTERN.test(name))
      c.problems.push(`${at}: ${what} has a state named "${name}", which must match ${ID_PATTERN}`);
    if (typeof state?.next !== 'function')
      c.problems.push(`${at}: state "${name}" needs a next function (a state's name, or '$end' to leave the machine)`);
    if (!Array.isArray(state?.steps))
      c.problems.push(`${at}: state "${name}" needs its steps (an empty list for none)`);
    const end = `${key}$${name}$next`;
    c.shapes.set(end, { kind: 'stateEnd', id: end, machine: key, state: name });
    c.next.set(end, successor);
    entries.set(name, c.visit(Array.isArray(state?.steps) ? state.steps : [], end, `${at}.steps`, prefix, calling));
  }
  c.branchEntry.set(key, entries);
};

/** A receive: only the first step activates, and it is checked with its correlation. */
const receive: ShapeChecks['receive'] = (c, shape, { where, path, index }) => {
  const isFirst = path === 'steps' && index === 0;
  if (shape.activate !== isFirst)
    c.problems.push(
      `${where}: receive "${shape.id}" ${isFirst ? 'must activate: it is the first step' : 'cannot activate: only the first step does'}`,
    );
  c.checkReceive(shape, where);
};

const code: ShapeChecks['code'] = (c, shape, { where }) => {
  if (!shape.retry) return;
  if (!Number.isInteger(shape.retry.attempts) || shape.retry.attempts < 1)
    c.problems.push(`${where}: retry.attempts must be ≥ 1`);
  if (!(shape.retry.backoffMs >= 0)) c.problems.push(`${where}: retry.backoffMs must be ≥ 0`);
};

const delay: ShapeChecks['delay'] = (c, shape, { where }) => {
  if (typeof shape.duration === 'number' && !(shape.duration >= 0))
    c.problems.push(`${where}: delay "${shape.id}" needs a duration ≥ 0 ms`);
};

const send: ShapeChecks['send'] = (c, shape, { where }) => {
  if (!PORT_PATTERN.test(shape.port ?? ''))
    c.problems.push(`${where}: send "${shape.id}" needs a port name matching ${PORT_PATTERN} (it names a queue)`);
  else c.ports.add(shape.port);
  if (!shape.messageType) c.problems.push(`${where}: send "${shape.id}" needs a messageType`);
  else c.checkType(shape.messageType, shape.schema, where);
  if (shape.initializes !== undefined) {
    const set = c.definition.correlationSets?.[shape.initializes];
    if (!set)
      c.problems.push(
        `${where}: send "${shape.id}" initializes correlation set "${shape.initializes}", which is not defined`,
      );
    else if (!set[shape.messageType])
      c.problems.push(
        `${where}: correlation set "${shape.initializes}" has no key for message type "${shape.messageType}", which send "${shape.id}" initializes it with`,
      );
    else c.sendInitialized.add(shape.initializes);
  }
};

const start: ShapeChecks['start'] = (c, shape, { where }) => {
  if (!NAME_PATTERN.test(shape.orchestration ?? ''))
    c.problems.push(`${where}: start "${shape.id}" needs the name of the orchestration to start`);
  else c.starts.add(shape.orchestration);
};

/** A listen: two branches or more, one timeout at most; its receives never activate. */
const listen: ShapeChecks['listen'] = (c, shape, { where, key, successor, prefix, calling }) => {
  const entries = new Map<string, string>();
  const delays = shape.branches.filter((b) => b.trigger.kind === 'delay');
  if (shape.branches.length < 2) c.problems.push(`${where}: listen "${shape.id}" needs at least two branches`);
  if (delays.length > 1) c.problems.push(`${where}: listen "${shape.id}" has more than one timeout`);
  shape.branches.forEach((branch, b) => {
    const trigger = branch.trigger;
    if (trigger.kind === 'receive') {
      if (trigger.activate) c.problems.push(`${where}.branches[${b}]: a listen's receive cannot activate`);
      c.checkReceive(trigger, `${where}.branches[${b}]`);
    }
    c.register(prefix + trigger.id, trigger, `${where}.branches[${b}]`);
    entries.set(branch.name, c.visit(branch.steps, successor, `${where}.branches[${b}]`, prefix, calling));
  });
  c.branchEntry.set(key, entries);
};

/** A decide: at least one branch, each named once, and `otherwise`. */
const decide: ShapeChecks['decide'] = (c, shape, { where, key, successor, prefix, calling }) => {
  if (shape.branches.length === 0) c.problems.push(`${where}: decide "${shape.id}" needs at least one branch`);
  const entries = new Map<string, string>();
  const names = new Set<string>();
  shape.branches.forEach((branch, b) => {
    if (names.has(branch.name))
      c.problems.push(`${where}: decide "${shape.id}" has two branches named "${branch.name}"`);
    names.add(branch.name);
    entries.set(branch.name, c.visit(branch.steps, successor, `${where}.branches[${b}]`, prefix, calling));
  });
  entries.set('otherwise', c.visit(shape.otherwise, successor, `${where}.otherwise`, prefix, calling));
  c.branchEntry.set(key, entries);
};

/** Parallel Actions: branches named once, each ending at the join marker, with no receive or end in them. */
const parallel: ShapeChecks['parallel'] = (c, shape, { where, key, prefix, calling }) => {
  if (shape.branches.length === 0) c.problems.push(`${where}: parallel "${shape.id}" needs at least one branch`);
  const join = `${key}$join`;
  c.shapes.set(join, { kind: 'branchEnd', id: join, parallel: key });
  // The merge: compiled once, every branch going on to it (each in its own instance) and from it to the join.
  const merge = shape.merge ?? [];
  c.forbid(
    merge,
    ['receive', 'listen', 'complete', 'terminate'],
    `${where}.merge`,
    'cannot be in a parallel merge: it runs in each branch',
  );
  const merged = c.visit(merge, join, `${where}.merge`, prefix, calling);
  const entries = new Map<string, string>();
  shape.branches.forEach((branch, b) => {
    if (!ID_PATTERN.test(branch.name))
      c.problems.push(`${where}.branches[${b}]: branch name "${branch.name}" must match ${ID_PATTERN}`);
    if (entries.has(branch.name))
      c.problems.push(`${where}: parallel "${shape.id}" has two branches named "${branch.name}"`);
    c.forbid(
      branch.steps,
      ['receive', 'listen', 'complete', 'terminate'],
      `${where}.branches[${b}]`,
      'cannot be in a parallel branch: messages and the end of the orchestration belong to the orchestration, not to a branch',
    );
    if (branch.when !== undefined && typeof branch.when !== 'function')
      c.problems.push(`${where}.branches[${b}]: the guard of branch "${branch.name}" must be a function`);
    entries.set(branch.name, c.visit(branch.steps, merged, `${where}.branches[${b}]`, prefix, calling));
  });
  c.branchEntry.set(key, entries);
  const policy = joinPolicyProblem(shape.join, shape.branches.length);
  if (policy) c.problems.push(`${where}: parallel "${shape.id}" ${policy}`);
  if (shape.rest !== undefined && !['cancel', 'ignore', 'block'].includes(shape.rest))
    c.problems.push(
      `${where}: parallel "${shape.id}" has rest ${JSON.stringify(shape.rest)}: it must be 'cancel', 'ignore' or 'block'`,
    );
};

/**
 * For Each: its steps end at the lane's marker (which takes the next item), with no receive or end in them; its
 * options checked as far as they can be before the items are known.
 */
const forEach: ShapeChecks['forEach'] = (c, shape, { where, key, prefix, calling }) => {
  if (typeof shape.items !== 'function')
    c.problems.push(`${where}: forEach "${shape.id}" needs a function that lists its items`);
  if (!Array.isArray(shape.steps) || shape.steps.length === 0)
    c.problems.push(`${where}: forEach "${shape.id}" needs at least one step`);
  const next = `${key}$next`;
  c.shapes.set(next, { kind: 'forEachNext', id: next, forEach: key });
  c.next.set(next, next);
  c.forbid(
    shape.steps ?? [],
    ['receive', 'listen', 'complete', 'terminate'],
    `${where}.steps`,
    'cannot be in a forEach: messages and the end of the orchestration belong to the orchestration, not to an item',
  );
  c.branchEntry.set(key, new Map([['body', c.visit(shape.steps ?? [], next, `${where}.steps`, prefix, calling)]]));
  const lanes = shape.maxConcurrency;
  if (lanes !== undefined && (!Number.isInteger(lanes) || lanes < 1 || lanes > FOR_EACH_LANES.max))
    c.problems.push(
      `${where}: forEach "${shape.id}" has maxConcurrency ${lanes}: it must be a whole number from 1 to ${FOR_EACH_LANES.max}`,
    );
  if (shape.into !== undefined && (typeof shape.into !== 'string' || shape.into.length === 0))
    c.problems.push(`${where}: forEach "${shape.id}" has into ${JSON.stringify(shape.into)}: it must name a variable`);
  if (shape.into !== undefined && typeof shape.result !== 'function')
    c.problems.push(
      `${where}: forEach "${shape.id}" gathers results into "${shape.into}" but says no result: give result: (ctx) => ...`,
    );
  const policy = joinPolicyProblem(shape.join);
  if (policy) c.problems.push(`${where}: forEach "${shape.id}" ${policy}`);
  if (shape.rest !== undefined && !['cancel', 'ignore', 'block'].includes(shape.rest))
    c.problems.push(
      `${where}: forEach "${shape.id}" has rest ${JSON.stringify(shape.rest)}: it must be 'cancel', 'ignore' or 'block'`,
    );
};

/** What is wrong with a join policy, if anything (an `atLeast` function is checked when it runs). */
function joinPolicyProblem(join: ParallelShape['join'], branches?: number): string | undefined {
  if (join === undefined || join === 'all' || join === 'first') return undefined;
  if (typeof join !== 'object' || join === null || !('atLeast' in join))
    return `has join ${JSON.stringify(join)}: it must be 'all', 'first' or { atLeast: n }`;
  const n = join.atLeast;
  if (typeof n === 'function') return undefined;
  if (branches === undefined && (!Number.isInteger(n) || n < 1))
    return `joins at least ${n} items: it must be a whole number from 1 (to its number of items)`;
  if (branches !== undefined && (!Number.isInteger(n) || n < 1 || n > branches))
    return `joins at least ${n} branches: it must be a whole number from 1 to its ${branches} branch(es)`;
  return undefined;
}

/** A call: its callee compiled in under the call's key, never recursively, with no receive or end of its own. */
const call: ShapeChecks['call'] = (c, shape, { where, key, successor, calling }) => {
  const callee = shape.callee;
  if (!callee || !Array.isArray(callee.steps)) {
    c.problems.push(`${where}: call "${shape.id}" needs a callable orchestration`);
    return;
  }
  if (calling.includes(callee.name)) {
    c.problems.push(
      `${where}: call "${shape.id}" calls ${callee.name}, which is already being called (${[...calling, callee.name].join(' → ')}); recursion has no bound`,
    );
    return;
  }
  c.forbid(
    callee.steps,
    ['receive', 'listen', 'complete'],
    `${where}.callee ${callee.name}`,
    'cannot be in a called orchestration: it receives through its caller and returns at its end',
  );
  const body = c.visit(callee.steps, successor, `${where}.callee`, `${key}/`, [...calling, callee.name]);
  c.branchEntry.set(key, new Map([['body', body]]));
};

/**
 * A child orchestration: its callee compiled once, under `child:<name>/`, however many child shapes run it (itself
 * among them: recursion links to the program being compiled), ending at its result marker. Two callables of one name
 * would be two programs under one prefix: refused.
 */
const child: ShapeChecks['child'] = (c, shape, { where, key }) => {
  const callee = shape.callee;
  if (!callee || !Array.isArray(callee.steps) || callee.steps.length === 0) {
    c.problems.push(`${where}: child "${shape.id}" needs a callable orchestration with at least one step`);
    return;
  }
  if (shape.into !== undefined && (typeof shape.into !== 'string' || shape.into.length === 0))
    c.problems.push(`${where}: child "${shape.id}" has into ${JSON.stringify(shape.into)}: it must name a variable`);
  const program = `child:${callee.name}`;
  c.branchEntry.set(key, new Map([['body', `${program}/${callee.steps[0]!.id}`]]));
  const known = childPrograms.get(c) ?? new Map<string, unknown>();
  childPrograms.set(c, known);
  if (known.has(callee.name)) {
    if (known.get(callee.name) !== callee)
      c.problems.push(
        `${where}: child "${shape.id}" runs a callable named ${callee.name}, and another callable has that name`,
      );
    return;
  }
  known.set(callee.name, callee);
  const end = `${program}/$end`;
  c.shapes.set(end, {
    kind: 'childEnd',
    id: end,
    callee: callee.name,
    ...(callee.result ? { result: callee.result } : {}),
  });
  c.next.set(end, END);
  c.forbid(
    callee.steps,
    ['receive', 'listen', 'complete', 'terminate'],
    `${where}.callee ${callee.name}`,
    'cannot be in a child orchestration: messages and the end of the orchestration belong to the orchestration, and a child returns at its end',
  );
  c.visit(callee.steps, end, `${where}.callee ${callee.name}`, `${program}/`, []);
};

/** The callables a compilation compiled as child programs, by name. */
const childPrograms = new WeakMap<object, Map<string, unknown>>();

/** Nothing of their own to check: what they run is the definition's code, checked when it runs. */
const none = () => {};

/** One check per shape kind: a new kind does not compile until it has one. */
export const SHAPE_CHECKS: ShapeChecks = {
  scope,
  loop,
  until,
  stateMachine,
  receive,
  code,
  delay,
  send,
  start,
  listen,
  decide,
  parallel,
  call,
  child,
  forEach,
  throw: none,
  compensate: (c, shape, site) => {
    if (shape.scope === undefined) return;
    // Checked once every shape is compiled: the scope may come after the Compensate.
    const target = site.prefix + shape.scope;
    c.after.push(() => {
      const found = c.shapes.get(target);
      if (found?.kind !== 'scope')
        c.problems.push(
          `${site.where}: compensate "${shape.id}" names scope "${shape.scope}", which is not a scope of this orchestration`,
        );
      else if (!c.branchEntry.get(target)?.has('compensation'))
        c.problems.push(
          `${site.where}: compensate "${shape.id}" names scope "${shape.scope}", which has no compensation`,
        );
    });
  },
  terminate: none,
  suspend: none,
  complete: none,
};
