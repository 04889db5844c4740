/**
 * The embedded stack keeps SQS in node:sqlite, which Node 22 announces as an experimental feature when it is first
 * loaded: a warning that tells a user nothing they can act on, and that showed in every test run of theirs that starts
 * a local cluster. Imported for its effect before anything that loads fauxqs (see embedded-stack.ts): from then on
 * that one warning is dropped where it is emitted; every other warning, and every listener of the process's, is left
 * as it was.
 */
const emitWarning = process.emitWarning;
process.emitWarning = function emitUnlessSqlite(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
  const text = typeof warning === 'string' ? warning : warning.message;
  const options = rest[0];
  const type =
    typeof warning === 'string'
      ? typeof options === 'string'
        ? options
        : (options as { type?: string })?.type
      : warning.name;
  if (type === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
  return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
} as typeof process.emitWarning;

/** For the CLI's own process: the same warning dropped whenever it comes, every other printed as Node would. */
export function quietSqliteWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
    console.warn(`(node) ${warning.name}: ${warning.message}`);
  });
}
