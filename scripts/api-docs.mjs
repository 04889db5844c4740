// `npm run docs:api`: the reference in docs/reference/, generated from the TSDoc of every public symbol.
//
// Builds (dist/*.d.ts is what API Extractor reads: it bundles its own TypeScript, the project's 7 has no compiler
// API), runs API Extractor on each of the package's entry points into .api-extractor/ (not committed), then API
// Documenter's markdown into docs/reference/ (committed; test/docs/reference.test.ts holds it to the sources).
// Fails on any API Extractor warning: an undocumented symbol, a TSDoc tag it does not know, a link it cannot resolve.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = resolve(import.meta.dirname, '..');
const TEMP = join(ROOT, '.api-extractor');
const OUT = join(ROOT, 'docs/reference');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/**
 * The entry points, as package.json's "exports" declares them. API Extractor documents one entry point a run, and
 * names its package from package.json: each entry is given a package name of its own (`baton-cdk`), which API
 * Documenter turns into page names (`baton-cdk.baton.md`), and which the pages then show as the import path
 * (`baton/cdk`).
 */
const entries = Object.entries(packageJson.exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([path, target]) => ({
    importPath: path === '.' ? packageJson.name : `${packageJson.name}/${path.slice(2)}`,
    packageName: path === '.' ? packageJson.name : `${packageJson.name}-${path.slice(2)}`,
    types: join(ROOT, target.types),
    code: join(ROOT, target.default),
  }));

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', 'build', '--silent']);
rmSync(TEMP, { recursive: true, force: true });

let problems = 0;
for (const entry of entries) {
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath: entry.types,
      compiler: {
        // What reading dist/'s declarations needs, and no more: the project's tsconfig.json includes the sources.
        overrideTsconfig: {
          compilerOptions: {
            target: 'es2024',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            lib: ['es2024'],
            types: ['node'],
            strict: true,
            allowImportingTsExtensions: true,
            noEmit: true,
          },
          files: [entry.types],
        },
      },
      // Not committed (test/docs/reference.test.ts holds the export lists): API Extractor looks for undocumented
      // symbols only while it writes a report.
      apiReport: { enabled: true, reportFolder: TEMP, reportTempFolder: TEMP, reportFileName: entry.packageName },
      docModel: { enabled: true, apiJsonFilePath: join(TEMP, `${entry.packageName}.api.json`) },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        tsdocMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // Every exported symbol has a summary.
          'ae-undocumented': { logLevel: 'warning' },
          // No release tags (@public, @beta): everything an entry point exports is public.
          'ae-missing-release-tag': { logLevel: 'none' },
          // A type an entry point uses without exporting it (a construct's inner props, the main entry's types
          // used by baton/local): documented where it is exported, shown as text where it is not.
          'ae-forgotten-export': { logLevel: 'none' },
        },
      },
    },
    configObjectFullPath: undefined,
    packageJson: { ...packageJson, name: entry.packageName },
    packageJsonFullPath: join(ROOT, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: true });
  console.log(`${entry.importPath}: ${result.errorCount} error(s), ${result.warningCount} warning(s)`);
  problems += result.errorCount + result.warningCount;
}

/** Types renamed so that their pages are their own (see `disambiguate`). */
const renamed = [];
for (const entry of entries) {
  const file = join(TEMP, `${entry.packageName}.api.json`);
  const model = JSON.parse(readFileSync(file, 'utf8'));
  const [entryPoint] = model.members;
  // `export type { InstanceStatus }` exports the type and not the constant of that name, which API Extractor
  // documents all the same: a value is documented only if the entry point exports it.
  const values = new Set(Object.keys(await import(pathToFileURL(entry.code).href)));
  entryPoint.members = entryPoint.members.filter(
    (item) => !(item.kind === 'Variable' || item.kind === 'Function') || values.has(item.name),
  );
  disambiguate(model, entryPoint);
  writeFileSync(file, JSON.stringify(model, null, 2));
}

const documenter = join(
  dirname(createRequire(import.meta.url).resolve('@microsoft/api-documenter/package.json')),
  'bin/api-documenter',
);
run(process.execPath, [documenter, 'markdown', '--input-folder', TEMP, '--output-folder', OUT]);

// Every page: LF line endings (API Documenter's `markdown` writes CRLF), `baton/cdk` where API Documenter wrote the
// package name `baton-cdk`, `Designer` where it wrote `Designer_interface` (links' targets, lower case, keep both).
for (const file of readdirSync(OUT)) {
  const path = join(OUT, file);
  let text = readFileSync(path, 'utf8').replaceAll('\r\n', '\n');
  for (const { name, placeholder } of renamed) text = text.replace(placeholderPattern(placeholder), name);
  for (const entry of entries) {
    if (entry.packageName === entry.importPath) continue;
    text = text
      .replaceAll(`[${entry.packageName}](`, `[${entry.importPath}](`)
      .replaceAll(`## ${entry.packageName} package`, `## ${entry.importPath} package`);
  }
  writeFileSync(path, text);
}

if (problems > 0) {
  console.error(`API Extractor reported ${problems} problem(s): fix the TSDoc above, then run npm run docs:api again.`);
  process.exit(1);
}
console.log(`docs/reference/: ${readdirSync(OUT).length} pages`);

/**
 * API Documenter names a page after its item's name, lower-cased: `designer` (a function) and `Designer` (an
 * interface) would both be baton.designer.md, one overwriting the other (microsoft/rushstack#4311). Until it tells
 * them apart, the type of such a pair is renamed in the doc model, `Designer_interface` (baton.designer_interface.md),
 * with every reference and TSDoc link to it; the pages call it by its name again (`renamed`).
 */
function disambiguate(model, entryPoint) {
  for (const items of Map.groupBy(entryPoint.members, (item) => item.name.toLowerCase()).values()) {
    const types = items.filter((item) => item.kind === 'Interface' || item.kind === 'TypeAlias');
    // The overloads of a function share a name, not a page (messagetype.md, messagetype_1.md).
    const others = new Set(items.filter((item) => !types.includes(item)).map((item) => `${item.kind} ${item.name}`));
    if (types.length + others.size < 2) continue;
    if (others.size > 1) throw new Error(`${model.name}: ${[...others].join(', ')} would share a page`);
    for (const type of types) {
      const meaning = type.kind === 'Interface' ? 'interface' : 'type';
      const placeholder = `${type.name}_${meaning}`;
      // `baton!Designer:interface`, and its members' `baton!Designer#receive:member(1)`.
      const reference = `${model.name}!${type.name}:${meaning}`;
      const member = `${model.name}!${type.name}#`;
      rewrite(model, 'canonicalReference', (value) => {
        if (value === reference) return `${model.name}!${placeholder}:${meaning}`;
        if (meaning === 'interface' && value.startsWith(member))
          return `${model.name}!${placeholder}#${value.slice(member.length)}`;
        return value;
      });
      // `{@link Designer}`, `{@link Designer.receive}`.
      const link = new RegExp(`(\\{@link\\s+)${type.name}(?=[\\s}|.#])`, 'g');
      rewrite(model, 'docComment', (value) => value.replace(link, `$1${placeholder}`));
      renamed.push({ name: type.name, placeholder });
      type.name = placeholder;
    }
  }
}

/** Replaces the string value of every `key` in a doc model. */
function rewrite(node, key, replace) {
  if (Array.isArray(node)) for (const item of node) rewrite(item, key, replace);
  else if (node && typeof node === 'object')
    for (const [k, value] of Object.entries(node)) {
      if (k === key && typeof value === 'string') node[k] = replace(value);
      else rewrite(value, key, replace);
    }
}

/** `Designer_interface` in a page's text, where API Documenter may have escaped the underscore. */
function placeholderPattern(placeholder) {
  const [name, meaning] = placeholder.split(/_(?=[a-z]+$)/);
  return new RegExp(`\\b${name}\\\\?_${meaning}\\b`, 'g');
}
