import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import type { OrchestrationDefinition } from '../../functions/core/definition.ts';
import { definitionsOf } from '../../functions/core/orchestrations-module.ts';

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Whether each written module loads as written: `tsc` type-checks the output directory (strict), and the registry
 * compiles each module's definitions (the checks a deployment runs). `baton` is what the directory's own
 * node_modules gives, else this very installation of it.
 */
export async function checkLoads(
  outDir: string,
  files: readonly string[],
): Promise<Map<string, { loads: boolean; problems: string[] }>> {
  const results = new Map<string, { loads: boolean; problems: string[] }>(
    files.map((f) => [f, { loads: true, problems: [] }]),
  );
  const fail = (file: string, problem: string) => {
    const result = results.get(file)!;
    result.loads = false;
    result.problems.push(problem);
  };
  const own = resolvesFrom(outDir, 'baton') === undefined;

  const typeErrors = typeCheck(outDir, files, own);
  if (typeof typeErrors === 'string') for (const file of files) fail(file, typeErrors);
  else
    for (const [file, errors] of typeErrors) {
      const shared = !files.includes(file);
      for (const target of shared ? files : [file])
        fail(
          target,
          `${shared ? `${file}.ts: ` : ''}tsc: ${errors.slice(0, 3).join(' | ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`,
        );
    }

  if (own) useThisBaton();
  // Each module's definitions, then all of them in one registry, as index.ts deploys them (a Start Orchestration
  // names one in another module); a module whose definition the registry refuses is taken out, and the rest tried.
  const definitions = new Map<string, OrchestrationDefinition[]>();
  for (const file of files) {
    try {
      const loaded = (await import(`${pathToFileURL(join(outDir, `${file}.ts`)).href}?at=${Date.now()}`)) as {
        orchestrations?: unknown;
      };
      // A module of a callable only deploys nothing by itself: that is no failure.
      if (Array.isArray(loaded.orchestrations) && loaded.orchestrations.length === 0) continue;
      definitions.set(file, definitionsOf(loaded, {}, `${file}.ts`));
    } catch (error) {
      fail(file, `does not load: ${oneLine((error as Error).message ?? String(error))}`);
    }
  }
  for (let attempt = 0; attempt <= files.length && definitions.size > 0; attempt++) {
    try {
      new OrchestrationRegistry([...definitions.values()].flat());
      break;
    } catch (error) {
      const message = oneLine((error as Error).message ?? String(error));
      const culprit =
        [...definitions].find(([, defs]) =>
          defs.some((d) => message.includes(`orchestration ${d.name}@${d.version} `)),
        ) ?? [...definitions][0]!;
      fail(culprit[0], `does not compile into a deployment: ${message}`);
      definitions.delete(culprit[0]);
    }
  }
  return results;
}

/** Where `specifier` resolves from `base` (a directory, or a file as `here` is). */
function resolvesFrom(base: string, specifier: string): string | undefined {
  try {
    return createRequire(base.endsWith('.ts') || base.endsWith('.js') ? base : join(base, 'index.js')).resolve(
      specifier,
    );
  } catch {
    return undefined;
  }
}

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
/** This installation's `baton` entry: the checkout's source, or the installed package's build. */
const batonEntry = resolve(here, fromSource ? '../../../functions/index.ts' : '../../../functions/index.js');
const batonTypes = fromSource ? batonEntry : batonEntry.replace(/\.js$/, '.d.ts');

let hooked = false;
/** Imports of `baton` from the written modules resolve to this installation (their directory has none of its own). */
function useThisBaton(): void {
  if (hooked) return;
  hooked = true;
  const url = pathToFileURL(batonEntry).href;
  module.registerHooks({
    resolve: (specifier, context, next) =>
      specifier === 'baton' ? { url, shortCircuit: true } : next(specifier, context),
  });
}

/** tsc's errors by written module (without `.ts`), or one reason it could not run. */
function typeCheck(outDir: string, files: readonly string[], own: boolean): Map<string, string[]> | string {
  // TypeScript exports only its package.json: its compiler is beside it.
  const manifest = resolvesFrom(outDir, 'typescript/package.json') ?? resolvesFrom(here, 'typescript/package.json');
  const tsc = manifest ? join(manifest, '..', 'bin', 'tsc') : undefined;
  if (!tsc) return 'not type-checked: TypeScript is not installed (npm install --save-dev typescript)';
  const temp = mkdtempSync(join(tmpdir(), 'baton-import-'));
  try {
    const project = join(temp, 'tsconfig.json');
    writeFileSync(
      project,
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2023',
          lib: ['es2023', 'dom'],
          module: 'esnext',
          moduleResolution: 'bundler',
          allowImportingTsExtensions: true,
          skipLibCheck: true,
          types: [],
          ...(own ? { paths: { baton: [batonTypes] } } : {}),
        },
        files: [...files, 'messages', 'support', 'index'].map((f) => resolve(outDir, `${f}.ts`)),
      }),
    );
    const run = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { encoding: 'utf8' });
    if (run.error) return `not type-checked: tsc did not run (${run.error.message})`;
    const errors = new Map<string, string[]>();
    for (const line of `${run.stdout}\n${run.stderr}`.split('\n')) {
      const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line.trim());
      if (!match) continue;
      const path = resolve(match[1]!);
      const rel = relative(outDir, path);
      if (rel.startsWith('..')) continue; // baton's own sources, checked with it
      const file = rel.replace(/\.ts$/, '');
      errors.set(file, [...(errors.get(file) ?? []), `${file}.ts(${match[2]},${match[3]}) ${match[4]}`]);
    }
    if (run.status !== 0 && errors.size === 0 && !/error TS/.test(run.stdout))
      return `not type-checked: tsc failed (${(run.stderr || run.stdout).trim().slice(0, 300)})`;
    return errors;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
