/**
 * support.ts, written beside the imported modules: the few functions their code calls where XLANG/s has an operation
 * TypeScript does not (a promoted property, a distinguished field's assignment) and the stub every unported piece
 * throws. Plain code a person may read and change.
 */
export const SUPPORT_MODULE = `// Written by \`baton import\`: what the imported orchestrations' code calls for XLANG/s operations.
import type { InboundMessage } from 'baton';

/**
 * A promoted property (XLANG/s \`msg(Ns.PropertySchema.Name)\`): the message's context property of that name (a
 * message attribute), else the body's top-level field of that name in any case. TODO(baton import): where the
 * property schema promotes another field, read that field.
 */
export function promoted(message: Pick<InboundMessage, 'body'> & { properties?: InboundMessage['properties'] }, name: string): string | undefined {
  const property = message.properties?.[name];
  if (property !== undefined) return property;
  const body = message.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : (body as Record<string, unknown>)[key];
  return value === undefined || value === null ? undefined : String(value);
}

/** A correlation set's key: its properties' values joined, or undefined when the message lacks one. */
export function correlationKey(message: InboundMessage, properties: readonly string[]): string | undefined {
  const values = properties.map((name) => promoted(message, name));
  return values.every((v) => v !== undefined && v !== '') ? values.join('|') : undefined;
}

/** A copy of a body with a distinguished field set (XLANG/s \`msg.Header.Status = value;\`). */
export function withField<Body>(body: Body | undefined, path: readonly string[], value: unknown): Body {
  const copy: Record<string, unknown> = structuredClone((body ?? {}) as Record<string, unknown>);
  let at = copy;
  for (const part of path.slice(0, -1)) {
    const next = at[part];
    at = at[part] = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
  }
  at[path[path.length - 1]!] = value;
  return copy as Body;
}

/**
 * A copy of a body with a promoted property set (XLANG/s \`msg(Ns.PropertySchema.Name) = value;\`): written to the
 * body's field of that name (in the case the body has it), which is where promoted() reads it back.
 */
export function withPromoted<Body>(body: Body | undefined, name: string, value: unknown): Body {
  const copy: Record<string, unknown> = structuredClone((body ?? {}) as Record<string, unknown>);
  const key = Object.keys(copy).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
  copy[key] = value;
  return copy as Body;
}

/** The text at a path of a body (XLANG/s \`xpath(msg, "…")\`): '' where nothing is. */
export function textAt(body: unknown, path: readonly string[]): string {
  const value = path.reduce<unknown>((at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined), body);
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The first field of a name anywhere in a body (XLANG/s \`xpath(msg, "//*[local-name()='Name']")\`), as text. */
export function firstTextOf(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  for (const [key, value] of Object.entries(body)) {
    if (key === name && (typeof value !== 'object' || value === null)) return value === null ? '' : String(value);
    const inner = firstTextOf(value, name);
    if (inner !== '') return inner;
  }
  return '';
}

/** How many nodes a path names (XLANG/s \`xpath(msg, "count(…)")\`): an array's length, 1 for a value, 0 for none. */
export function countAt(body: unknown, path: readonly string[]): number {
  const value = path.reduce<unknown>((at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined), body);
  return Array.isArray(value) ? value.length : value === undefined || value === null ? 0 : 1;
}

/**
 * A map's link (ported from its .btm): copies the field at \`from\` in \`input\` to \`to\` in \`out\`. A repeating record on
 * the way (an array) is followed item by item, each item's field going to the same item of the record that holds
 * \`to\`'s field, as the mapper's links between repeating records do.
 */
export function copyField(out: Record<string, unknown>, to: readonly string[], input: unknown, from: readonly string[]): void {
  let node = input;
  for (let i = 0; i < from.length; i++) {
    if (Array.isArray(node)) {
      const rest = from.slice(i);
      if (to.length === 1) {
        out[to[0]!] = node.map((item) => valueAt(item, rest));
        return;
      }
      const records = recordsAt(out, to.slice(0, -1));
      node.forEach((item, j) => {
        const record = (records[j] ??= {}) as Record<string, unknown>;
        copyField(record, to.slice(-1), item, rest);
      });
      return;
    }
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[from[i]!] : undefined;
  }
  if (node === undefined) return;
  let at = out;
  for (const part of to.slice(0, -1)) {
    const next = at[part];
    at = at[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  at[to[to.length - 1]!] = structuredClone(node);
}

function valueAt(node: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined), node);
}

/** The array of records at a path of \`out\`, made (or made an array) on the way. */
function recordsAt(out: Record<string, unknown>, path: readonly string[]): unknown[] {
  let at = out;
  for (const part of path.slice(0, -1)) {
    const next = at[part];
    at = at[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  const last = path[path.length - 1]!;
  const existing = at[last];
  if (Array.isArray(existing)) return existing;
  const records: unknown[] = existing === undefined ? [] : [existing];
  at[last] = records;
  return records;
}

/** A date as .NET's custom format writes it (\`yyyy\`, \`MM\`, \`dd\`, \`HH\`, \`mm\`, \`ss\`), in UTC. */
export function formatDate(iso: string, format: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    yyyy: String(d.getUTCFullYear()),
    MM: pad(d.getUTCMonth() + 1),
    dd: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()),
    mm: pad(d.getUTCMinutes()),
    ss: pad(d.getUTCSeconds()),
  };
  return format.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => parts[token]!);
}

/** Whether the error a scope's handler runs for was thrown as this .NET exception type (\`Type: message\`). */
export function errorIs(lastError: unknown, type: string): boolean {
  const text = String(lastError ?? '');
  const short = type.split('.').pop()!;
  return text.startsWith(\`\${type}:\`) || text.startsWith(\`\${short}:\`);
}

/** What an unported piece does until a person ports it: fails the step, saying what to port. */
export function notPorted(what: string, xlang: string): never {
  throw new Error(\`not ported from BizTalk yet: \${what} (\${xlang.replace(/\\s+/g, ' ').slice(0, 300)})\`);
}
`;
