import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layers point one way, and the linter holds them (biome.jsonc: noRestrictedImports per folder, noProcessEnv in the
 * core, noImportCycles with type-only imports counted). Here: the tree passes those rules, and each rule refuses what
 * it is there to refuse, so a rule edited away or a glob that no longer matches fails a test, not a review.
 */
const ROOT = join(import.meta.dirname, '../..');
const BIOME = join(ROOT, 'node_modules/.bin/biome');
const LAYER_RULES = ['style/noRestrictedImports', 'style/noProcessEnv', 'suspicious/noImportCycles'];

interface Diagnostic {
  readonly category: string;
  readonly message: string;
  readonly location: { readonly path: string };
}

/** What the linter says of `paths` under the configuration in `cwd`, as configured (no rule turned on here), for the layer rules. */
function lint(cwd: string, paths: readonly string[] = ['.']): Diagnostic[] {
  const run = spawnSync(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', ...paths], {
    cwd,
    encoding: 'utf8',
  });
  const report = run.stdout.slice(run.stdout.indexOf('{'));
  if (!report) throw new Error(`biome gave no report (exit ${run.status}): ${run.stderr}`);
  const { diagnostics } = JSON.parse(report) as { diagnostics: Diagnostic[] };
  return diagnostics.filter((d) => LAYER_RULES.some((rule) => d.category === `lint/${rule}`));
}

describe('the layers', () => {
  it('hold across the tree: no import against them, no circle, no environment read in the core', () => {
    const found = lint(ROOT).map((d) => `${d.location.path}: ${d.category}: ${d.message}`);
    expect(found).toEqual([]);
  });

  // A tree of probes beside the project's own configuration (its paths are what the rules match).
  const probes = mkdtempSync(join(tmpdir(), 'baton-layers-'));
  afterAll(() => rmSync(probes, { recursive: true, force: true }));
  const config = readFileSync(join(ROOT, 'biome.jsonc'), 'utf8').replace(
    '"vcs": { "enabled": true',
    '"vcs": { "enabled": false',
  );
  writeFileSync(join(probes, 'biome.jsonc'), config);
  const probe = (path: string, source: string) => {
    mkdirSync(dirname(join(probes, path)), { recursive: true });
    writeFileSync(join(probes, path), source);
    return path;
  };
  const refusals = (path: string) => lint(probes, [path]).map((d) => `${d.category}: ${d.message}`);

  it.each([
    [
      'functions/core/aws.ts',
      "import { S3Client } from '@aws-sdk/client-s3';\nexport { S3Client };\n",
      /core is the engine/,
    ],
    [
      'functions/core/host/store.ts',
      "import { x } from '../../adapters/aws-clients.ts';\nexport { x };\n",
      /core is the engine/,
    ],
    [
      'functions/core/log.ts',
      "import { Logger } from '@aws-lambda-powertools/logger';\nexport { Logger };\n",
      /core is the engine/,
    ],
    ['functions/core/env.ts', 'export const table = process.env.TABLE;\n', /noProcessEnv/],
    ['functions/adapters/up.ts', "import { x } from '../../local/cluster.ts';\nexport { x };\n", /bottom layer/],
    ['infra/sample.ts', "import { x } from '../sample/app.ts';\nexport { x };\n", /infra\/ holds the constructs/],
    [
      'console/cluster.ts',
      "import { x } from '../local/cluster.ts';\nexport { x };\n",
      /console\/ builds on functions\/ only/,
    ],
  ])('refuses %s', (path, source, reason) => {
    expect(refusals(probe(path, source))).toContainEqual(expect.stringMatching(reason));
  });

  it('refuses files that import each other in a circle, types only or not', () => {
    probe('functions/core/a.ts', "import type { B } from './b.ts';\nexport type A = { b?: B };\n");
    probe('functions/core/b.ts', "import type { A } from './a.ts';\nexport type B = { a?: A };\n");
    expect(refusals('functions/core/a.ts')).toContainEqual(expect.stringMatching(/noImportCycles/));
  });
});
