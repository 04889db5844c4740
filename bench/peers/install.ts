/**
 * The peers' packages: Restate (its server binary and its TypeScript SDK) and DBOS Transact (with node-postgres),
 * pinned, installed at run time with `npm install` into a folder of their own under .baton/peers/, never into
 * Baton's package.json. An install whose package.json is unchanged is reused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The versions the figures are of (the server binary comes with @restatedev/restate-server, per platform). */
export const PEER_PACKAGES = {
  '@dbos-inc/dbos-sdk': '5.3.0',
  '@restatedev/restate-sdk': '1.17.2',
  '@restatedev/restate-server': '1.7.12',
  pg: '8.23.1',
} as const;

export interface PeersInstall {
  readonly dir: string;
  /** The restate-server binary for this platform. */
  readonly restateServer: string;
  readonly versions: Record<string, string>;
  readonly reused: boolean;
}

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * Installs the peers' packages into `dir` (reusing an install of the same package.json); throws with the reason
 * (registry unreachable, npm failed, no server binary for this platform).
 */
export async function installPeers(dir: string, log: (line: string) => void): Promise<PeersInstall> {
  mkdirSync(dir, { recursive: true });
  const manifest = `${JSON.stringify(
    {
      name: 'baton-bench-peers',
      private: true,
      description: "Installed by Baton's bench (npm run bench -- --parts peers): the peers it runs beside Baton.",
      dependencies: PEER_PACKAGES,
    },
    null,
    2,
  )}\n`;
  const manifestFile = join(dir, 'package.json');
  const readyFile = join(dir, '.installed');
  const current = existsSync(manifestFile) && readFileSync(manifestFile, 'utf8') === manifest;
  const ready = existsSync(readyFile) && readFileSync(readyFile, 'utf8') === manifest;
  let reused = current && ready && existsSync(join(dir, 'node_modules'));
  if (reused) log(`reusing the install in ${dir}`);
  else {
    await registryReachable();
    log(
      `installing ${Object.entries(PEER_PACKAGES)
        .map(([name, version]) => `${name}@${version}`)
        .join(', ')} into ${dir}`,
    );
    rmSync(readyFile, { force: true });
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    rmSync(join(dir, 'package-lock.json'), { force: true });
    writeFileSync(manifestFile, manifest);
    await npmInstall(dir);
    writeFileSync(readyFile, manifest);
    reused = false;
  }
  const require = createRequire(manifestFile);
  const platform = `@restatedev/restate-server-${process.platform}-${process.arch}`;
  let restateServer: string;
  try {
    restateServer = require.resolve(`${platform}/bin/restate-server`);
  } catch {
    throw new Error(`no Restate server binary for this platform (${platform} did not install)`);
  }
  const versions = Object.fromEntries(
    Object.keys(PEER_PACKAGES).map((name) => {
      const file = join(dir, 'node_modules', name, 'package.json');
      return [name, existsSync(file) ? String(JSON.parse(readFileSync(file, 'utf8')).version) : 'missing'];
    }),
  );
  return { dir, restateServer, versions, reused };
}

/** The registry npm would use answers (a bounded request, so an offline machine fails fast, with the reason). */
async function registryReachable(): Promise<void> {
  const registry = process.env.npm_config_registry || 'https://registry.npmjs.org/';
  try {
    const response = await fetch(registry, { signal: AbortSignal.timeout(15_000) });
    await response.arrayBuffer();
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message;
    throw new Error(
      `the npm registry (${registry}) is unreachable: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
    );
  }
}

/**
 * The environment for npm: this process's, less what `npm run bench` put in it about Baton's own project (its
 * npm_config_local_prefix would make npm install into Baton's checkout), the registry and proxy settings kept.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(registry|@.+:registry|cache|userconfig|globalconfig|cafile|ca|strict_ssl|https?_proxy|proxy|noproxy)$/i;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || keep.test(name)),
  );
  // @restatedev/restate-server's dependency @scarf/scarf reports installs unless told not to.
  return { ...env, SCARF_ANALYTICS: 'false', npm_config_loglevel: 'warn' };
}

/** `npm install --no-audit --no-fund` in `dir`, bounded; its output goes to dir/install.log. */
function npmInstall(dir: string): Promise<void> {
  // Under `npm run`, the npm that runs the bench; else the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', [] as string[]];
  const logFile = join(dir, 'install.log');
  return new Promise((resolve, reject) => {
    const child = spawn(
      command,
      [...args, 'install', '--no-audit', '--no-fund', '--fetch-retries=1', '--fetch-timeout=60000'],
      {
        cwd: dir,
        env: npmEnvironment(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone.
      }
    }, INSTALL_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`npm install could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      writeFileSync(logFile, Buffer.concat(output));
      if (code === 0) resolve();
      else {
        const tail = Buffer.concat(output).toString('utf8').trim().split('\n').slice(-8).join('\n');
        const how = signal
          ? `was stopped (${signal}, after ${INSTALL_TIMEOUT_MS / 60_000} min at most)`
          : `exited with ${code}`;
        reject(new Error(`npm install in ${dir} ${how}; see ${logFile}:\n${tail}`));
      }
    });
  });
}
