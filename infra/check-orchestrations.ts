/**
 * Loads an orchestrations module and checks it, as the hosts will: `node check-orchestrations.ts <module>`,
 * with the hosts' settings in the environment. Prints what is deployed as JSON, or the problems and exit 1.
 * The Baton construct runs it at synth, so a mistake fails `cdk synth` instead of a deployed host.
 */
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { loadOrchestrations } from '../local/orchestrations.ts';

const modulePath = process.argv[2];
try {
  if (!modulePath) throw new Error('usage: check-orchestrations <module>');
  const registry = new OrchestrationRegistry(await loadOrchestrations(modulePath, process.env));
  console.log(JSON.stringify({ orchestrations: registry.list(), ports: [...registry.ports()].sort() }));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
