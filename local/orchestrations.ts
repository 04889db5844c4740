import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OrchestrationDefinition } from '../functions/core/definition.ts';
import { sampleOrchestrations, type SampleOptions } from '../functions/orchestrations/index.ts';

/**
 * The orchestrations a local host instance runs: the sample, or those of a module the user names
 * (`npm start -- --orchestrations ./my-orchestrations.ts`). The module exports `orchestrations`: an array
 * of definitions, or a function of the sample's options that returns one (to deploy the sample beside
 * your own, return `[...sampleOrchestrations(options), ...mine]`). On AWS the bundle's entry imports
 * `functions/orchestrations/index.ts`: add yours there.
 *
 * @throws Error naming the module when it cannot be loaded or exports no orchestrations.
 */
export async function loadOrchestrations(modulePath: string | undefined, sample: SampleOptions): Promise<OrchestrationDefinition[]> {
  if (!modulePath) return sampleOrchestrations(sample);
  const url = pathToFileURL(resolve(modulePath)).href;
  let loaded: { orchestrations?: unknown };
  try {
    loaded = (await import(url)) as { orchestrations?: unknown };
  } catch (error) {
    throw new Error(`could not load orchestrations from ${modulePath}: ${(error as Error).message}`, { cause: error });
  }
  const exported = typeof loaded.orchestrations === 'function' ? (loaded.orchestrations as (o: SampleOptions) => unknown)(sample) : loaded.orchestrations;
  if (!Array.isArray(exported) || exported.length === 0) {
    throw new Error(`${modulePath} must export "orchestrations": a non-empty array of definitions, or a function of the sample options returning one`);
  }
  return exported as OrchestrationDefinition[];
}
