import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
// docs/ and its folders: the reference (docs/reference/, generated) links its pages to each other.
const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
    .sort(),
];

/** Markdown link and image targets: `[text](target)` and `![alt](target)`. */
function links(markdown: string): string[] {
  return [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('README.md and docs/ (a user who cloned the repository reads them)', () => {
  it.each(documents)('%s links only to files inside the repository, or to public https pages', (document) => {
    const text = readFileSync(join(ROOT, document), 'utf8');
    for (const target of links(text)) {
      if (/^https:\/\//.test(target)) continue;
      expect(target, `${document} → ${target}`).not.toMatch(/^[a-z]+:/i);
      const path = resolve(dirname(join(ROOT, document)), target.split('#')[0]!);
      expect(relative(ROOT, path).startsWith('..'), `${document} → ${target} leaves the repository`).toBe(false);
      expect(existsSync(path), `${document} → ${target} does not exist`).toBe(true);
    }
  });
});
