import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OrchestrationDefinition } from './core/definition.ts';
import { definitionsOf, type Environment } from './core/orchestrations-module.ts';

/** The sample's orchestrations module: what runs when no module is named. */
export const SAMPLE_ORCHESTRATIONS = fileURLToPath(new URL(`./orchestrations/index${extname()}`, import.meta.url));

/** `.ts` in a source checkout, `.js` in the installed package: this file's own extension. */
function extname(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js';
}

/**
 * Loads the orchestrations a module exports (see OrchestrationsModule), the way the local cluster, its host
 * instances and the construct's synth-time check all do: Node imports it, so a TypeScript module must use
 * only erasable syntax (Node's type stripping), as the local runtime runs it unbundled.
 *
 * @throws Error naming the module when it cannot be loaded or exports no orchestrations.
 */
export async function loadOrchestrations(
  modulePath: string | undefined,
  env: Environment,
): Promise<OrchestrationDefinition[]> {
  const path = resolve(modulePath ?? SAMPLE_ORCHESTRATIONS);
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new Error(`could not load orchestrations from ${modulePath ?? path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return definitionsOf(loaded, env, modulePath ?? path);
}
