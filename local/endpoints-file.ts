import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** What a client needs to talk to a running cluster (LocalCluster.describe()), and who runs it. */
export interface ClusterRecord {
  readonly endpoint: string;
  readonly region?: string;
  readonly tableName: string;
  readonly receiveQueueUrl: string;
  readonly sendQueueUrl: string;
  readonly sendPortQueueUrls: Readonly<Record<string, string>>;
  readonly workQueueUrl: string;
  /** The `npm start` process that runs it; the file is the cluster's only while that process lives. */
  readonly pid: number;
  readonly startedAt: string;
}

/**
 * `<BATON_HOME>/endpoints.json`: how the CLI finds the cluster `npm start` runs. One running cluster owns a
 * BATON_HOME: a second start refuses to take it over, and the owner removes it when it stops, so a command
 * after Ctrl-C says "no cluster is running" rather than failing to connect.
 */
export class EndpointsFile {
  readonly path: string;

  constructor(workDir: string) {
    this.path = resolve(workDir, 'endpoints.json');
  }

  /** The running cluster, or why there is none (a sentence for the user). */
  read(): { cluster: ClusterRecord } | { none: string } {
    if (!existsSync(this.path)) return { none: `no cluster is running here (no ${this.path}): start one with "npm start"` };
    let record: ClusterRecord;
    try {
      record = JSON.parse(readFileSync(this.path, 'utf8')) as ClusterRecord;
    } catch {
      return { none: `no cluster is running here (${this.path} is unreadable): start one with "npm start"` };
    }
    if (!alive(record.pid)) return { none: `no cluster is running here: the one started ${record.startedAt ?? ''} (pid ${record.pid}) has stopped; start one with "npm start"` };
    return { cluster: record };
  }

  /** @throws Error when another live cluster owns this BATON_HOME. */
  claim(description: Omit<ClusterRecord, 'pid' | 'startedAt'>): void {
    const current = this.read();
    if ('cluster' in current && current.cluster.pid !== process.pid) {
      throw new Error(`a cluster is already running here (pid ${current.cluster.pid}, ${current.cluster.endpoint}); stop it first, or give this one its own BATON_HOME (BATON_HOME=.baton-2 npm start -- --port 4567)`);
    }
    mkdirSync(resolve(this.path, '..'), { recursive: true });
    writeFileSync(this.path, `${JSON.stringify({ ...description, pid: process.pid, startedAt: new Date().toISOString() }, null, 2)}\n`);
  }

  /** Throws when another live cluster owns it (checked before anything starts). */
  assertFree(): void {
    const current = this.read();
    if ('cluster' in current && current.cluster.pid !== process.pid) {
      throw new Error(`a cluster is already running here (pid ${current.cluster.pid}, ${current.cluster.endpoint}); stop it first, or give this one its own BATON_HOME (BATON_HOME=.baton-2 npm start -- --port 4567)`);
    }
  }

  /** Removes the file if this process owns it. */
  release(): void {
    const current = this.read();
    if ('cluster' in current && current.cluster.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
