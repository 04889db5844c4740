/**
 * The embedded tables kept in a folder (`npm start`'s `.baton/data`): every change is appended to one file as it is
 * made, a JSON line each, and the file is read back at start and rewritten as it then stands (the tables and their
 * items, without the history of changes that led there).
 *
 * A line is written with one `write` to the file before the request is answered: a process killed afterwards keeps
 * it (the OS has it), as dynalite's LevelDB kept its writes; the machine losing power may lose the last ones, as there
 * (neither syncs to disk). A last line cut short by a kill in the middle of its write is left out when the file is
 * read, and said so.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Item } from './expressions.ts';
import type { Tables } from './tables.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON protocol bodies
type Input = Record<string, any>;

/** A line of the file: a table-level action (replayed as it was made), or an item as it now is (or gone). */
type Line = { readonly a: string; readonly i: Input } | { readonly t: string; readonly i?: Item; readonly k?: Item };

/** The table-level actions that change what the file must keep. */
export const TABLE_ACTIONS = new Set([
  'CreateTable',
  'UpdateTable',
  'DeleteTable',
  'UpdateTimeToLive',
  'TagResource',
  'UntagResource',
]);

export class TableFile {
  readonly #path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * Reads the file into `tables`: the table actions through `replay` (which sets up what goes with a table, such as its
   * stream), the items straight in. Then rewrites it as it stands and keeps it open for the changes to come.
   */
  load(tables: Tables, replay: (action: string, input: Input) => void, log?: (line: string) => void): void {
    const actions: Line[] = [];
    if (existsSync(this.#path)) {
      const text = readFileSync(this.#path, 'utf8');
      const lines = text.split('\n');
      lines.forEach((raw, n) => {
        if (raw === '') return;
        let line: Line;
        try {
          line = JSON.parse(raw) as Line;
        } catch {
          // Only the last line can be cut short (a kill mid-write); anything else is a damaged file, said as such.
          log?.(
            n === lines.length - 1 || (n === lines.length - 2 && lines.at(-1) === '')
              ? `embedded tables: the last change in ${this.#path} was cut short (the process was killed while writing it); left out`
              : `embedded tables: line ${n + 1} of ${this.#path} is not JSON; left out`,
          );
          return;
        }
        if ('a' in line) {
          replay(line.a, line.i);
          actions.push(line);
        } else if (line.i) tables.restore(line.t, line.i);
        else if (line.k) tables.forget(line.t, line.k);
      });
    }
    // The file as it stands now: the table actions, then every item once.
    const fresh = `${this.#path}.new`;
    const fd = openSync(fresh, 'w');
    try {
      for (const line of actions) writeSync(fd, `${JSON.stringify(line)}\n`);
      for (const [table, item] of tables.everyItem()) writeSync(fd, `${JSON.stringify({ t: table, i: item })}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(fresh, this.#path);
    this.#fd = openSync(this.#path, 'a');
  }

  /** A table action that succeeded. */
  table(action: string, input: Input): void {
    this.#append({ a: action, i: input });
  }

  /** An item written (`item`), or deleted (`key`). */
  item(table: string, item: Item | undefined, key: Item | undefined): void {
    this.#append(item ? { t: table, i: item } : { t: table, k: key });
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #append(line: Line): void {
    if (this.#fd === undefined) throw new Error(`embedded tables: ${this.#path} is not open`);
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
  }
}
