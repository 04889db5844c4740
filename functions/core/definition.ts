import { DefinitionError } from './errors.ts';
import type { StepContext } from './context.ts';
import { type InboundMessage, MESSAGE_TYPE_PATTERN } from './message.ts';
import type { Schema } from './schema.ts';

/** Property filter on an inbound message's context properties (message attributes). All must match. */
export interface PropertyFilter {
  readonly property: string;
  readonly equals: string;
}

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubles after each failure. */
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 50 };

/**
 * A correlation set: how to read its key from each message type that takes part in it (BizTalk's
 * correlation type, with the promoted property read by a function).
 */
export type CorrelationSet = Readonly<Record<string, (message: InboundMessage) => string | undefined>>;

/**
 * A receive. The activating one (first step) starts a new instance for a message of its type; with
 * `correlation` it also initializes that correlation set, which makes a convoy: later messages with the
 * same key go to that instance, never to a new one. A later (non-activating) receive waits for a message
 * of its type whose key matches the set the instance initialized.
 */
export interface ReceiveShape {
  readonly kind: 'receive';
  readonly id: string;
  readonly messageType: string;
  /** The message type's schema, when it was declared with one (see `messageType`). */
  readonly schema?: Schema;
  readonly activate: boolean;
  readonly filter?: readonly PropertyFilter[];
  /** Name of the message variable the received message is bound to. */
  readonly into: string;
  /** Correlation set this receive initializes (activating) or follows (later receives). */
  readonly correlation?: string;
}

export interface CodeShape {
  readonly kind: 'code';
  readonly id: string;
  readonly run: (ctx: StepContext) => void | Promise<void>;
  readonly retry?: RetryPolicy;
  /**
   * Persist right after this step (a persistence point), so a crash later never repeats it.
   * Use it after a step whose work is slow or must not run twice.
   */
  readonly persistAfter?: boolean;
  /**
   * Run only while holding the lease (a claim write first, heartbeats while it runs). For steps that
   * touch the outside world directly or run longer than a few seconds; pure steps run optimistically.
   */
  readonly exclusive?: boolean;
}

export interface DecideBranch {
  readonly name: string;
  readonly when: (ctx: StepContext) => boolean;
  readonly steps: readonly Shape[];
}

export interface DecideShape {
  readonly kind: 'decide';
  readonly id: string;
  readonly branches: readonly DecideBranch[];
  readonly otherwise: readonly Shape[];
}

export interface SendShape {
  readonly kind: 'send';
  readonly id: string;
  /** Logical send port name; the runtime maps it to a queue. */
  readonly port: string;
  readonly messageType: string;
  /** The message type's schema: the body is validated against it before it enters the outbox. */
  readonly schema?: Schema;
  readonly body: (ctx: StepContext) => unknown;
}

/** A delay: the instance dehydrates and a durable timer wakes it. */
export interface DelayShape {
  readonly kind: 'delay';
  readonly id: string;
  /** How long, in ms: fixed, or computed from the instance when the delay starts. */
  readonly duration: number | ((ctx: StepContext) => number);
}

/** One way out of a listen: a correlated message, or a timeout. */
export interface ListenBranch {
  readonly name: string;
  readonly trigger: ReceiveShape | DelayShape;
  readonly steps: readonly Shape[];
}

/** Listen: waits for whichever comes first of several correlated receives or a timeout, and takes that branch. */
export interface ListenShape {
  readonly kind: 'listen';
  readonly id: string;
  readonly branches: readonly ListenBranch[];
}

/** Loop: runs its steps while the condition holds (checked before each pass). */
export interface LoopShape {
  readonly kind: 'loop';
  readonly id: string;
  readonly while: (ctx: StepContext) => boolean;
  readonly steps: readonly Shape[];
}

/** Throw: raises an orchestration error (with no scope to catch it, the instance is suspended with it). */
export interface ThrowShape {
  readonly kind: 'throw';
  readonly id: string;
  readonly error: (ctx: StepContext) => string;
}

/** Terminate: ends the instance at once, as terminated, with a reason. */
export interface TerminateShape {
  readonly kind: 'terminate';
  readonly id: string;
  readonly reason: (ctx: StepContext) => string;
}

/**
 * Scope: a unit of work with an exception handler and a compensation (a long-running transaction). When a
 * step inside fails past its retries, or a Throw inside is not caught by an inner scope, `onError` runs
 * instead of the rest of the scope. Once the scope completed, `compensation` is what undoes it: a
 * Compensate shape runs the compensations of completed scopes, newest first.
 */
export interface ScopeShape {
  readonly kind: 'scope';
  readonly id: string;
  readonly steps: readonly Shape[];
  readonly onError?: readonly Shape[];
  readonly compensation?: readonly Shape[];
}

/** Compensate: runs the compensation of every completed scope, in reverse order of completion. */
export interface CompensateShape {
  readonly kind: 'compensate';
  readonly id: string;
}

/** One branch of a Parallel Actions shape. */
export interface ParallelBranch {
  readonly name: string;
  readonly steps: readonly Shape[];
}

/**
 * Parallel Actions: every branch runs, each as a branch instance of its own in the MessageBox (its own
 * revision and lease, so two host instances can run two branches at once); the orchestration continues
 * once, when the last branch ends. Branch variables are copies taken at the fork; at the join the changes
 * each branch made are applied in branch order, and scopes the branches completed become compensable.
 * A branch cannot receive, listen, complete or terminate: those belong to the orchestration.
 */
export interface ParallelShape {
  readonly kind: 'parallel';
  readonly id: string;
  readonly branches: readonly ParallelBranch[];
}

/** An orchestration that others call: steps without an activating receive (BizTalk's callable orchestration). */
export interface CallableOrchestration {
  readonly name: string;
  readonly steps: readonly Shape[];
}

/**
 * Call Orchestration: runs the callee's steps inline, in this instance, on its variables (parameters by
 * reference), then continues after the call. Its shapes persist with the caller's state.
 */
export interface CallShape {
  readonly kind: 'call';
  readonly id: string;
  readonly callee: CallableOrchestration;
}

/**
 * Start Orchestration: activates a new instance of another orchestration (its newest version) with a message
 * built here, through the outbox: it happens once this step's persistence point is committed, and a retry
 * starts the same instance, not a second one. The caller does not wait for it.
 */
export interface StartShape {
  readonly kind: 'start';
  readonly id: string;
  /** Name of the orchestration to start; it must be deployed with this one. */
  readonly orchestration: string;
  /** The activation message's body; its type is the started orchestration's activating message type. */
  readonly body: (ctx: StepContext) => unknown;
}

/**
 * Compiler-made markers: the end of a scope's body, the end of a scope's compensation, the end of a
 * parallel branch (where a branch instance reports to its orchestration).
 */
export interface ScopeMarker {
  readonly kind: 'scopeEnd' | 'compensated';
  readonly id: string;
  readonly scope: string;
}

export interface BranchEndMarker {
  readonly kind: 'branchEnd';
  readonly id: string;
  readonly parallel: string;
}

export interface CompleteShape {
  readonly kind: 'complete';
  readonly id: string;
}

export type Shape =
  | ReceiveShape
  | CodeShape
  | DecideShape
  | SendShape
  | DelayShape
  | ListenShape
  | LoopShape
  | ThrowShape
  | TerminateShape
  | ScopeShape
  | CompensateShape
  | CompleteShape
  | ParallelShape
  | CallShape
  | StartShape;

/** What the compiled program holds: the user's shapes and the compiler's markers. */
export type ProgramShape = Shape | ScopeMarker | BranchEndMarker;

export interface OrchestrationDefinition {
  readonly name: string;
  readonly version: number;
  readonly steps: readonly Shape[];
  readonly correlationSets?: Readonly<Record<string, CorrelationSet>>;
}

/**
 * A definition checked and flattened: every shape knows where control goes after it. Shapes are keyed by
 * their id, prefixed with `<call id>/` inside a called orchestration (the same callee may be called twice).
 */
export interface CompiledOrchestration {
  readonly name: string;
  readonly version: number;
  readonly activation: ReceiveShape;
  readonly shapes: ReadonlyMap<string, ProgramShape>;
  /** Shape key → key of the shape that runs after it (END when the orchestration ends there). */
  readonly next: ReadonlyMap<string, string>;
  /** Shape key → branch name → key of the first shape of that branch (or the shape's successor if empty). */
  readonly branchEntry: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly first: string;
  readonly correlationSets: Readonly<Record<string, CorrelationSet>>;
  /** Later receives, by message type: the messages that are delivered to running instances. */
  readonly followers: ReadonlyMap<string, ReceiveShape>;
  /** Orchestrations this one starts (Start shapes): they must be deployed with it. */
  readonly starts: ReadonlySet<string>;
  /** Schemas of the message types this orchestration receives or sends, by type name. */
  readonly schemas: ReadonlyMap<string, Schema>;
  /** Send ports its Send shapes use. */
  readonly ports: ReadonlySet<string>;
}

/** Where the engine finds the schema a message type must match, and the message type an orchestration starts with. */
export interface MessageSchemas {
  schemaOf(messageType: string): Schema | undefined;
  activationTypeOf(orchestration: string): string | undefined;
}

export const END = '$end';

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A send port's name: part of its queue's name, so short and plain. */
const PORT_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;

/** The shapes nested directly inside a shape (branches, bodies, handlers, a callee's steps). */
export function childBlocks(shape: Shape): (readonly Shape[])[] {
  switch (shape.kind) {
    case 'decide':
      return [...shape.branches.map((b) => b.steps), shape.otherwise];
    case 'listen':
      return shape.branches.map((b) => b.steps);
    case 'loop':
      return [shape.steps];
    case 'scope':
      return [shape.steps, shape.onError ?? [], shape.compensation ?? []];
    case 'parallel':
      return shape.branches.map((b) => b.steps);
    case 'call':
      return [shape.callee.steps];
    default:
      return [];
  }
}

/** Every shape in a block, nested ones included, depth first; a callee's shapes once, however often it is called. */
export function* allShapes(block: readonly Shape[], seen = new Set<CallableOrchestration>()): Generator<Shape> {
  for (const shape of block) {
    yield shape;
    if (shape.kind === 'call') {
      if (seen.has(shape.callee)) continue;
      seen.add(shape.callee);
    }
    for (const child of childBlocks(shape)) yield* allShapes(child, seen);
  }
}

/**
 * Checks a definition and compiles it. Every problem is collected and reported at once.
 *
 * @throws DefinitionError when the definition is malformed.
 */
export function compile(definition: OrchestrationDefinition): CompiledOrchestration {
  const problems: string[] = [];
  const label = `${definition.name}@${definition.version}`;
  if (!NAME_PATTERN.test(definition.name)) problems.push(`name "${definition.name}" must match ${NAME_PATTERN}`);
  if (!Number.isInteger(definition.version) || definition.version < 1)
    problems.push('version must be a positive integer');

  const shapes = new Map<string, ProgramShape>();
  const next = new Map<string, string>();
  const branchEntry = new Map<string, Map<string, string>>();
  const followers = new Map<string, ReceiveShape>();
  const starts = new Set<string>();
  const schemas = new Map<string, Schema>();
  const ports = new Set<string>();
  const variables = new Map<string, string>();

  /** A message type is one contract: every shape that names it with a schema must name the same one. */
  const checkType = (messageType: string, schema: Schema | undefined, where: string) => {
    if (typeof messageType !== 'string' || !MESSAGE_TYPE_PATTERN.test(messageType)) {
      problems.push(`${where}: message type ${JSON.stringify(messageType)} must match ${MESSAGE_TYPE_PATTERN}`);
      return;
    }
    if (schema === undefined) return;
    const known = schemas.get(messageType);
    if (known !== undefined && known !== schema)
      problems.push(
        `${where}: message type "${messageType}" is declared with two different schemas; declare it once (messageType(...)) and use that`,
      );
    else schemas.set(messageType, schema);
  };

  const register = (key: string, shape: ProgramShape, where: string) => {
    if (shapes.has(key)) problems.push(`${where}: id "${shape.id}" is used twice`);
    shapes.set(key, shape);
  };

  const checkReceive = (shape: ReceiveShape, where: string) => {
    checkType(shape.messageType, shape.schema, where);
    // A message variable holds one type of message: step code reads its body as that type.
    const bound = variables.get(shape.into);
    if (bound !== undefined && bound !== shape.messageType)
      problems.push(
        `${where}: receive "${shape.id}" binds a ${shape.messageType} to message variable "${shape.into}", which holds ${bound} messages elsewhere`,
      );
    else variables.set(shape.into, shape.messageType);
    if (shape.correlation !== undefined) {
      const set = definition.correlationSets?.[shape.correlation];
      if (!set)
        problems.push(
          `${where}: receive "${shape.id}" uses correlation set "${shape.correlation}", which is not defined`,
        );
      else if (!set[shape.messageType])
        problems.push(
          `${where}: correlation set "${shape.correlation}" has no key for message type "${shape.messageType}"`,
        );
    } else if (!shape.activate) {
      problems.push(
        `${where}: receive "${shape.id}" must follow a correlation set (which instance would it belong to?)`,
      );
    }
    if (!shape.activate) {
      // The receive host routes by type to one correlation set: several receives of a type must agree on it.
      const other = followers.get(shape.messageType);
      if (other && other.correlation !== shape.correlation)
        problems.push(
          `${where}: receives of "${shape.messageType}" follow two correlation sets ("${other.correlation}", "${shape.correlation}"); one per message type`,
        );
      if (!other) followers.set(shape.messageType, shape);
    }
  };

  /** Shapes a block may not hold, with why (inside a parallel branch or a called orchestration). */
  const forbid = (block: readonly Shape[], kinds: readonly Shape['kind'][], where: string, why: string) => {
    for (const shape of allShapes(block)) {
      if (kinds.includes(shape.kind) && !(shape.kind === 'receive' && shape.activate))
        problems.push(`${where}: ${shape.kind} "${shape.id}" ${why}`);
    }
  };

  const visit = (
    block: readonly Shape[],
    after: string,
    path: string,
    prefix: string,
    calling: readonly string[],
  ): string => {
    if (block.length === 0) return after;
    block.forEach((shape, index) => {
      const where = `${path}[${index}]`;
      const key = prefix + shape.id;
      if (!ID_PATTERN.test(shape.id)) problems.push(`${where}: id "${shape.id}" must match ${ID_PATTERN}`);
      register(key, shape, where);
      const successor = block[index + 1] ? prefix + block[index + 1]!.id : after;
      next.set(key, shape.kind === 'complete' || shape.kind === 'terminate' ? END : successor);
      switch (shape.kind) {
        case 'scope': {
          if (shape.steps.length === 0) problems.push(`${where}: scope "${shape.id}" needs at least one step`);
          const end = `${key}$end`;
          const compensated = `${key}$compensated`;
          shapes.set(end, { kind: 'scopeEnd', id: end, scope: key });
          next.set(end, successor);
          shapes.set(compensated, { kind: 'compensated', id: compensated, scope: key });
          const entries = new Map<string, string>([
            ['body', visit(shape.steps, end, `${where}.steps`, prefix, calling)],
          ]);
          if (shape.onError)
            entries.set('onError', visit(shape.onError, successor, `${where}.onError`, prefix, calling));
          if (shape.compensation)
            entries.set(
              'compensation',
              visit(shape.compensation, compensated, `${where}.compensation`, prefix, calling),
            );
          branchEntry.set(key, entries);
          break;
        }
        case 'loop':
          if (shape.steps.length === 0) problems.push(`${where}: loop "${shape.id}" needs at least one step`);
          // The body's last step comes back to the loop, which checks its condition again.
          branchEntry.set(key, new Map([['body', visit(shape.steps, key, `${where}.steps`, prefix, calling)]]));
          break;
        case 'receive': {
          const isFirst = path === 'steps' && index === 0;
          if (shape.activate !== isFirst)
            problems.push(
              `${where}: receive "${shape.id}" ${isFirst ? 'must activate: it is the first step' : 'cannot activate: only the first step does'}`,
            );
          checkReceive(shape, where);
          break;
        }
        case 'code':
          if (shape.retry) {
            if (!Number.isInteger(shape.retry.attempts) || shape.retry.attempts < 1)
              problems.push(`${where}: retry.attempts must be ≥ 1`);
            if (!(shape.retry.backoffMs >= 0)) problems.push(`${where}: retry.backoffMs must be ≥ 0`);
          }
          break;
        case 'delay':
          if (typeof shape.duration === 'number' && !(shape.duration >= 0))
            problems.push(`${where}: delay "${shape.id}" needs a duration ≥ 0 ms`);
          break;
        case 'send':
          if (!PORT_PATTERN.test(shape.port ?? ''))
            problems.push(`${where}: send "${shape.id}" needs a port name matching ${PORT_PATTERN} (it names a queue)`);
          else ports.add(shape.port);
          if (!shape.messageType) problems.push(`${where}: send "${shape.id}" needs a messageType`);
          else checkType(shape.messageType, shape.schema, where);
          break;
        case 'start':
          if (!NAME_PATTERN.test(shape.orchestration ?? ''))
            problems.push(`${where}: start "${shape.id}" needs the name of the orchestration to start`);
          else starts.add(shape.orchestration);
          break;
        case 'listen': {
          const entries = new Map<string, string>();
          const delays = shape.branches.filter((b) => b.trigger.kind === 'delay');
          if (shape.branches.length < 2) problems.push(`${where}: listen "${shape.id}" needs at least two branches`);
          if (delays.length > 1) problems.push(`${where}: listen "${shape.id}" has more than one timeout`);
          shape.branches.forEach((branch, b) => {
            const trigger = branch.trigger;
            if (trigger.kind === 'receive') {
              if (trigger.activate) problems.push(`${where}.branches[${b}]: a listen's receive cannot activate`);
              checkReceive(trigger, `${where}.branches[${b}]`);
            }
            register(prefix + trigger.id, trigger, `${where}.branches[${b}]`);
            entries.set(branch.name, visit(branch.steps, successor, `${where}.branches[${b}]`, prefix, calling));
          });
          branchEntry.set(key, entries);
          break;
        }
        case 'decide': {
          if (shape.branches.length === 0) problems.push(`${where}: decide "${shape.id}" needs at least one branch`);
          const entries = new Map<string, string>();
          const names = new Set<string>();
          shape.branches.forEach((branch, b) => {
            if (names.has(branch.name))
              problems.push(`${where}: decide "${shape.id}" has two branches named "${branch.name}"`);
            names.add(branch.name);
            entries.set(branch.name, visit(branch.steps, successor, `${where}.branches[${b}]`, prefix, calling));
          });
          entries.set('otherwise', visit(shape.otherwise, successor, `${where}.otherwise`, prefix, calling));
          branchEntry.set(key, entries);
          break;
        }
        case 'parallel': {
          if (shape.branches.length === 0) problems.push(`${where}: parallel "${shape.id}" needs at least one branch`);
          const join = `${key}$join`;
          shapes.set(join, { kind: 'branchEnd', id: join, parallel: key });
          const entries = new Map<string, string>();
          shape.branches.forEach((branch, b) => {
            if (!ID_PATTERN.test(branch.name))
              problems.push(`${where}.branches[${b}]: branch name "${branch.name}" must match ${ID_PATTERN}`);
            if (entries.has(branch.name))
              problems.push(`${where}: parallel "${shape.id}" has two branches named "${branch.name}"`);
            forbid(
              branch.steps,
              ['receive', 'listen', 'complete', 'terminate'],
              `${where}.branches[${b}]`,
              'cannot be in a parallel branch: messages and the end of the orchestration belong to the orchestration, not to a branch',
            );
            entries.set(branch.name, visit(branch.steps, join, `${where}.branches[${b}]`, prefix, calling));
          });
          branchEntry.set(key, entries);
          break;
        }
        case 'call': {
          const callee = shape.callee;
          if (!callee || !Array.isArray(callee.steps)) {
            problems.push(`${where}: call "${shape.id}" needs a callable orchestration`);
            break;
          }
          if (calling.includes(callee.name)) {
            problems.push(
              `${where}: call "${shape.id}" calls ${callee.name}, which is already being called (${[...calling, callee.name].join(' → ')}); recursion has no bound`,
            );
            break;
          }
          forbid(
            callee.steps,
            ['receive', 'listen', 'complete'],
            `${where}.callee ${callee.name}`,
            'cannot be in a called orchestration: it receives through its caller and returns at its end',
          );
          branchEntry.set(
            key,
            new Map([
              ['body', visit(callee.steps, successor, `${where}.callee`, `${key}/`, [...calling, callee.name])],
            ]),
          );
          break;
        }
        default:
          break;
      }
    });
    return prefix + block[0]!.id;
  };

  const first = visit(definition.steps, END, 'steps', '', [definition.name]);
  const activation = definition.steps[0];
  if (activation?.kind !== 'receive') problems.push('the first step must be an activating receive');
  for (const follower of followers.values()) {
    if (activation?.kind === 'receive' && follower.correlation !== activation.correlation) {
      problems.push(
        `receive "${follower.id}" follows "${follower.correlation}", but the activating receive initializes ${activation.correlation ? `"${activation.correlation}"` : 'no correlation set'}`,
      );
    }
  }
  if (problems.length > 0) throw new DefinitionError(label, problems);

  return {
    name: definition.name,
    version: definition.version,
    activation: activation as ReceiveShape,
    shapes,
    next,
    branchEntry,
    first,
    correlationSets: definition.correlationSets ?? {},
    followers,
    starts,
    schemas,
    ports,
  };
}
