/**
 * The embedded stack keeps SQS in node:sqlite, which Node 22 announces as an experimental feature on every
 * start: a warning that tells a user nothing they can act on. This drops that one and prints every other.
 */
export function quietSqliteWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
    console.warn(`(node) ${warning.name}: ${warning.message}`);
  });
}
