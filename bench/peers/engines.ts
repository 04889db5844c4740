/**
 * The three engines of the peers part, each started on free ports of 127.0.0.1 in process groups of its own
 * (processes.ts), and stopped by them:
 *   baton    this checkout's local cluster, as `npm start` runs it (node --max-semi-space-size=8 local/cli.ts start),
 *            with a BATON_HOME of its own, in memory, 2 host instances, no console, cancellation window 0
 *   restate  restate-server (RocksDB; WAL fsync off, as Baton's emulator has none) and the SDK service
 *            (restate-service.ts), registered with the server's admin API
 *   dbos     a PostgreSQL cluster of its own (initdb; fsync, synchronous_commit and full_page_writes off, for the
 *            same reason), run as the `postgres` user when the bench runs as root, and the DBOS app (dbos-app.ts)
 * Each engine's processes are those whose CPU and memory are measured: no launcher (npm, sh) stands between.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import type { PeersInstall } from './install.ts';
import { batonClient, type Deliveries, type EngineClient, httpClient } from './load.ts';
import { freePort, listening, logTail, type Started, sleep, startGroup, stopGroup, waitFor } from './processes.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ENGINES = ['baton', 'restate', 'dbos'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface EngineContext {
  /** Baton's checkout: what `baton` runs. */
  readonly repoRoot: string;
  /** This run's folder: logs, BATON_HOME, Restate's and Postgres's data. */
  readonly runDir: string;
  readonly install?: PeersInstall;
  /** The sink's URL, for Restate and DBOS (Baton has its own send queue). */
  readonly sinkUrl?: string;
  readonly deliveries: Deliveries;
}

export interface RunningEngine {
  /** What ran, as the table names it. */
  readonly label: string;
  readonly versions: Record<string, string>;
  /** The roots of the process trees measured. */
  readonly roots: number[];
  readonly client: EngineClient;
  /** What the engine wrote to its store per order, read after the run (not timed). */
  storeWrites(orders: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const peerEnv = (ctx: EngineContext, port: number): NodeJS.ProcessEnv => ({
  ...process.env,
  PORT: String(port),
  SINK_URL: ctx.sinkUrl,
  CANCELLATION_WINDOW_MS: '0',
  BATON_PEERS_INSTALL: ctx.install?.dir,
});

/** Stops what was started so far when a start fails half-way, then rethrows. */
async function orStop<T>(started: Started[], start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    for (const s of started.reverse()) await stopGroup(s);
    throw error;
  }
}

// ---- Baton ----

export async function startBaton(ctx: EngineContext): Promise<RunningEngine> {
  const port = await freePort();
  const home = join(ctx.runDir, 'baton-home');
  mkdirSync(home, { recursive: true });
  const log = join(ctx.runDir, 'baton.log');
  const args = [
    '--in-memory',
    '--no-console',
    '--port',
    String(port),
    '--instances',
    '2',
    '--cancellation-window',
    '0ms',
  ];
  const cluster = startGroup('baton', process.execPath, ['--max-semi-space-size=8', 'local/cli.ts', 'start', ...args], {
    cwd: ctx.repoRoot,
    log,
    env: { ...process.env, BATON_HOME: home, POWERTOOLS_LOG_LEVEL: 'WARN' },
  });
  return orStop([cluster], async () => {
    await waitFor("Baton's local cluster", 240_000, () => readLog(log).includes('Running. Ctrl-C'), cluster);
    const text = readLog(log);
    const field = (name: string) => {
      const match = new RegExp(`^\\s*${name}:\\s+(\\S+)`, 'm').exec(text);
      if (!match) throw new Error(`Baton's cluster did not print its ${name}${logTail(log)}`);
      return match[1]!;
    };
    const endpoint = `http://127.0.0.1:${port}`;
    const queues = { receive: field('receive queue'), send: field('send queue') };
    const tables = { messageBox: field('MessageBox'), history: field('history') };
    const hosts = /^Baton local cluster: (.+?), state/m.exec(text)?.[1] ?? '2 host instances';
    const version = String(JSON.parse(readFileSync(join(ctx.repoRoot, 'package.json'), 'utf8')).version);
    const commit = gitCommit(ctx.repoRoot);
    return {
      label: `Baton ${version} (${commit.replace(/\+$/, ' with local changes')}; local cluster: ${hosts.replace('host instance(s)', 'host instances')}, in memory)`,
      versions: { baton: version, commit },
      roots: [cluster.pid],
      client: batonClient(endpoint, queues, ctx.deliveries),
      storeWrites: (orders) => batonStoreWrites(endpoint, tables, orders),
      // Ctrl-C's way: TERM to the cluster's process, which stops its host instances; then its group.
      stop: () => stopGroup(cluster, 'SIGTERM', 20_000),
    };
  });
}

/** This checkout's commit, `+` when its working tree has changes. */
function gitCommit(repoRoot: string): string {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 10_000 }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  return git('status', '--porcelain', '--untracked-files=no') ? `${head}+` : head;
}

/** Persistence points (each instance item's creation and its commits: 1 + rev) and history items, per order. */
async function batonStoreWrites(endpoint: string, tables: { messageBox: string; history: string }, orders: number) {
  const ddb = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const scan = async (table: string, each: (item: NonNullable<ScanCommandOutput['Items']>[number]) => void) => {
      let key: ScanCommandOutput['LastEvaluatedKey'];
      do {
        const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: key }));
        for (const item of page.Items ?? []) each(item);
        key = page.LastEvaluatedKey;
      } while (key);
    };
    let points = 0;
    let instances = 0;
    await scan(tables.messageBox, (item) => {
      if (item.sk?.S !== 'STATE') return;
      instances++;
      points += 1 + Number(item.rev?.N ?? 0);
    });
    let history = 0;
    await scan(tables.history, () => {
      history++;
    });
    return {
      persistencePointsPerOrder: round(points / orders),
      instanceItemsPerOrder: round(instances / orders),
      historyItemsPerOrder: round(history / orders),
    };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    ddb.destroy();
  }
}

// ---- Restate ----

export async function startRestate(ctx: EngineContext): Promise<RunningEngine> {
  const install = ctx.install;
  if (!install) throw new Error('the peers are not installed');
  const [ingress, admin, node, service] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const dir = join(ctx.runDir, 'restate');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'cluster-name = "baton-peers"',
      'node-name = "n1"',
      `base-dir = "${join(dir, 'data')}"`,
      `bind-address = "127.0.0.1:${node}"`,
      `advertised-address = "http://127.0.0.1:${node}/"`,
      'disable-telemetry = true',
      'log-filter = "warn"',
      '',
      '[ingress]',
      `bind-address = "127.0.0.1:${ingress}"`,
      '',
      '[admin]',
      `bind-address = "127.0.0.1:${admin}"`,
      '',
      // No fsync of the write-ahead logs: Baton's emulator syncs nothing either.
      '[bifrost.local]',
      'rocksdb-disable-wal-fsync = true',
      '',
      '[log-server]',
      'rocksdb-disable-wal-fsync = true',
      '',
    ].join('\n'),
  );
  const serverVersion = commandVersion(install.restateServer, ['--version']);
  const server = startGroup(
    'restate-server',
    install.restateServer,
    ['--config-file', config, '--no-logo', '--listen-mode', 'tcp'],
    {
      cwd: dir,
      log: join(dir, 'server.log'),
    },
  );
  const started = [server];
  return orStop(started, async () => {
    const adminUrl = `http://127.0.0.1:${admin}`;
    await waitFor(
      "Restate's admin API",
      120_000,
      async () => (await fetch(`${adminUrl}/health`, { signal: AbortSignal.timeout(2_000) })).ok,
      server,
    );
    const app = startGroup(
      'restate-service',
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(HERE, 'restate-service.ts')],
      {
        cwd: ctx.repoRoot,
        log: join(dir, 'service.log'),
        env: { ...peerEnv(ctx, service), RESTATE_LOGGING: 'WARN' },
      },
    );
    started.push(app);
    await waitFor('the Restate service endpoint', 60_000, () => listening(service), app);
    const registered = await fetch(`${adminUrl}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `http://127.0.0.1:${service}` }),
      signal: AbortSignal.timeout(30_000),
    });
    const answer = await registered.text();
    if (!registered.ok) throw new Error(`Restate did not register the service: ${registered.status} ${answer}`);
    await sleep(1_000);
    const ingressUrl = `http://127.0.0.1:${ingress}`;
    return {
      label: `Restate ${install.versions['@restatedev/restate-server']} (restate-server, RocksDB; a service on SDK ${install.versions['@restatedev/restate-sdk']})`,
      versions: { server: serverVersion, ...install.versions },
      roots: [server.pid, app.pid],
      client: httpClient((order) => `${ingressUrl}/OrderFulfilment/${encodeURIComponent(order.orderId)}/run/send`),
      storeWrites: (orders) => restateStoreWrites(adminUrl, orders),
      async stop() {
        await stopGroup(app);
        await stopGroup(server, 'SIGTERM', 20_000);
      },
    };
  });
}

/** Journal entries per order, by type (Restate's SQL introspection on its admin API). */
async function restateStoreWrites(adminUrl: string, orders: number): Promise<Record<string, unknown>> {
  try {
    const response = await fetch(`${adminUrl}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        query:
          "SELECT j.entry_type, count(*) AS n FROM sys_journal j JOIN sys_invocation i ON j.id = i.id WHERE i.target_service_name = 'OrderFulfilment' GROUP BY j.entry_type",
      }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return { error: `${response.status} ${await response.text()}` };
    const { rows } = (await response.json()) as { rows: { entry_type: string; n: number }[] };
    return {
      journalEntriesPerOrder: Object.fromEntries(rows.map((row) => [row.entry_type, round(Number(row.n) / orders)])),
      note: 'entries still in the journal of completed invocations (Restate keeps them for its retention period)',
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

// ---- DBOS on PostgreSQL ----

interface PostgresInstall {
  readonly bin: string;
  readonly version: string;
  readonly user?: { name: string; uid: number; gid: number };
}

/** Postgres's programs (PG_BIN, Debian's /usr/lib/postgresql/<v>/bin, or PATH) and the user to run them as. */
export function findPostgres(): PostgresInstall {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => (a === '15' ? -1 : b === '15' ? 1 : Number(b) - Number(a)))
    : [];
  const onPath = (process.env.PATH ?? '').split(':').filter((dir) => dir && existsSync(join(dir, 'initdb')));
  const candidates = [process.env.PG_BIN, ...versions.map((v) => join(debian, v, 'bin')), ...onPath].filter(
    (dir): dir is string => Boolean(dir),
  );
  const bin = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (!bin)
    throw new Error(
      `no PostgreSQL found (initdb and postgres in PG_BIN, ${debian}/<version>/bin or PATH): install it (Debian: apt-get install postgresql-15) or set PG_BIN`,
    );
  const version = commandVersion(join(bin, 'postgres'), ['--version']);
  if (process.getuid?.() !== 0) return { bin, version };
  // Postgres refuses to run as root: as `postgres` (or PG_USER).
  const name = process.env.PG_USER || 'postgres';
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (!entry)
    throw new Error(
      `the bench runs as root and Postgres needs a user of its own: there is no user "${name}" (set PG_USER)`,
    );
  return { bin, version, user: { name, uid: Number(entry[2]), gid: Number(entry[3]) } };
}

export async function startDbos(ctx: EngineContext): Promise<RunningEngine> {
  const install = ctx.install;
  if (!install) throw new Error('the peers are not installed');
  const pg = findPostgres();
  const dir = join(ctx.runDir, 'pg');
  mkdirSync(dir, { recursive: true });
  const as = pg.user ? { uid: pg.user.uid, gid: pg.user.gid } : {};
  if (pg.user) chownSync(dir, pg.user.uid, pg.user.gid);
  const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const data = join(dir, 'data');
  const initdb = startGroup(
    'initdb',
    join(pg.bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
    {
      cwd: dir,
      log: join(dir, 'initdb.log'),
      env,
      ...as,
    },
  );
  try {
    await waitFor('initdb', 120_000, () => initdb.exit !== undefined);
  } finally {
    await stopGroup(initdb);
  }
  if (initdb.exit?.code !== 0)
    throw new Error(`initdb failed (${JSON.stringify(initdb.exit)})${logTail(join(dir, 'initdb.log'))}`);
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${dir}`, 'max_connections=200'];
  // No fsync: Baton's emulator syncs nothing either.
  settings.push('fsync=off', 'synchronous_commit=off', 'full_page_writes=off');
  const postgres = startGroup(
    'postgres',
    join(pg.bin, 'postgres'),
    ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])],
    {
      cwd: dir,
      log,
      env,
      ...as,
    },
  );
  // Postgres's own fast shutdown: SIGINT to the postmaster.
  const stopPostgres = () => stopGroup(postgres, 'SIGINT', 30_000);
  const started = [postgres];
  return orStop(started, async () => {
    await waitFor('PostgreSQL', 60_000, () => readLog(log).includes('ready to accept connections'), postgres);
    const appPort = await freePort();
    const database = `postgres://postgres@127.0.0.1:${port}`;
    const app = startGroup(
      'dbos-app',
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(HERE, 'dbos-app.ts')],
      {
        cwd: ctx.repoRoot,
        log: join(ctx.runDir, 'dbos-app.log'),
        env: { ...peerEnv(ctx, appPort), DBOS_SYSTEM_DATABASE_URL: `${database}/baton_peers_dbos_sys` },
      },
    );
    started.push(app);
    await waitFor('the DBOS app', 120_000, () => readLog(app.log).includes('listening on'), app);
    return {
      label: `DBOS ${install.versions['@dbos-inc/dbos-sdk']} (DBOS Transact in the app's process; ${pg.version.replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL ').replace(/ \(.*\)$/, '')})`,
      versions: { postgres: pg.version, ...install.versions },
      roots: [app.pid, postgres.pid],
      client: httpClient(() => `http://127.0.0.1:${appPort}/orders`),
      storeWrites: (orders) => dbosStoreWrites(install, `${database}/baton_peers_dbos_sys`, orders),
      async stop() {
        await stopGroup(app);
        await stopPostgres();
      },
    };
  });
}

/** What node-postgres offers that this file uses (loaded from the peers' install, so typed here). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

/** Step outputs per order, by step, and the workflows by status (DBOS's system tables). */
async function dbosStoreWrites(install: PeersInstall, url: string, orders: number): Promise<Record<string, unknown>> {
  const pg = createRequire(join(install.dir, 'package.json'))('pg') as { Client: new (o: object) => PgClient };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const steps = await client.query(
      'SELECT function_name, count(*)::int AS n FROM dbos.operation_outputs GROUP BY 1 ORDER BY 1',
    );
    const workflows = await client.query('SELECT status, count(*)::int AS n FROM dbos.workflow_status GROUP BY 1');
    return {
      stepOutputsPerOrder: Object.fromEntries(
        steps.rows.map((r) => [String(r.function_name), round(Number(r.n) / orders)]),
      ),
      workflowsByStatus: Object.fromEntries(workflows.rows.map((r) => [String(r.status), Number(r.n)])),
    };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A program's `--version`, or why not. */
function commandVersion(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || r.stderr || String(r.error ?? 'unknown')).trim().split('\n')[0]!;
}
