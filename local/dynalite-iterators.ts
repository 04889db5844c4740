import { createRequire } from 'node:module';

/**
 * dynalite 4 reads every Query and Scan through a LevelDB iterator wrapped in a stream, and releases it when the
 * stream ends by calling `iterator.return()` if the iterator has one. The iterators of abstract-level 3 (what
 * its `level` 10 and `memory-level` hand out) have `close()` but no `return()`, so none is ever released: each
 * keeps LevelDB's memtable and table files of its moment alive in native memory, out of the V8 heap's sight.
 * Under the soak's load that grew the `npm start` process by about 38 MB a minute, without end.
 *
 * Giving those iterators the `return()` dynalite asks for (the async-iterator protocol's "stop early", which is
 * what it means) releases each as its read ends. Done once, on the very abstract-level dynalite loads, before
 * the first iterator exists; left alone if a later abstract-level brings a `return()` of its own.
 */
export function releaseDynaliteIterators(): void {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const fromLevel = createRequire(fromDynalite.resolve('level'));
  // On disk it reads through level's classic-level, in memory through memory-level; each may bring its own abstract-level.
  for (const store of [fromLevel.resolve('classic-level'), fromDynalite.resolve('memory-level')]) {
    const { AbstractIterator } = createRequire(store)('abstract-level') as { AbstractIterator: { prototype: object } };
    // The common base of key, value and entry iterators holds close(); give it return() beside it.
    const common = Object.getPrototypeOf(AbstractIterator.prototype) as {
      close?: () => Promise<void>;
      return?: unknown;
    };
    if (typeof common.close !== 'function' || 'return' in common) continue;
    Object.defineProperty(common, 'return', {
      configurable: true,
      writable: true,
      value: async function (this: { close(): Promise<void> }) {
        await this.close();
        return { done: true, value: undefined };
      },
    });
  }
}
