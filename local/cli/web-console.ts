/**
 * `baton console --stack NAME`: the web console of a deployed stack, on 127.0.0.1, with the operator's own AWS
 * credentials (the local cluster's is served by `baton start`).
 */
import { COMMANDS, invocation } from './commands.ts';
import { type CommandInput, endpoints } from './target.ts';
import { fail } from './values.ts';

export async function webConsole({ options, at }: CommandInput): Promise<void> {
  const { port, orchestrations } = options as { port?: number; orchestrations?: string };
  if (!at.stack) {
    const found = endpoints.read();
    const local =
      'cluster' in found && found.cluster.consoleUrl
        ? `; the local cluster's console is ${found.cluster.consoleUrl} ` +
          '(npm start serves it, and printed the URL with its access token)'
        : "; npm start serves the local cluster's console";
    const usage = COMMANDS.find((c) => c.name === 'console')!.usage;
    fail(
      `console needs --stack NAME (a deployed stack)${local}\n` +
        `usage: ${invocation('console')} ${usage}\n${invocation('console')} --help says more`,
    );
  }
  const { stackOperations, stackWhere } = await import('../../console/stack.ts');
  const { startConsole } = await import('../../console/server.ts');
  const { stack, identity } = await at.deployedStack(at.stack);
  const operations = stackOperations(stack, identity, await at.orchestrations(orchestrations));
  // One overview before serving: a table or queue this identity may not read says so now, not on every page.
  await operations.overview();
  const where = stackWhere(stack);
  const serve = (on: number) => startConsole({ operations, port: on, where });
  const running = await serve(port ?? 4580).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    if (port !== undefined)
      fail(`port ${port} is taken on 127.0.0.1: pick another with --port, or --port 0 for a free one`);
    return serve(0);
  });
  const queues = ['receive', 'work', ...Object.keys(stack.sendPortQueueUrls)];
  const withDlq = queues.filter((q) => stack.deadLetterQueueUrls?.[q]);
  console.log(`Baton console for ${where}`);
  console.log(`  stack status:   ${stack.status ?? 'unknown'}`);
  const unverified = identity.unverified ? `\n                  (${identity.unverified})` : '';
  console.log(`  acting as:      ${identity.operator}${unverified}`);
  console.log(`  MessageBox:     ${stack.tableName}`);
  console.log(`  history:        ${stack.historyTableName}`);
  const dlqs = withDlq.length === queues.length ? 'each with its DLQ' : `DLQs: ${withDlq.join(', ') || 'none'}`;
  console.log(`  queues:         ${queues.join(', ')} (${dlqs})`);
  console.log('  host instances: from the tracked history (Lambda execution environments seen in the last hour)');
  console.log(`  web console:    ${running.openUrl}`);
  console.log(
    '                  (this machine only; the token in it is the key: it is printed once, and not written down)',
  );
  console.log('Ctrl-C stops it.');
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
