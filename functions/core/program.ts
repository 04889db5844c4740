import type { StepContext } from './context.ts';
import type { CorrelationSet, ReceiveShape, Shape } from './definition.ts';
import type { Schema } from './schema.ts';

/** What compiling a definition makes of it: the program hosts run, with the compiler's markers among its shapes. */

/** The end of a fan-out's steps: a lane records the item's result and takes its next item, or ends. */
export interface ForEachNextMarker {
  readonly kind: 'forEachNext';
  readonly id: string;
  readonly forEach: string;
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

/** The end of a child orchestration's steps, where the child instance returns its result to its parent. */
export interface ChildEndMarker {
  readonly kind: 'childEnd';
  readonly id: string;
  /** The callee's name. */
  readonly callee: string;
  readonly result?: (ctx: StepContext) => unknown;
}

/** The end of a scope's non-interrupting event handler: the thread goes back to where the scope waited. */
export interface EventEndMarker {
  readonly kind: 'eventEnd';
  readonly id: string;
  readonly scope: string;
}

export interface BranchEndMarker {
  readonly kind: 'branchEnd';
  readonly id: string;
  readonly parallel: string;
}

/**
 * Compiler-made markers of the loops: the end of an until-loop's body, where its condition is checked; the end of a
 * state of a state machine, where its `next` chooses the state after it. The cursor at one says where the loop is.
 */
export interface UntilCheckMarker {
  readonly kind: 'untilCheck';
  readonly id: string;
  readonly until: string;
}

export interface StateEndMarker {
  readonly kind: 'stateEnd';
  readonly id: string;
  readonly machine: string;
  readonly state: string;
}

/** What the compiled program holds: the user's shapes and the compiler's markers. */
export type ProgramShape =
  | Shape
  | ScopeMarker
  | BranchEndMarker
  | ChildEndMarker
  | ForEachNextMarker
  | EventEndMarker
  | UntilCheckMarker
  | StateEndMarker;

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
