import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** What a client needs to talk to a running cluster (LocalCluster.describe()), and who runs it. */
export interface ClusterRecord {
  readonly endpoint: string;
  readonly region?: string;
  readonly tableName: string;
  /** The tracked history (absent in a record written by an older Baton). */
  readonly historyTableName?: string;
  readonly receiveQueueUrl: string;
  readonly sendQueueUrl: string;
  readonly sendPortQueueUrls: Readonly<Record<string, string>>;
  readonly workQueueUrl: string;
  readonly deadLetterQueueUrls?: Readonly<Record<string, string>>;
  /** The claim check's bucket (absent where the endpoint serves no S3, and in a record written by an older Baton). */
  readonly claimCheckBucket?: string;
  /**
   * What the host instances run (absent in a record written by an older Baton): the CLI loads the same definitions
   * for resume and terminate, which need them (a parallel join's branch instances, an orchestration to start).
   */
  readonly orchestrations?: ClusterOrchestrations;
  /**
   * The web console `npm start` serves (absent when it serves none): its address only. Its access token is printed
   * once by `npm start` and never written here; the commands need none (they talk to the endpoint, not the console).
   */
  readonly consoleUrl?: string;
  /** The `npm start` process that runs it; the file is the cluster's only while that process lives. */
  readonly pid: number;
  readonly startedAt: string;
}

/** The orchestrations module a cluster's host instances run, and the settings they give it. */
export interface ClusterOrchestrations {
  /** Its absolute path (`npm start -- --orchestrations F`); absent: the sample's. */
  readonly module?: string;
  /**
   * The settings the cluster gives the module over its own environment (the sample's flags, say): what
   * `orchestrations(env)` receives, over the CLI's environment.
   */
  readonly environment?: Readonly<Record<string, string>>;
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
    if (!existsSync(this.path))
      return { none: `no cluster is running here (no ${this.path}): start one with "npm start"` };
    let record: ClusterRecord;
    try {
      record = JSON.parse(readFileSync(this.path, 'utf8')) as ClusterRecord;
    } catch {
      return { none: `no cluster is running here (${this.path} is unreadable): start one with "npm start"` };
    }
    if (!alive(record.pid))
      return {
        none: `no cluster is running here: the one started ${record.startedAt ?? ''} (pid ${record.pid}) has stopped; start one with "npm start"`,
      };
    return { cluster: record };
  }

  /**
   * Takes this BATON_HOME for the running process. The file appears whole and only if it did not exist (written
   * aside, then hard-linked into place), so two starts cannot both believe they own it; a file left by a process
   * that is gone is replaced.
   *
   * @throws Error when another live cluster owns it.
   */
  claim(description: Omit<ClusterRecord, 'pid' | 'startedAt'>): void {
    mkdirSync(resolve(this.path, '..'), { recursive: true });
    const aside = `${this.path}.${process.pid}`;
    // Readable by its owner only: it names the endpoints, and nothing in it is anyone else's business.
    writeFileSync(
      aside,
      `${JSON.stringify({ ...description, pid: process.pid, startedAt: new Date().toISOString() }, null, 2)}\n`,
      { mode: 0o600 },
    );
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(aside, this.path);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
          this.assertFree();
          rmSync(this.path, { force: true }); // stale: its process is gone
        }
      }
    } finally {
      rmSync(aside, { force: true });
    }
  }

  /** Throws when another live cluster owns it (checked before anything starts). */
  assertFree(): void {
    const current = this.read();
    if ('cluster' in current && current.cluster.pid !== process.pid) {
      throw new Error(
        `a cluster is already running here (pid ${current.cluster.pid}, ${current.cluster.endpoint}); stop it first, or give this one its own BATON_HOME (BATON_HOME=.baton-2 npm start -- --port 4567)`,
      );
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
