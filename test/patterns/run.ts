/**
 * `npm run patterns`: runs the Workflow Control-Flow Patterns suite (test/patterns, on the in-memory engine) and
 * prints a table of the 43 patterns, then one line: `patterns: supported=N partial=P unsupported=U of 43`.
 *
 * A pattern counts as its header rates it (catalogue.ts) only when its test passed; a supported or partial pattern
 * whose test failed, or gave no result, counts as unsupported, is named with what failed, and the command exits 1.
 * `npm run patterns -- --write-docs` first writes docs/patterns.md from the headers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DOCS, PATTERN_COUNT, type Pattern, type Rating, ROOT, SUITE, loadCatalogue, renderDocs } from './catalogue.ts';

interface FileResult {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly assertionResults: readonly { status: string; fullName: string; failureMessages: string[] }[];
}

const patterns = loadCatalogue();
if (process.argv.includes('--write-docs')) {
  writeFileSync(DOCS, renderDocs(patterns));
  console.log(`wrote ${relative(ROOT, DOCS)}`);
}

/** The suite's test files' results, by path from the root, from one vitest run with its JSON reporter. */
function runSuite(): { results: Map<string, FileResult>; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-patterns-'));
  const report = join(dir, 'report.json');
  try {
    const vitest = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        relative(ROOT, SUITE),
        '--reporter=json',
        `--outputFile=${report}`,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } },
    );
    const output = `${vitest.stdout ?? ''}${vitest.stderr ?? ''}`;
    if (!existsSync(report)) throw new Error(`vitest wrote no report (exit ${vitest.status}):\n${output}`);
    const { testResults } = JSON.parse(readFileSync(report, 'utf8')) as { testResults: FileResult[] };
    return { results: new Map(testResults.map((r) => [relative(ROOT, r.name), r])), output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Outcome = { pattern: Pattern; test: 'passed' | 'failed' | 'no result' | '—'; counted: Rating; failure?: string };

function judge(pattern: Pattern, results: Map<string, FileResult>): Outcome {
  if (pattern.rating === 'unsupported') return { pattern, test: '—', counted: 'unsupported' };
  const result = pattern.test ? results.get(pattern.test) : undefined;
  const failed = result?.assertionResults.filter((a) => a.status === 'failed') ?? [];
  const passed = result?.assertionResults.filter((a) => a.status === 'passed') ?? [];
  if (result && result.status === 'passed' && failed.length === 0 && passed.length > 0)
    return { pattern, test: 'passed', counted: pattern.rating };
  const failure = result
    ? [result.message, ...failed.map((a) => `${a.fullName}\n${a.failureMessages.join('\n')}`)]
        .filter(Boolean)
        .join('\n')
    : `no result for ${pattern.test ?? 'its test (there is none)'}`;
  return { pattern, test: result ? 'failed' : 'no result', counted: 'unsupported', failure };
}

const { results, output } = runSuite();
const outcomes = patterns.map((p) => judge(p, results));
const nameWidth = Math.max(...patterns.map((p) => p.name.length));
const row = (cells: string[]) =>
  `${cells[0]!.padStart(3)}  ${cells[1]!.padEnd(nameWidth)}  ${cells[2]!.padEnd(11)}  ${cells[3]!.padEnd(9)}  ${cells[4]}`;
console.log(row(['WCP', 'Pattern', 'Rating', 'Test', 'Counted as']));
for (const o of outcomes)
  console.log(row([String(o.pattern.number), o.pattern.name, o.pattern.rating, o.test, o.counted]));

const broken = outcomes.filter((o) => o.failure);
// Other files of the suite (the catalogue's own test: docs/patterns.md held to the headers) must pass too.
const samples = new Set(patterns.flatMap((p) => (p.test ? [p.test] : [])));
const others = [...results.entries()].filter(([file, r]) => !samples.has(file) && r.status !== 'passed');
if (broken.length > 0 || others.length > 0) {
  console.error('');
  for (const o of broken)
    console.error(
      `WCP-${o.pattern.number} ${o.pattern.name}: rated ${o.pattern.rating}, but its test ${o.test}; counted as unsupported\n${o.failure}\n`,
    );
  for (const [file, r] of others)
    console.error(`${file} failed:\n${r.message ?? r.assertionResults.flatMap((a) => a.failureMessages).join('\n')}\n`);
  if (results.size === 0) console.error(output);
}
const count = (rating: Rating) => outcomes.filter((o) => o.counted === rating).length;
console.log(
  `patterns: supported=${count('supported')} partial=${count('partial')} unsupported=${count('unsupported')} of ${PATTERN_COUNT}`,
);
if (broken.length > 0 || others.length > 0) process.exitCode = 1;
