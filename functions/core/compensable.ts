/**
 * Completed scopes with a compensation, as an instance keeps them: in order of completion, a scope completed several
 * times in a row (a scope in a loop) written once with its count, `reserve*250`, so a loop of many iterations keeps
 * one entry rather than one per iteration, and its compensation still runs once per completion. Shape ids cannot
 * contain `*` (definition.ts), so a plain id is a count of one: lists written before counts existed read the same.
 */
export type CompensableList = readonly string[];

function parse(entry: string): { scope: string; times: number } {
  const star = entry.lastIndexOf('*');
  return star < 0 ? { scope: entry, times: 1 } : { scope: entry.slice(0, star), times: Number(entry.slice(star + 1)) };
}

const format = (scope: string, times: number) => (times === 1 ? scope : `${scope}*${times}`);

/** The scope an entry of the list is a completion of. */
export function scopeOf(entry: string): string {
  return parse(entry).scope;
}

/** The list with `scope` completed `times` more times, after everything in it. */
export function completed(list: CompensableList, scope: string, times = 1): string[] {
  const last = list.at(-1);
  if (last !== undefined && parse(last).scope === scope)
    return [...list.slice(0, -1), format(scope, parse(last).times + times)];
  return [...list, format(scope, times)];
}

/** Two lists one after the other (a join appends what its branches completed). */
export function concat(list: CompensableList, more: CompensableList): string[] {
  return more.reduce<string[]>((all, entry) => completed(all, parse(entry).scope, parse(entry).times), [...list]);
}

/** The same completions, newest first: the order a Compensate shape runs them in. */
export function newestFirst(list: CompensableList): string[] {
  return [...list].reverse();
}

/** The next scope to compensate in a newest-first list, and what remains after it. */
export function takeNext(pending: CompensableList): { scope: string; rest: string[] } | undefined {
  const [first, ...others] = pending;
  if (first === undefined) return undefined;
  const { scope, times } = parse(first);
  return { scope, rest: times > 1 ? [format(scope, times - 1), ...others] : others };
}
