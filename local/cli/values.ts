/**
 * How the CLI says no: a usage error (a bad option or value: its message names the option, and the CLI points to the
 * command's --help) or a plain failure (`fail`), both on stderr with exit code 2; and the checks of option values.
 */

/** A command given wrongly: an unknown option, a bad or missing value. The CLI adds where its --help is. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Says what went wrong, on stderr, and exits 2. */
export function fail(message: string): never {
  console.error(`baton: ${message}`);
  process.exit(2);
}

/** A value check of an option: the text given (or its default) in, the value out; a UsageError names the option. */
export type ValueCheck<T = unknown> = (text: string, flag: string) => T;

/** 500ms, 10s, 2m, 1h (seconds without a unit), in milliseconds. */
export const duration: ValueCheck<number> = (text, flag) => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} takes a duration such as 500ms, 10s, 2m (got "${text}")`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's']!;
  return Number(match[1]) * unit;
};

export const positiveInt: ValueCheck<number> = (text, flag) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} takes a positive integer (got "${text}")`);
  return n;
};

export const nonNegative: ValueCheck<number> = (text, flag) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} takes a non-negative number (got "${text}")`);
  return n;
};

/** A TCP port: 0 (a free one) to 65535. */
export const portNumber: ValueCheck<number> = (text, flag) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535)
    throw new UsageError(`${flag} takes a port number, 0 to 65535 (got "${text}")`);
  return n;
};

/** A name or a path: anything but nothing, or the next option taken for the value (`--stack --region x`). */
export const text: ValueCheck<string> = (given, flag) => {
  if (given.trim() === '' || given.startsWith('--')) throw new UsageError(`${flag} takes a value`);
  return given;
};

/** One of a few words. */
export const oneOf =
  (choices: readonly string[]): ValueCheck<string> =>
  (given, flag) => {
    if (!choices.includes(given)) throw new UsageError(`${flag} takes one of ${choices.join(', ')} (got "${given}")`);
    return given;
  };
