import { REPLY_SET } from '../correlation.ts';
import { END, ID_PATTERN, type OrchestrationDefinition, type ReceiveShape, type Shape } from '../definition.ts';
import type { ProgramShape } from '../program.ts';
import { MESSAGE_TYPE_PATTERN } from '../message.ts';
import { allShapes } from './shape-tree.ts';
import type { Schema } from '../schema.ts';

/** Where a shape sits while it is compiled: what a shape kind's check needs besides the shape. */
export interface Site {
  /** The shape's path in the definition, for problems (`steps[2].branches[0]`). */
  readonly where: string;
  /** Its key: its id, prefixed inside a called orchestration. */
  readonly key: string;
  /** The key of the shape that runs after it. */
  readonly successor: string;
  /** The path of the block it is in, and its index there. */
  readonly path: string;
  readonly index: number;
  readonly prefix: string;
  /** The orchestrations being called around it (a call must not recurse). */
  readonly calling: readonly string[];
}

/** A shape kind's own checks, and what it adds to the program (its branches' entries, its markers). */
export type ShapeCheck<S extends Shape> = (compiler: Compiler, shape: S, site: Site) => void;

/** One check per shape kind (checks.ts). */
export type ShapeChecks = { readonly [K in Shape['kind']]: ShapeCheck<Extract<Shape, { kind: K }>> };

/**
 * What compiling one definition builds (the flattened program: shapes, successors, branch entries) and finds wrong
 * (every problem, reported at once). Each shape kind's own checks are in checks.ts.
 */
export class Compiler {
  readonly definition: OrchestrationDefinition;
  readonly problems: string[] = [];
  /** Correlation sets a send initializes: a later receive may follow them, as it follows the activation's. */
  readonly sendInitialized = new Set<string>();
  /** Checks that need every shape compiled first (a Compensate's target scope may come after it), run by compile(). */
  readonly after: (() => void)[] = [];
  readonly shapes = new Map<string, ProgramShape>();
  readonly next = new Map<string, string>();
  readonly branchEntry = new Map<string, Map<string, string>>();
  readonly followers = new Map<string, ReceiveShape>();
  readonly starts = new Set<string>();
  readonly schemas = new Map<string, Schema>();
  readonly ports = new Set<string>();
  readonly #variables = new Map<string, string>();
  readonly #checks: ShapeChecks;

  constructor(definition: OrchestrationDefinition, checks: ShapeChecks) {
    this.definition = definition;
    this.#checks = checks;
  }

  /** Compiles a block; returns the key of its first shape (or `after`, for an empty block). */
  visit(block: readonly Shape[], after: string, path: string, prefix: string, calling: readonly string[]): string {
    if (block.length === 0) return after;
    block.forEach((shape, index) => {
      const where = `${path}[${index}]`;
      const key = prefix + shape.id;
      if (!ID_PATTERN.test(shape.id)) this.problems.push(`${where}: id "${shape.id}" must match ${ID_PATTERN}`);
      this.register(key, shape, where);
      const successor = block[index + 1] ? prefix + block[index + 1]!.id : after;
      this.next.set(key, shape.kind === 'complete' || shape.kind === 'terminate' ? END : successor);
      const check = this.#checks[shape.kind] as ShapeCheck<Shape>;
      check(this, shape, { where, key, successor, path, index, prefix, calling });
    });
    return prefix + block[0]!.id;
  }

  register(key: string, shape: ProgramShape, where: string): void {
    if (this.shapes.has(key)) this.problems.push(`${where}: id "${shape.id}" is used twice`);
    this.shapes.set(key, shape);
  }

  /** A message type is one contract: every shape that names it with a schema must name the same one. */
  checkType(messageType: string, schema: Schema | undefined, where: string): void {
    if (typeof messageType !== 'string' || !MESSAGE_TYPE_PATTERN.test(messageType)) {
      this.problems.push(`${where}: message type ${JSON.stringify(messageType)} must match ${MESSAGE_TYPE_PATTERN}`);
      return;
    }
    if (schema === undefined) return;
    const known = this.schemas.get(messageType);
    if (known !== undefined && known !== schema)
      this.problems.push(
        `${where}: message type "${messageType}" is declared with two different schemas; declare it once (messageType(...)) and use that`,
      );
    else this.schemas.set(messageType, schema);
  }

  checkReceive(shape: ReceiveShape, where: string): void {
    this.checkType(shape.messageType, shape.schema, where);
    // A message variable holds one type of message: step code reads its body as that type.
    const bound = this.#variables.get(shape.into);
    if (bound !== undefined && bound !== shape.messageType)
      this.problems.push(
        `${where}: receive "${shape.id}" binds a ${shape.messageType} to message variable "${shape.into}", which holds ${bound} messages elsewhere`,
      );
    else this.#variables.set(shape.into, shape.messageType);
    this.#checkCorrelation(shape, where);
    if (shape.transient !== undefined && typeof shape.transient !== 'boolean')
      this.problems.push(
        `${where}: receive "${shape.id}" has transient ${JSON.stringify(shape.transient)}: true or false`,
      );
    else if (shape.transient && shape.activate)
      this.problems.push(
        `${where}: receive "${shape.id}" cannot be transient: it activates, so no instance waits for its message`,
      );
    if (!shape.activate) {
      // The receive host routes by type to one correlation set: several receives of a type must agree on it.
      const other = this.followers.get(shape.messageType);
      if (other && other.correlation !== shape.correlation)
        this.problems.push(
          `${where}: receives of "${shape.messageType}" follow two correlation sets ("${other.correlation}", "${shape.correlation}"); one per message type`,
        );
      if (!other) this.followers.set(shape.messageType, shape);
    }
  }

  #checkCorrelation(shape: ReceiveShape, where: string): void {
    if (shape.correlation === undefined) {
      if (!shape.activate)
        this.problems.push(
          `${where}: receive "${shape.id}" must follow a correlation set (which instance would it belong to?)`,
        );
      return;
    }
    if (shape.correlation === REPLY_SET) {
      if (shape.activate)
        this.problems.push(
          `${where}: receive "${shape.id}" cannot activate as a reply: a reply answers a request an instance sent`,
        );
      return;
    }
    const set = this.definition.correlationSets?.[shape.correlation];
    if (!set)
      this.problems.push(
        `${where}: receive "${shape.id}" uses correlation set "${shape.correlation}", which is not defined`,
      );
    else if (!set[shape.messageType])
      this.problems.push(
        `${where}: correlation set "${shape.correlation}" has no key for message type "${shape.messageType}"`,
      );
  }

  /** Shapes a block may not hold, with why (inside a parallel branch or a called orchestration). */
  forbid(block: readonly Shape[], kinds: readonly Shape['kind'][], where: string, why: string): void {
    for (const shape of allShapes(block)) {
      // A reply belongs to the instance that sent its request (a branch's, a child's): it may be anywhere that sends,
      // and so may a listen for replies (or their timeout).
      const reply =
        (shape.kind === 'receive' && (shape.activate || shape.correlation === REPLY_SET)) ||
        (shape.kind === 'listen' &&
          shape.branches.every((b) => b.trigger.kind !== 'receive' || b.trigger.correlation === REPLY_SET));
      if (kinds.includes(shape.kind) && !reply) this.problems.push(`${where}: ${shape.kind} "${shape.id}" ${why}`);
    }
  }
}
