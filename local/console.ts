/**
 * The web console over a running local cluster: the cluster wires it (the console knows clusters only by their
 * addresses, console/local.ts).
 */
import { localOperator, operationsFor } from '../console/local.ts';
import type { Operations } from '../console/operations.ts';
import { startConsole, type RunningConsole } from '../console/server.ts';
import type { LocalCluster } from './cluster.ts';

/** The console's operations over a running local cluster, its host instances and its orchestrations included. */
export function localOperations(cluster: LocalCluster, operator = localOperator()): Operations {
  return operationsFor(cluster.describe(), {
    operator,
    hosts: () => ({
      hosts: cluster.hosts.map((h) => ({
        name: h.name,
        status: h.status,
        lastHeartbeat: h.busyAt || undefined,
        workItems: h.workItems,
        completed: h.completed,
        restarts: h.restarts,
        zone: 'local',
      })),
    }),
    orchestrations: {
      definitions: cluster.definitions,
      hint: `it is not among the orchestrations this cluster runs (${cluster.options.orchestrations ?? "the sample's"}); start it with the module that defines it (npm start -- --orchestrations F)`,
    },
  });
}

/** The console of a local cluster, on 127.0.0.1. */
export function startLocalConsole(cluster: LocalCluster, options: { port?: number } = {}): Promise<RunningConsole> {
  return startConsole({
    operations: localOperations(cluster),
    port: options.port ?? 0,
    where: `local cluster ${cluster.endpoint}`,
  });
}
