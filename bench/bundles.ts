import { build, type BuildOptions } from 'esbuild';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { HOST_BUNDLING } from '../infra/constructs/HostFunction.ts';
import { entrySource } from '../infra/constructs/Baton.ts';

/**
 * The project's target for a Lambda bundle (docs/architecture.md, Targets): ≤ 300 KB minified per function,
 * because a bigger bundle takes longer to load and parse at every cold start.
 */
export const BUNDLE_LIMIT_BYTES = 300 * 1024;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** The default stack (sample/BatonStack.ts) deploys the sample orchestrations; a user's module would be bundled the same way. */
const SAMPLE_MODULE = `${ROOT}/functions/orchestrations/index.ts`;
const HANDLERS = `${ROOT}/functions/handlers/index.ts`;

/**
 * Each function's entry, as the Baton construct generates it at synth (writeEntries, infra/constructs/Baton.ts):
 * the host factories wrap the orchestrations module; tracking runs no orchestration code, so it does not import it.
 * Built from memory here, so measuring writes nothing into the project's `.baton/`.
 */
const ENTRIES: readonly { function: string; factory: string; withOrchestrations: boolean }[] = [
  { function: 'ReceiveHost', factory: 'receiveHostHandler', withOrchestrations: true },
  { function: 'ProcessingHost', factory: 'processingHostHandler', withOrchestrations: true },
  { function: 'Sweeper', factory: 'sweeperHandler', withOrchestrations: true },
  { function: 'Tracking', factory: 'trackingHandler', withOrchestrations: false },
];

/** What NodejsFunction passes esbuild for every host (infra/constructs/HostFunction.ts); no sourcemap, as deployed. */
export const HOST_BUILD: BuildOptions = {
  ...HOST_BUNDLING,
  banner: { js: HOST_BUNDLING.banner },
  bundle: true,
  platform: 'node',
  format: 'esm',
  // On AWS the nodejs24.x runtime provides SDK v3 (the stack's default; `bundleAwsSdk` is for emulators only).
  external: ['@aws-sdk/*'],
  // NodejsFunction runs esbuild from the project root.
  absWorkingDir: ROOT,
};

export interface BundleSize {
  readonly function: string;
  /** The generated entry's imports, relative to the project root. */
  readonly entry: string;
  /** index.mjs, minified, as deployed. */
  readonly bytes: number;
  /** The same, gzipped: roughly what the deployment package's zip carries. */
  readonly gzipBytes: number;
}

/** Each Lambda function's bundle size, minified, bundled as the default stack bundles it for AWS. */
export async function bundleSizes(): Promise<BundleSize[]> {
  return Promise.all(
    ENTRIES.map(async ({ function: name, factory, withOrchestrations }) => {
      const result = await build({
        ...HOST_BUILD,
        stdin: {
          contents: entrySource(factory, HANDLERS, withOrchestrations ? SAMPLE_MODULE : undefined),
          resolveDir: ROOT,
          sourcefile: `${name}.mjs`,
          loader: 'js',
        },
        write: false,
        logLevel: 'silent',
      });
      const code = result.outputFiles[0]!.contents;
      const imports = [withOrchestrations ? SAMPLE_MODULE : undefined, HANDLERS]
        .filter((f) => f !== undefined)
        .map((f) => relative(ROOT, f));
      return {
        function: name,
        entry: imports.join(' + '),
        bytes: code.byteLength,
        gzipBytes: gzipSync(code).byteLength,
      };
    }),
  );
}
