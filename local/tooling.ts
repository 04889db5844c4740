/**
 * What the local cluster, the `baton` command and the web console run on, beyond what a Lambda bundle or a CDK app
 * needs: the emulators, the console's server, the CLI's parser, the clients that read a deployed stack. The baton
 * package leaves them out of its dependencies (a Lambda project installs none of them); the baton-local package
 * (packages/baton-local) brings them, as a project's dev dependency. Imports none of them itself: it is what says
 * they are missing.
 */
export const LOCAL_TOOLING = [
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-dynamodb-streams',
  '@aws-sdk/client-sts',
  '@hono/node-server',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
  'commander',
  'dynalite',
  'fast-xml-parser',
  'fauxqs',
  'hono',
] as const;

/** The packages of LOCAL_TOOLING that do not resolve from here (none, once baton-local is installed). */
export function missingLocalTooling(): string[] {
  return LOCAL_TOOLING.filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** The error to give when some are missing: what to install, in one line. */
export function localToolingProblem(what: string): string | undefined {
  const missing = missingLocalTooling();
  if (missing.length === 0) return undefined;
  return `${what} needs the baton-local package beside baton (npm install --save-dev baton-local): ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`;
}
