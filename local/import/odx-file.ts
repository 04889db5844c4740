import { XMLParser } from 'fast-xml-parser';
import { skipString } from './csharp-text.ts';

/**
 * An `.odx` file as BizTalk's orchestration designer writes it: the designer's XML (`om:MetaModel`, a tree of
 * `om:Element Type="…"` with `om:Property` children) inside `#if __DESIGNER_DATA` … `#endif // __DESIGNER_DATA`,
 * then the XLANG/s program the BizTalk compiler reads. The importer walks the designer's tree (it names every shape and
 * its properties) and takes each shape's XLANG/s statement from the program by the shape's OID (the
 * `DesignerPosition` attribute the designer writes before it), for what the tree leaves out (a receive's correlation
 * sets) and for the stubs a person finishes.
 */
export interface OdxElement {
  readonly type: string;
  readonly oid: string;
  readonly parentLink: string;
  /** The element's `om:Property` values by name (the XML's escapes decoded). */
  readonly props: Readonly<Record<string, string>>;
  readonly children: readonly OdxElement[];
}

export interface OdxFile {
  /** The designer's tree: the `Module` element. */
  readonly module: OdxElement;
  /** The XLANG/s program after the designer data (empty when the file has none). */
  readonly xlang: string;
  /** Each shape's XLANG/s statement, by the shape's OID. */
  readonly statements: ReadonlyMap<string, string>;
}

/** Why a file is not an orchestration the importer can read. */
export class OdxError extends Error {
  override readonly name = 'OdxError';
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

export function parseOdx(text: string): OdxFile {
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const start = source.indexOf('<om:MetaModel');
  const close = source.indexOf('</om:MetaModel>');
  if (start < 0 || close < 0)
    throw new OdxError('no designer data (an <om:MetaModel> element): not an orchestration as the designer writes it');
  let nodes: Node[];
  try {
    nodes = parser.parse(source.slice(start, close + '</om:MetaModel>'.length)) as Node[];
  } catch (error) {
    throw new OdxError(`the designer data is not well-formed XML (${(error as Error).message})`);
  }
  const metaModel = nodes.find((node) => 'om:MetaModel' in node);
  const module = childrenOf(metaModel, 'om:MetaModel')
    .filter((node) => 'om:Element' in node)
    .map((node) => toElement(node, ''))
    .find((element) => element.type === 'Module');
  if (!module) throw new OdxError('the designer data holds no Module element');
  const endif = source.indexOf('#endif', close);
  const xlang = endif < 0 ? '' : source.slice(source.indexOf('\n', endif) + 1);
  return { module, xlang, statements: statementsOf(xlang) };
}

function childrenOf(node: Node | undefined, tag: string): Node[] {
  const value = node?.[tag];
  return Array.isArray(value) ? (value as Node[]) : [];
}

function toElement(node: Node, parentLink: string): OdxElement {
  const attributes = node[':@'] ?? {};
  const props: Record<string, string> = {};
  const children: OdxElement[] = [];
  for (const child of childrenOf(node, 'om:Element')) {
    if ('om:Property' in child) {
      const a = child[':@'] ?? {};
      if (a.Name !== undefined) props[a.Name] = decodeReferences(a.Value ?? '');
    } else if ('om:Element' in child) {
      children.push(toElement(child, child[':@']?.ParentLink ?? ''));
    }
  }
  // The designer writes a shape's children in no promised order; their place in the program is LowerBound (line.col).
  children.sort((a, b) => position(attributesOf(a)) - position(attributesOf(b)));
  const element = {
    type: attributes.Type ?? '',
    oid: attributes.OID ?? '',
    parentLink: attributes.ParentLink ?? parentLink,
    props,
    children,
  };
  bounds.set(element, attributes.LowerBound ?? '');
  return element;
}

/** Character references the parser leaves (`&#xD;&#xA;`, the designer's line breaks in expressions). */
function decodeReferences(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/\r\n?/g, '\n');
}

const bounds = new WeakMap<OdxElement, string>();
const attributesOf = (element: OdxElement) => bounds.get(element) ?? '';

/** `LowerBound="35.104"`: line 35, column 104, as one sortable number (no bound: in place, after the others). */
function position(bound: string): number {
  const match = /^(\d+)\.(\d+)$/.exec(bound);
  return match ? Number(match[1]) * 100_000 + Number(match[2]) : Number.MAX_SAFE_INTEGER;
}

const POSITION = /\[Microsoft\.XLANGs\.BaseTypes\.DesignerPosition\("([^"]+)"\)\]/g;

/** Each shape's statement in the program: from after its DesignerPosition attribute to its `;` or its closing brace. */
function statementsOf(xlang: string): Map<string, string> {
  const statements = new Map<string, string>();
  for (const match of xlang.matchAll(POSITION)) {
    let at = (match.index ?? 0) + match[0].length;
    // Other attributes may stand between it and the statement.
    for (;;) {
      const rest = xlang.slice(at);
      const skipped = /^\s*\[[^\]\n]*\]/.exec(rest);
      if (!skipped) break;
      at += skipped[0].length;
    }
    statements.set(match[1]!.toLowerCase(), statementAt(xlang, at).trim());
  }
  return statements;
}

/** The statement starting at `from`: up to a `;` outside brackets, or to the brace that closes its first block. */
export function statementAt(text: string, from: number): string {
  let depth = 0;
  let braces = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '{') braces++;
    else if (c === '}') {
      braces--;
      if (braces <= 0) return text.slice(from, i + 1);
    } else if (c === ';' && depth <= 0 && braces === 0) return text.slice(from, i + 1);
  }
  return text.slice(from);
}

/** The elements under `element` (itself first), depth first. */
export function* walk(element: OdxElement): Generator<OdxElement> {
  yield element;
  for (const child of element.children) yield* walk(child);
}

/** The statement of a shape, if the program has one for it. */
export function statementOf(file: OdxFile, element: OdxElement): string | undefined {
  return file.statements.get(element.oid.toLowerCase());
}
