/**
 * Loads an orchestrations module and checks it, as the hosts will: `node check-orchestrations.ts <module> <out>`,
 * with the hosts' settings in the environment. Writes what is deployed as JSON to <out>, or prints the problems
 * and exits 1.
 * The Baton construct runs it at synth, so a mistake fails `cdk synth` instead of a deployed host.
 */
import { writeFileSync } from 'node:fs';
import { OrchestrationRegistry } from '../functions/core/registry.ts';
import { loadOrchestrations } from '../functions/load-orchestrations.ts';

const [modulePath, out] = process.argv.slice(2);
try {
  if (!modulePath || !out) throw new Error('usage: check-orchestrations <module> <out.json>');
  const registry = new OrchestrationRegistry(await loadOrchestrations(modulePath, process.env));
  writeFileSync(out, JSON.stringify({ orchestrations: registry.list(), ports: [...registry.ports()].sort() }));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
