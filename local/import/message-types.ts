import type { TsType } from './expressions.ts';

/**
 * The message types of one import, shared by every module it writes (the registry wants one schema per message type,
 * whichever orchestration receives or sends it): each one's TypeScript name, and the fields its orchestrations' code
 * reads and writes (distinguished fields, learned with their types from how the code uses them; the XSD is not read).
 */
export interface FieldTree {
  type: TsType;
  readonly fields: Map<string, FieldTree>;
}

export interface MessageTypeEntry {
  /** The BizTalk name: the schema's .NET type (`Contoso.Schemas.Order`), as the `MessageType` attribute carries it. */
  readonly name: string;
  /** Its TypeScript name in messages.ts (`Order`). */
  readonly ident: string;
  readonly root: FieldTree;
  /** Where it came from, for its doc comment: a schema, a multi-part type, an orchestration's parameters. */
  readonly origin: string;
}

const RESERVED = new Set(['Object', 'String', 'Number', 'Boolean', 'Date', 'Error', 'Array', 'Map', 'Set', 'Promise']);

export class MessageTypes {
  readonly #entries = new Map<string, MessageTypeEntry>();
  readonly #idents = new Set<string>();

  /** The entry of a BizTalk message type, made on first use. */
  of(name: string, origin = 'schema'): MessageTypeEntry {
    const known = this.#entries.get(name);
    if (known) return known;
    const entry = {
      name: batonName(name),
      ident: this.#ident(name),
      root: { type: 'unknown' as TsType, fields: new Map() },
      origin,
    };
    this.#entries.set(name, entry);
    return entry;
  }

  /** Learns that `path` of a message type has `type` (unknown: only that it exists); returns what is known of it. */
  field(name: string, path: readonly string[], type: TsType): TsType {
    let tree = this.of(name).root;
    for (const part of path) {
      let child = tree.fields.get(part);
      if (!child) {
        child = { type: 'unknown', fields: new Map() };
        tree.fields.set(part, child);
      }
      tree = child;
    }
    if (tree.type === 'unknown' && type !== 'unknown') tree.type = type;
    return tree.type;
  }

  get entries(): readonly MessageTypeEntry[] {
    return [...this.#entries.values()];
  }

  #ident(name: string): string {
    const parts = name.split(/[.#/:]/).filter((p) => p !== '');
    const words = parts.map((p) => p.replace(/[^A-Za-z0-9_]/g, '_'));
    // The schema's own name, then its namespace's last words before it, until the name is free.
    for (let take = 1; take <= words.length; take++) {
      let ident = words.slice(-take).map(capitalize).join('');
      if (/^[0-9]/.test(ident)) ident = `M${ident}`;
      if (!this.#idents.has(ident) && !RESERVED.has(ident)) {
        this.#idents.add(ident);
        return ident;
      }
    }
    let n = 2;
    const base = words.map(capitalize).join('') || 'Message';
    while (this.#idents.has(`${base}${n}`)) n++;
    this.#idents.add(`${base}${n}`);
    return `${base}${n}`;
  }
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The message type's name in Baton: the .NET name as it is when Baton's pattern takes it (letters, digits, `_ . : -`,
 * 128 at most), else with the other characters as `_` (a BizTalk `namespace#Root` type is named by its schema class).
 */
export function batonName(name: string): string {
  let clean = name.replace(/[^A-Za-z0-9_.:-]/g, '_');
  if (!/^[A-Za-z]/.test(clean)) clean = `M${clean}`;
  return clean.slice(0, 128);
}

/** The TypeScript type of a field tree: an object of its fields, or its learned type (a string when unknown). */
function typeOf(tree: FieldTree, indent: string): string {
  if (tree.fields.size === 0) return tree.type === 'unknown' ? 'string' : tree.type;
  const inner = `${indent}  `;
  const fields = [...tree.fields].map(([name, child]) => `${inner}${safeKey(name)}: ${typeOf(child, inner)};`);
  return `{\n${fields.join('\n')}\n${indent}}`;
}

const safeKey = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

/** messages.ts: per message type, its body's type and a schema stub, and the message type itself. */
export function messagesModule(types: MessageTypes): string {
  const out: string[] = [
    '// Written by `baton import`: the message types of the imported orchestrations. Each body type lists the fields',
    "// the orchestrations' code reads and writes (distinguished fields, typed from how the code uses them); the XSD is",
    '// not read. Each schema is a stub that takes any JSON object: replace it with the schema of the message (valibot,',
    '// zod or any Standard Schema library), so a malformed message is suspended with its reason before it reaches an',
    '// orchestration.',
    "import { messageType, type Schema } from 'baton';",
    '',
    '/** A schema stub: any JSON object passes (TODO(baton import): the real schema). */',
    'function stub<Body>(name: string): Schema<Body> {',
    '  return {',
    "    '~standard': {",
    '      version: 1,',
    "      vendor: 'baton-import',",
    '      validate: (value: unknown) =>',
    "        typeof value === 'object' && value !== null && !Array.isArray(value)",
    '          ? { value: value as Body }',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the template is the generated code's own
    '          : { issues: [{ message: `a ${name} body is a JSON object` }] },',
    '    },',
    '  };',
    '}',
  ];
  for (const entry of types.entries) {
    const fields = entry.root.fields.size === 0 ? '{\n  readonly [field: string]: unknown;\n}' : typeOf(entry.root, '');
    out.push(
      '',
      `/** ${entry.name} (${entry.origin}). */`,
      `export interface ${entry.ident}Body ${fields}`,
      `export const ${entry.ident} = messageType(${JSON.stringify(entry.name)}, stub<${entry.ident}Body>(${JSON.stringify(entry.name)}));`,
    );
  }
  return `${out.join('\n')}\n`;
}
