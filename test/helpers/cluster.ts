import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type ClusterOptions } from '../../local/cluster.ts';
import type { Target } from './targets.ts';

/** What a test sets of a cluster: the rest is two host instances on a free port, a short lease, a quick sweeper. */
export type TestClusterOptions = Omit<
  ClusterOptions,
  'instances' | 'port' | 'leaseMs' | 'workDir' | 'endpoint' | 'dynamodbEndpoint'
> &
  Partial<Pick<ClusterOptions, 'instances' | 'leaseMs'>>;

/**
 * A local cluster for the tests of the enclosing describe block, on `target`'s endpoints (its own embedded stack
 * without one): started before them in a work folder of its own, stopped, with the target, and the folder removed
 * after. Returns the cluster, once started.
 */
export function useLocalCluster(options: TestClusterOptions, target?: Target): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  let stopTarget: (() => Promise<void>) | undefined;
  let workDir: string | undefined;
  beforeAll(async () => {
    const started = target ? await target.start() : undefined;
    stopTarget = started?.stop;
    workDir = mkdtempSync(join(tmpdir(), 'baton-cluster-'));
    cluster = new LocalCluster({
      instances: 2,
      port: 0,
      leaseMs: 3_000,
      waitSeconds: 1,
      sweepEveryMs: 1_000,
      ...options,
      endpoint: started?.endpoint,
      dynamodbEndpoint: started?.dynamodbEndpoint,
      workDir,
    });
    await cluster.start();
    await cluster.waitUntilUp();
  });
  afterAll(async () => {
    await cluster?.stop();
    await stopTarget?.();
    if (workDir && !process.env.KEEP_WORKDIR) rmSync(workDir, { recursive: true, force: true });
  });
  return () => {
    if (!cluster) throw new Error('the cluster starts in beforeAll: use it in a test');
    return cluster;
  };
}
