/**
 * The Workflow Control-Flow Patterns suite's catalogue: one sample a pattern, `test/patterns/wcp-NN-<slug>.ts`, whose
 * header comment states the pattern, Baton's rating and its reason, and BPEL's published rating; beside it, for a
 * pattern Baton supports (or supports partly), the test `wcp-NN-<slug>.test.ts` that runs the sample on the in-memory
 * world. `npm run patterns` (run.ts) counts a pattern as supported only when its header says so and its test passed;
 * docs/patterns.md is rendered from the headers (`npm run patterns -- --write-docs`), and a test holds it to them.
 *
 * A header, the file's first comment:
 *
 *     WCP-9 Structured Discriminator
 *
 *     Definition: what the pattern is, in a sentence (Russell, ter Hofstede, van der Aalst, Mulyar 2006).
 *     Rating: supported | partial | unsupported
 *     Reason: why, in a sentence or two: the shapes that make it, or what is missing.
 *     BPEL: + | +/- | -   (BPEL4WS 1.1, as the Workflow Patterns Initiative rated it)
 *     Pending: the planned shape that will make it direct (none for a supported pattern).
 *
 * A field goes on over the lines that follow it, up to the next field.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SUITE = join(ROOT, 'test/patterns');
export const DOCS = join(ROOT, 'docs/patterns.md');
export const PATTERN_COUNT = 43;

export const RATINGS = ['supported', 'partial', 'unsupported'] as const;
export type Rating = (typeof RATINGS)[number];
export const BPEL_RATINGS = ['+', '+/-', '-'] as const;
export type BpelRating = (typeof BPEL_RATINGS)[number];

export interface Pattern {
  readonly number: number;
  readonly name: string;
  readonly definition: string;
  readonly rating: Rating;
  readonly reason: string;
  readonly bpel: BpelRating;
  readonly pending?: string;
  /** The sample, from the repository's root. */
  readonly sample: string;
  /** Its test, from the repository's root, when there is one. */
  readonly test?: string;
}

const FIELDS = ['Definition', 'Rating', 'Reason', 'BPEL', 'Pending'] as const;
type Field = (typeof FIELDS)[number];

/** The header of one sample, checked: throws with the file's name and what is wrong. */
export function parseHeader(path: string, text: string): Pattern {
  const fail = (problem: string): never => {
    throw new Error(`${relative(ROOT, path)}: ${problem}`);
  };
  const comment = /^\/\*\*\n([\s\S]*?)\*\//.exec(text)?.[1];
  if (!comment) return fail('does not start with a /** header */ comment');
  const lines = comment.split('\n').map((line) => line.replace(/^\s*\*( |$)/, '').trimEnd());
  const title = /^WCP-(\d+) (.+)$/.exec(lines[0] ?? '');
  if (!title) return fail('its header does not start with "WCP-<n> <name>"');
  const fields: Partial<Record<Field, string>> = {};
  let current: Field | undefined;
  for (const line of lines.slice(1)) {
    const field = FIELDS.find((f) => line.startsWith(`${f}: `));
    if (field) {
      if (fields[field] !== undefined) fail(`${field} is given twice`);
      current = field;
      fields[field] = line.slice(field.length + 2).trim();
    } else if (current && line.trim() !== '') fields[current] = `${fields[current]} ${line.trim()}`;
    else if (line.trim() === '') current = undefined;
  }
  for (const field of ['Definition', 'Rating', 'Reason', 'BPEL'] as const)
    if (!fields[field]) fail(`its header has no ${field}: line`);
  const rating = fields.Rating as Rating;
  if (!RATINGS.includes(rating)) fail(`Rating "${rating}" is not one of ${RATINGS.join(', ')}`);
  const bpel = fields.BPEL as BpelRating;
  if (!BPEL_RATINGS.includes(bpel)) fail(`BPEL "${bpel}" is not one of ${BPEL_RATINGS.join(', ')}`);
  if (rating !== 'supported' && !fields.Pending)
    fail('a pattern not supported directly names, on a Pending: line, what will make it direct');
  const number = Number(title[1]);
  const expected = `wcp-${String(number).padStart(2, '0')}-`;
  const file = relative(SUITE, path);
  if (!file.startsWith(expected)) fail(`its header says WCP-${number}, its name should start with ${expected}`);
  const testPath = path.replace(/\.ts$/, '.test.ts');
  return {
    number,
    name: title[2]!,
    definition: fields.Definition!,
    rating,
    reason: fields.Reason!,
    bpel,
    pending: fields.Pending,
    sample: relative(ROOT, path),
    test: existsSync(testPath) ? relative(ROOT, testPath) : undefined,
  };
}

/** Every sample's header, in pattern order; throws unless there is exactly one for each of the 43. */
export function loadCatalogue(): Pattern[] {
  const samples = readdirSync(SUITE)
    .filter((f) => /^wcp-\d\d-[a-z0-9-]+\.ts$/.test(f) && !f.endsWith('.test.ts'))
    .sort();
  const patterns = samples.map((f) => parseHeader(join(SUITE, f), readFileSync(join(SUITE, f), 'utf8')));
  const problems: string[] = [];
  for (let n = 1; n <= PATTERN_COUNT; n++) {
    const found = patterns.filter((p) => p.number === n);
    if (found.length !== 1) problems.push(`WCP-${n}: ${found.length} samples (${found.map((p) => p.sample)})`);
  }
  for (const p of patterns)
    if (p.rating !== 'unsupported' && !p.test)
      problems.push(`WCP-${p.number} is rated ${p.rating} but has no test (${p.sample.replace(/\.ts$/, '.test.ts')})`);
  const strayTests = readdirSync(SUITE).filter(
    (f) => f.endsWith('.test.ts') && f.startsWith('wcp-') && !existsSync(join(SUITE, f.replace(/\.test\.ts$/, '.ts'))),
  );
  for (const t of strayTests) problems.push(`${t} has no sample beside it`);
  if (patterns.length > PATTERN_COUNT) problems.push(`${patterns.length} samples for ${PATTERN_COUNT} patterns`);
  if (problems.length > 0) throw new Error(`the patterns catalogue is not whole:\n  ${problems.join('\n  ')}`);
  return patterns;
}

const BPEL_SHOWN: Record<BpelRating, string> = { '+': '+', '+/-': '+/−', '-': '−' };

/** docs/patterns.md, from the headers. */
export function renderDocs(patterns: readonly Pattern[]): string {
  const count = (r: Rating) => patterns.filter((p) => p.rating === r).length;
  const rows = patterns.map(
    (p) =>
      `| ${p.number} | ${p.name} | ${p.rating} | ${BPEL_SHOWN[p.bpel]} | [sample](../${p.sample})${p.test ? ` · [test](../${p.test})` : ''} |`,
  );
  const notDirect = patterns
    .filter((p) => p.rating !== 'supported')
    .map((p) => `- **WCP-${p.number} ${p.name}** (${p.rating}). ${p.reason} _Pending:_ ${p.pending}`);
  return `${[
    '# Workflow Control-Flow Patterns',
    '',
    '<!-- Rendered from the headers of test/patterns/wcp-*.ts by `npm run patterns -- --write-docs`; test/patterns/catalogue.test.ts holds it to them. -->',
    '',
    'The 43 control-flow patterns of Russell, ter Hofstede, van der Aalst and Mulyar, _Workflow Control-Flow Patterns:',
    'A Revised View_ (BPM Center Report BPM-06-22, 2006), and how Baton expresses each. Every pattern has a sample in',
    "[`test/patterns/`](../test/patterns/), whose header gives the pattern's definition, Baton's rating and",
    "why, and BPEL's rating. A pattern Baton supports, directly or partly, has a test beside its sample that runs it on",
    "the in-memory engine and checks the pattern's defining behaviour (for a discriminator: the downstream runs once,",
    'after the first branch).',
    '',
    '```sh',
    'npm run patterns   # runs the suite; prints a table and: patterns: supported=N partial=P unsupported=U of 43',
    '```',
    '',
    'A pattern counts as supported only when its header says so and its test passed; a supported or partial pattern',
    'whose test fails is counted as unsupported, named, and the command exits non-zero. The suite also runs with',
    '`npm test`, where six of the samples (WCP-4, 6, 16, 20, 21 and 22) also run on a local cluster of two host instances',
    '([`test/integration/patterns.test.ts`](../test/integration/patterns.test.ts)).',
    '',
    "Ratings follow the Workflow Patterns Initiative's rule: **supported** (+) is a shape, or shapes, that express",
    'the pattern directly; **partial** (+/−) is a workaround within one orchestration, such as bookkeeping in',
    'variables, a copy of a branch per instance, or a callback into the instance through a Start shape, or a shape that',
    'meets all of the pattern but a part its header names (a reset, a trigger from outside); a solution that needs',
    'extra orchestrations or hand-built bookkeeping does not count as direct support. **unsupported** (−): not',
    'expressible today, or only with a workaround heavier than the pattern, or without what sets the pattern apart',
    '(a blocking discriminator that does not block).',
    '',
    'The BPEL column gives BPEL4WS 1.1 as the Initiative rated it in its published evaluation',
    '([workflowpatterns.com, standard evaluations](https://www.workflowpatterns.com/evaluations/standard/bpel.php),',
    "and the revised view's product table), for comparison with a language of the same family (block-structured,",
    'message-driven).',
    '',
    `Today: ${count('supported')} supported, ${count('partial')} partial, ${count('unsupported')} unsupported, as the headers rate them.`,
    'When a planned shape lands, the samples it makes direct are rewritten with it, their header set to',
    '`Rating: supported` without a `Pending:` line, and this page rendered again.',
    '',
    '| WCP | Pattern | Baton | BPEL 1.1 | Sample · test |',
    '| --- | ------- | ----- | -------- | ------------- |',
    ...rows,
    '',
    '## The patterns Baton does not support directly, and why',
    '',
    'Each names, after _Pending_, the shape planned to make it direct (issue 25), or that none is.',
    '',
    ...notDirect,
  ].join('\n')}\n`;
}
