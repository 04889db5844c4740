import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

/**
 * A BizTalk map (.btm, as the mapper writes it: UTF-16, `<mapsource>` with its pages of links and functoids), read to
 * port what needs no person: a map whose links all copy a field to a field becomes typed code; one with functoids
 * (concatenations, lookups, scripts, loops) stays a stub, its note saying how many.
 */
export interface MapLink {
  /** Which input of a multi-input map (0 for a map of one input). */
  readonly input: number;
  /** The field's path in the input's body (below its root element). */
  readonly from: readonly string[];
  /** The field's path in the output's body. */
  readonly to: readonly string[];
}

/** A value the map gives a target field (the mapper's constant values, so the field exists). */
export interface MapConstant {
  readonly to: readonly string[];
  readonly value: string;
}

export type ReadMap =
  | {
      readonly ported: true;
      readonly file: string;
      readonly links: readonly MapLink[];
      readonly constants: readonly MapConstant[];
    }
  | { readonly ported: false; readonly file: string; readonly why: string };

/** Build output and packages: no maps of the project's there. */
const SKIPPED = new Set(['node_modules', 'bin', 'obj', 'packages', 'dist']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name) => ['Page', 'Link', 'Functoid', 'Value'].includes(name),
});

/** Finds maps by their class's last name (`Contoso.Maps.OrderToInvoice` → `OrderToInvoice.btm`) near the imported files. */
export class MapFinder {
  readonly #byName = new Map<string, string>();

  /** Looks in each directory, and below it (a few levels, past build output and packages), for .btm files. */
  constructor(roots: readonly string[]) {
    for (const root of new Set(roots)) this.#walk(root, 0);
  }

  #seen = 0;
  #walk(dir: string, depth: number): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++this.#seen > 20_000) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 4 && !SKIPPED.has(entry.name.toLowerCase()) && !entry.name.startsWith('.'))
          this.#walk(path, depth + 1);
      } else if (entry.name.toLowerCase().endsWith('.btm')) {
        const key = entry.name.slice(0, -4).toLowerCase();
        if (!this.#byName.has(key)) this.#byName.set(key, path);
      }
    }
  }

  /** The directories to search for an import's files: each file's directory and the one above it (its project's). */
  static rootsOf(files: readonly string[]): string[] {
    return files.flatMap((file) => [dirname(file), dirname(dirname(file))]);
  }

  /** The map a Transform names, read: ported, or why not; undefined when no .btm of its name is near. */
  find(className: string, from: string): ReadMap | undefined {
    const path = this.#byName.get(className.split('.').pop()!.toLowerCase());
    if (!path) return undefined;
    return readMap(readFileSync(path), relative(from, path) || basename(path));
  }
}

/** Reads a .btm's bytes (UTF-16 with its BOM, or UTF-8). */
export function readMap(bytes: Buffer, file: string): ReadMap {
  const text =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? bytes.subarray(2).toString('utf16le')
      : bytes.toString('utf8').replace(/^\uFEFF/, '');
  let doc: {
    mapsource?: {
      Pages?: { Page?: Page[] };
      TreeValues?: { ConstantValues?: { Value?: { value?: string; Query?: string }[] } };
    };
  };
  try {
    doc = parser.parse(text);
  } catch (error) {
    return { ported: false, file, why: `${file} is not well-formed XML (${(error as Error).message})` };
  }
  if (!doc.mapsource) return { ported: false, file, why: `${file} is not a BizTalk map (no <mapsource>)` };
  const pages = doc.mapsource.Pages?.Page ?? [];
  const functoids = pages.flatMap((p) => p.Functoids?.Functoid ?? []).length;
  if (functoids > 0)
    return { ported: false, file, why: `${file} has ${functoids} functoid${functoids === 1 ? '' : 's'} to port` };
  const links: MapLink[] = [];
  for (const link of pages.flatMap((p) => p.Links?.Link ?? [])) {
    const from = stepsOf(link.LinkFrom ?? '');
    const to = stepsOf(link.LinkTo ?? '');
    if (!from || !to)
      return { ported: false, file, why: `${file} has a link it cannot follow (${link.LinkFrom} → ${link.LinkTo})` };
    const input = /^InputMessagePart_(\d+)$/.exec(from[1] ?? '');
    const output = /^OutputMessagePart_\d+$/.test(to[1] ?? '');
    if (output) return { ported: false, file, why: `${file} has several outputs` };
    // Below <Schema> and the root: a multi-input map's generated root, then the input's part and its own root.
    links.push(
      input
        ? { input: Number(input[1]), from: from.slice(3), to: to.slice(1) }
        : { input: 0, from: from.slice(1), to: to.slice(1) },
    );
  }
  // A link between records (the mapper's loop: one target record per source record) adds nothing the links of their
  // fields do not: the fields are copied item by item (copyField).
  const isPrefix = (a: readonly string[], b: readonly string[]) =>
    a.length < b.length && a.every((step, i) => b[i] === step);
  const fields = links.filter((l) => !links.some((other) => other.input === l.input && isPrefix(l.from, other.from)));
  links.splice(0, links.length, ...fields);
  const constants: MapConstant[] = [];
  for (const value of doc.mapsource.TreeValues?.ConstantValues?.Value ?? []) {
    const to = stepsOf(value.Query ?? '');
    if (!to || to.length < 2) return { ported: false, file, why: `${file} has a constant value it cannot place` };
    constants.push({ to: to.slice(1), value: String(value.value ?? '') });
  }
  if (links.length === 0) return { ported: false, file, why: `${file} has no links` };
  if (links.some((l) => l.from.length === 0 || l.to.length === 0))
    return { ported: false, file, why: `${file} links a whole record, not a field` };
  return { ported: true, file, links, constants };
}

interface Page {
  Links?: { Link?: { LinkFrom?: string; LinkTo?: string }[] };
  Functoids?: { Functoid?: unknown[] };
}

/** A link's end as the names of its steps after `<Schema>`, or undefined when it is not a path (a functoid's number). */
function stepsOf(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  const steps = [...path.matchAll(/\/@?\*\[local-name\(\)='([^']+)'(?: and namespace-uri\(\)='[^']*')?\]/g)].map(
    (m) => m[1]!,
  );
  if (steps[0] !== '<Schema>') return undefined;
  return steps.slice(1);
}
