import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * A message type's schema: any Standard Schema ({@link https://standardschema.dev}). zod, valibot, ArkType and others
 * implement it, so users declare messages with the library they already use and Baton depends on none of them.
 *
 * @typeParam Input - What a body must be to match (what a send's body function returns).
 * @typeParam Output - What the schema makes of it (defaults filled, values transformed): what step code sees.
 */
export type Schema<Input = unknown, Output = Input> = StandardSchemaV1<Input, Output>;

/**
 * A message type: the name carried by the `MessageType` attribute, and optionally the schema its bodies must
 * match. The receive host validates an inbound body against it before routing (BizTalk's validating receive
 * pipeline); a send validates the body it built before the body enters the outbox.
 *
 * @remarks
 * Made by {@link (messageType:1) | messageType}. One message type is one contract: declare it once and import it wherever it is
 * received or sent; two different schemas under one name are refused when the orchestrations load.
 *
 * @typeParam Name - The type's name.
 * @typeParam Body - Its schema's output: what step code sees of a body.
 * @typeParam Input - Its schema's input: what a send's body function must return.
 */
export interface MessageType<Name extends string = string, Body = unknown, Input = Body> {
  /** The type's name, as its messages' `MessageType` attribute carries it. */
  readonly name: Name;
  /** The schema its bodies must match; undefined when they are not validated. */
  readonly schema: Schema<Input, Body> | undefined;
}

/**
 * Declares a message type, with the schema its bodies must match.
 *
 * @remarks
 * A body that does not match becomes a suspended message (inbound) or fails its Send step (outbound), with every
 * issue and its path. The schema's output is what the orchestration sees and what is persisted: it must be JSON data.
 *
 * @typeParam Name - The type's name.
 * @typeParam S - The schema's type.
 * @param name - The name its messages' `MessageType` attribute carries: a letter, then up to 127 letters, digits,
 *   `_`, `.`, `:` or `-`.
 * @param schema - A Standard Schema (zod 3.24+, valibot 1+, ArkType 2+, ...).
 * @returns The message type, frozen, for shapes and {@link designer}.
 * @throws `TypeError` when `schema` is not a Standard Schema.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * import { messageType } from 'baton';
 *
 * export const Greeting = messageType('Greeting', v.object({ name: v.pipe(v.string(), v.minLength(1)) }));
 * ```
 */
export function messageType<const Name extends string, S extends Schema>(
  name: Name,
  schema: S,
): MessageType<Name, StandardSchemaV1.InferOutput<S>, StandardSchemaV1.InferInput<S>>;
/**
 * Declares a message type whose bodies are not validated (`unknown` to the orchestration).
 *
 * @typeParam Name - The type's name.
 * @param name - The name its messages' `MessageType` attribute carries.
 * @returns The message type, frozen.
 *
 * @example
 * ```ts
 * import { messageType } from 'baton';
 *
 * export const Ping = messageType('Ping');
 * ```
 */
export function messageType<const Name extends string>(name: Name): MessageType<Name>;
export function messageType(name: string, schema?: Schema): MessageType {
  if (schema !== undefined && typeof schema['~standard']?.validate !== 'function') {
    throw new TypeError(
      `messageType("${name}"): the schema is not a Standard Schema (no ~standard.validate); zod 3.24+, valibot 1+ and ArkType 2+ implement it`,
    );
  }
  return Object.freeze({ name, schema });
}

/** One reason a body does not match its schema, with where in the body (`lines[0].qty`; empty for the root). */
export interface SchemaIssue {
  /** Where in the body: `lines[0].qty`; empty for the body itself. */
  readonly path: string;
  /** What is wrong there, as the schema library says it. */
  readonly message: string;
}

export type Conformed =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/**
 * Validates a body against a schema. The value returned is the schema's output (defaults filled, values
 * transformed), which is what the orchestration sees and what is persisted, so it must still be JSON data.
 */
export async function conform(schema: Schema, body: unknown): Promise<Conformed> {
  const result = await schema['~standard'].validate(body);
  if (result.issues !== undefined) {
    const issues = result.issues
      .slice(0, MAX_ISSUES)
      .map((issue) => ({ path: clip(formatPath(issue.path)), message: clip(issue.message) }));
    const more = result.issues.length - issues.length;
    // A body with thousands of bad fields must still fit the record that keeps it (DynamoDB items stop at 400 KB).
    if (more > 0) issues.push({ path: '', message: `and ${more} more issue(s)` });
    return { ok: false, issues };
  }
  const notJson = findNonJson(result.value);
  if (notJson !== undefined) {
    return {
      ok: false,
      issues: [
        {
          path: notJson.path,
          message: `the schema's output is ${notJson.what}, which a persisted message cannot hold: a schema must output JSON data`,
        },
      ],
    };
  }
  return { ok: true, value: result.value };
}

/** Issues kept per message: enough to fix it, few enough that the record of a huge bad body stays small. */
export const MAX_ISSUES = 20;
const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 299)}…` : text);

/**
 * Every issue, each with its path, in one line: `lines[0].qty: Invalid type; orderId: Invalid length`.
 *
 * @param issues - The issues, as a {@link SchemaIssue} list.
 * @returns The issues, separated by `; `.
 *
 * @example
 * ```ts
 * import { describeIssues } from 'baton';
 *
 * describeIssues([{ path: 'lines[0].qty', message: 'Invalid type' }]); // 'lines[0].qty: Invalid type'
 * ```
 */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}

function formatPath(path: StandardSchemaV1.Issue['path']): string {
  let text = '';
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** The first value that JSON (and so the MessageBox) cannot hold as it is, with its path. */
function findNonJson(value: unknown, path = ''): { path: string; what: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, what: String(value) };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonJson(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null)
      return { path, what: `a ${value.constructor?.name ?? 'class instance'}` };
    for (const [key, item] of Object.entries(value)) {
      // An absent optional field comes out as undefined: JSON drops it, which is what absent means.
      if (item === undefined) continue;
      const found = findNonJson(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  return { path, what: typeof value === 'undefined' ? 'undefined' : `a ${typeof value}` };
}
