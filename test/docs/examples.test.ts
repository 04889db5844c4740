import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const REFERENCE = join(ROOT, 'docs/reference');
// Inside the repository, so that the examples' imports (valibot, zod) resolve as in a user's project.
const WORK = join(ROOT, 'node_modules/.cache/reference-examples');
/** Pages whose examples are fragments of a module, naming what they do not declare. */
const FRAGMENTS = new Set(['baton.orchestrationsmodule.md']);

const examples = (file: string) =>
  [...readFileSync(join(REFERENCE, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

it("the examples of baton's and baton/builders' reference pages type-check against the sources", () => {
  const pages = readdirSync(REFERENCE).filter(
    (file) => (file.startsWith('baton.') || file.startsWith('baton-builders.')) && !FRAGMENTS.has(file),
  );
  // The designer's methods' examples use the message types its page declares.
  const designer = pages.find((file) => /^## Designer interface$/m.test(readFileSync(join(REFERENCE, file), 'utf8')));
  const preamble = examples(designer!)[0]!;
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  let count = 0;
  for (const page of pages) {
    const member = page !== designer && page.startsWith(designer!.replace(/md$/, ''));
    examples(page).forEach((example, i) => {
      writeFileSync(
        join(WORK, `${page.replace(/\.md$/, '')}-${i + 1}.ts`),
        `export {};\n${member ? preamble : ''}${example}`,
      );
      count++;
    });
  }
  expect(count).toBeGreaterThan(40);
  writeFileSync(
    join(WORK, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2024'],
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        // What `import ... from 'baton'` is in a user's project, without a build.
        paths: {
          baton: [join(ROOT, 'functions/index.ts')],
          'baton/builders': [join(ROOT, 'functions/builders.ts')],
        },
      },
      include: ['*.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', WORK], {
    encoding: 'utf8',
  });
  expect(`${tsc.stdout}${tsc.stderr}`, 'an example does not compile (fix its @example, then npm run docs:api)').toBe(
    '',
  );
  expect(tsc.status).toBe(0);
});
