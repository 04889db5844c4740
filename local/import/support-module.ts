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
