import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DOCS, PATTERN_COUNT, loadCatalogue, parseHeader, renderDocs } from './catalogue.ts';

describe('the Workflow Control-Flow Patterns catalogue', () => {
  it('has one sample for each of the 43 patterns, each rated, and a test beside every one Baton supports', () => {
    const patterns = loadCatalogue();
    expect(patterns.map((p) => p.number)).toEqual(Array.from({ length: PATTERN_COUNT }, (_, i) => i + 1));
    for (const p of patterns) if (p.rating !== 'unsupported') expect(p.test, p.sample).toBeDefined();
  });

  it('docs/patterns.md is rendered from the headers (npm run patterns -- --write-docs)', () => {
    expect(readFileSync(DOCS, 'utf8')).toBe(renderDocs(loadCatalogue()));
  });

  it('refuses a header without a rating, with an unknown one, or not saying what would make it direct', () => {
    const header = (fields: string) => `/**\n * WCP-9 Structured Discriminator\n *\n${fields}\n */\nexport {};\n`;
    const path = 'test/patterns/wcp-09-structured-discriminator.ts';
    expect(() => parseHeader(path, header(' * Definition: d.\n * Reason: r.\n * BPEL: -'))).toThrow(/no Rating/);
    expect(() => parseHeader(path, header(' * Definition: d.\n * Rating: mostly\n * Reason: r.\n * BPEL: -'))).toThrow(
      /not one of supported, partial, unsupported/,
    );
    expect(() => parseHeader(path, header(' * Definition: d.\n * Rating: partial\n * Reason: r.\n * BPEL: -'))).toThrow(
      /Pending/,
    );
    const parsed = parseHeader(
      path,
      header(
        ' * Definition: d,\n * over two lines.\n * Rating: unsupported\n * Reason: r.\n * BPEL: -\n * Pending: p.',
      ),
    );
    expect(parsed).toMatchObject({ number: 9, definition: 'd, over two lines.', rating: 'unsupported', pending: 'p.' });
  });
});
