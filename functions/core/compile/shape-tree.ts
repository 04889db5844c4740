import type { CallableOrchestration, Shape } from '../definition.ts';

/** The shapes nested directly inside a shape (branches, bodies, handlers, a callee's steps). */
export function childBlocks(shape: Shape): (readonly Shape[])[] {
  switch (shape.kind) {
    case 'decide':
      return [...shape.branches.map((b) => b.steps), shape.otherwise];
    case 'listen':
      return shape.branches.map((b) => b.steps);
    case 'loop':
    case 'forEach':
    case 'until':
      return [shape.steps];
    case 'stateMachine':
      return Object.values(shape.states ?? {}).map((state) => state?.steps ?? []);
    case 'scope':
      return [
        shape.steps,
        shape.onError ?? [],
        shape.compensation ?? [],
        ...(shape.events ?? []).flatMap((e) => [[e.trigger], e.steps]),
      ];
    case 'parallel':
      return [...shape.branches.map((b) => b.steps), shape.merge ?? []];
    case 'call':
    case 'child':
      return [shape.callee.steps];
    default:
      return [];
  }
}

/** Every shape in a block, nested ones included, depth first; a callee's shapes once, however often (or deep) it is called. */
export function* allShapes(block: readonly Shape[], seen = new Set<CallableOrchestration>()): Generator<Shape> {
  for (const shape of block) {
    yield shape;
    if (shape.kind === 'call' || shape.kind === 'child') {
      if (seen.has(shape.callee)) continue;
      seen.add(shape.callee);
    }
    for (const child of childBlocks(shape)) yield* allShapes(child, seen);
  }
}

/**
 * Every shape a block runs in the instance that runs it and in the branch instances it forks (nested and called ones
 * included), not in a child orchestration's instance: what shares that instance's locks (core/locks.ts).
 */
export function* sameInstanceShapes(
  block: readonly Shape[],
  seen = new Set<CallableOrchestration>(),
): Generator<Shape> {
  for (const shape of block) {
    yield shape;
    if (shape.kind === 'child') continue;
    if (shape.kind === 'call') {
      if (seen.has(shape.callee)) continue;
      seen.add(shape.callee);
    }
    for (const child of childBlocks(shape)) yield* sameInstanceShapes(child, seen);
  }
}
