/**
 * DynamoDB's expressions (condition and filter, key condition, update, projection) over items in the JSON protocol's
 * form, for the in-memory tables. A benchmark sends the same few texts on every request, so each distinct text is
 * parsed once (tokenizer, recursive descent) into closures kept in a bounded cache; the placeholders (#name, :value)
 * are resolved at each evaluation, because one text serves requests with different ones.
 *
 * Where DynamoDB and dynalite (the emulator this replaces) differ, DynamoDB wins: lists and maps compare deeply,
 * numbers compare and add exactly (38 digits, no floats), strings order by UTF-8 bytes, binaries by their bytes,
 * and the list indexes of one update all name elements of the list as it was before it.
 */
import { Buffer } from 'node:buffer';

/** A DynamoDB attribute value as the JSON protocol carries it: binary values (B, BS) are base64 strings. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };
export type Item = Record<string, AttributeValue>;
/** ExpressionAttributeNames / ExpressionAttributeValues of a request. */
export interface Placeholders {
  readonly names?: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
}

/**
 * A request's expression is wrong: the message is what DynamoDB says after "Invalid <Kind>Expression: ", unless
 * `whole` is set: then it is all of DynamoDB's message (so it words what an update meets in the item, the refusals
 * of a key condition, numbers out of range). The table engine turns it into a ValidationException.
 */
export class ExpressionError extends Error {
  readonly whole: boolean;
  constructor(message: string, whole = false) {
    super(message);
    this.name = 'ExpressionError';
    this.whole = whole;
  }
}

/** The `#name` and `:value` placeholders an expression uses (the engine refuses unused and undefined ones). */
export interface Uses {
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
}

/** A ConditionExpression or a FilterExpression. */
export interface Condition extends Uses {
  /** Whether the item (absent: an empty one) satisfies it. */
  evaluate(item: Item | undefined, p: Placeholders): boolean;
}

export type SortKeyOperator = '=' | '<' | '<=' | '>' | '>=' | 'between' | 'begins_with';
export interface ResolvedKeyCondition {
  readonly partition: { readonly name: string; readonly value: AttributeValue };
  readonly sort?: { readonly name: string; readonly op: SortKeyOperator; readonly values: AttributeValue[] };
}
/** A KeyConditionExpression: an equality on the partition key, perhaps a condition on the sort key. */
export interface KeyCondition extends Uses {
  /** The parts, resolved; the partition key's is the one naming `partitionKey`, else the first equality. */
  resolve(p: Placeholders, partitionKey?: string): ResolvedKeyCondition;
}

/** An UpdateExpression. */
export interface Update extends Uses {
  /** The updated item, new: the input is not written (the result shares the sub-values the update leaves alone). */
  apply(item: Item, p: Placeholders): Item;
  /** The first of `keyNames` an action writes; without `p`, a path headed by a `#name` is not seen. */
  touches(keyNames: readonly string[], p?: Placeholders): string | undefined;
  /** The item's values at the paths the update writes: what ReturnValues UPDATED_OLD and UPDATED_NEW return. */
  updated(item: Item, p: Placeholders): Item;
}

/** A ProjectionExpression. */
export interface Projection {
  readonly names: ReadonlySet<string>;
  /** The item's values at the paths, nested as in the item; list elements picked keep their order. */
  apply(item: Item, p: Placeholders): Item;
}

/** An error DynamoDB reports with its message alone. */
function fail(message: string): never {
  throw new ExpressionError(message, true);
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers: up to 38 significant digits, magnitude 1E-130 to 1E126. Compared and added on their digits (BigInt for
// the sum), because a double loses both the precision and the equality.

/** value = ±digits × 10^scale; digits has no leading or trailing zeros ('' is zero). */
type Decimal = { readonly negative: boolean; readonly digits: string; readonly scale: number };

const NUMBER = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
// DynamoDB's own form: two of them compare with no parsing.
const NORMAL_NUMBER = /^(?:-?[1-9]\d*(?:\.\d*[1-9])?|-?0\.\d*[1-9]|0)$/;
// Integers a double holds exactly, sums included: the counters of most updates.
const SMALL_INTEGER = /^-?\d{1,15}$/;

function decimal(negative: boolean, digits: string, scale: number): Decimal {
  let [start, end] = [0, digits.length];
  while (start < end && digits.charCodeAt(start) === 48) start++;
  while (end > start && digits.charCodeAt(end - 1) === 48) end--;
  if (start === end) return { negative: false, digits: '', scale: 0 };
  return { negative, digits: digits.slice(start, end), scale: scale + digits.length - end };
}

function parseDecimal(text: string): Decimal {
  const match = NUMBER.exec(text);
  if (!match || (match[2] === '' && !match[3])) fail(`The parameter cannot be converted to a numeric value: ${text}`);
  const fraction = match[3] ?? '';
  return decimal(match[1] === '-', match[2] + fraction, Number(match[4] ?? 0) - fraction.length);
}

/** The number, if DynamoDB can store it. */
function storable(value: Decimal): Decimal {
  const point = value.digits.length + value.scale;
  if (value.digits === '') return value;
  if (value.digits.length > 38) fail('Attempting to store more than 38 significant digits in a Number');
  if (point > 126) fail('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (point < -129) fail('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  return value;
}

function formatDecimal({ negative, digits, scale }: Decimal): string {
  const point = digits.length + scale;
  const sign = negative ? '-' : '';
  if (digits === '') return '0';
  if (scale >= 0) return sign + digits + '0'.repeat(scale);
  if (point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${digits}`;
}

/** A number in DynamoDB's form ("1E2" → "100", "-0.50" → "-0.5"); out of DynamoDB's range, an ExpressionError. */
export function normalizeNumber(text: string): string {
  return text.length <= 38 && NORMAL_NUMBER.test(text) ? text : formatDecimal(storable(parseDecimal(text)));
}

/** Orders two numbers (decimal strings) exactly: negative, zero or positive, as a comparator. */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  if (!NORMAL_NUMBER.test(a) || !NORMAL_NUMBER.test(b)) return compareDecimals(parseDecimal(a), parseDecimal(b));
  const negative = a.charCodeAt(0) === 45;
  if (negative !== (b.charCodeAt(0) === 45)) return negative ? -1 : 1;
  const [x, y] = negative ? [a.slice(1), b.slice(1)] : [a, b];
  // With as many whole digits, the strings order as the numbers do ("0" < "0.5", "12.3" < "12.45").
  const order = wholeDigits(x) - wholeDigits(y) || (x < y ? -1 : 1);
  return negative ? -order : order;
}

function wholeDigits(number: string): number {
  const point = number.indexOf('.');
  return point < 0 ? number.length : point;
}

function compareDecimals(x: Decimal, y: Decimal): number {
  const [xSign, ySign] = [x, y].map((d) => (d.digits === '' ? 0 : d.negative ? -1 : 1)) as [number, number];
  if (xSign !== ySign || xSign === 0) return xSign - ySign;
  const magnitude = x.digits.length + x.scale - (y.digits.length + y.scale);
  return xSign * (magnitude || (x.digits < y.digits ? -1 : x.digits > y.digits ? 1 : 0));
}

function addNumbers(a: string, b: string, subtract: boolean): string {
  if (SMALL_INTEGER.test(a) && SMALL_INTEGER.test(b)) return String(subtract ? +a - +b : +a + +b);
  // In range first: the operands are aligned with zeros, as many as their exponents differ.
  const [x, y] = [storable(parseDecimal(a)), storable(parseDecimal(b))];
  const scale = Math.min(x.scale, y.scale);
  const scaled = (d: Decimal) => BigInt((d.negative ? '-' : '') + (d.digits || '0') + '0'.repeat(d.scale - scale));
  const sum = subtract ? scaled(x) - scaled(y) : scaled(x) + scaled(y);
  return formatDecimal(storable(decimal(sum < 0n, (sum < 0n ? -sum : sum).toString(), scale)));
}

// ---------------------------------------------------------------------------------------------------------------
// Strings and binaries order by their bytes, as DynamoDB sorts them.

/** Orders two strings by their UTF-8 bytes (which is code point order, not JavaScript's UTF-16 order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const [x, y] = [a.charCodeAt(i), b.charCodeAt(i)];
    if (x === y) continue;
    // UTF-16 puts the surrogates (code points past U+FFFF) before U+E000..U+FFFF; UTF-8 puts them after.
    if (x >= 0xd800 && y >= 0xd800)
      return (x >= 0xe000 ? x - 0x800 : x + 0x2000) - (y >= 0xe000 ? y - 0x800 : y + 0x2000);
    return x - y;
  }
  return a.length - b.length;
}

/** Orders two base64 binaries by their bytes. */
export function compareBinary(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
}

function equalBinary(a: string, b: string): boolean {
  return a === b || Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

function canonicalBinary(base64: string): string {
  return Buffer.from(base64, 'base64').toString('base64');
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const EMPTY_ITEM: Item = Object.freeze({});

/** An attribute of an item or a map: plain objects inherit `constructor`, `__proto__`…, which are no attributes. */
function own(record: Record<string, AttributeValue>, key: string): AttributeValue | undefined {
  const value = record[key];
  if (value === undefined || (typeof value === 'object' && key !== '__proto__')) return value;
  return Object.hasOwn(record, key) ? value : undefined;
}

/** Assigning `__proto__` would set the prototype, not an attribute of that name. */
function setOwn(record: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key !== '__proto__') record[key] = value;
  else Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function typeOf(value: AttributeValue): string {
  for (const type in value) return type;
  return '';
}

function equalValues(a: AttributeValue, b: AttributeValue): boolean {
  if ('S' in a) return 'S' in b && a.S === b.S;
  if ('N' in a) return 'N' in b && compareNumbers(a.N, b.N) === 0;
  if ('B' in a) return 'B' in b && equalBinary(a.B, b.B);
  if ('BOOL' in a) return 'BOOL' in b && a.BOOL === b.BOOL;
  if ('NULL' in a) return 'NULL' in b;
  if ('L' in a) return 'L' in b && a.L.length === b.L.length && a.L.every((x, i) => equalValues(x, b.L[i]!));
  if ('M' in a) {
    if (!('M' in b) || Object.keys(a.M).length !== Object.keys(b.M).length) return false;
    return Object.keys(a.M).every((key) => {
      const other = own(b.M, key);
      return other !== undefined && equalValues(a.M[key]!, other);
    });
  }
  const [x, y] = [setOf(a), setOf(b)];
  if (!x || x.type !== y?.type || x.elements.length !== y.elements.length) return false;
  const elements = new Set(y.elements.map(x.canonical));
  return x.elements.every((element) => elements.has(x.canonical(element)));
}

type SetValue = { type: 'SS' | 'NS' | 'BS'; elements: string[]; canonical: (element: string) => string };
const same = (element: string) => element;

/** A set's elements, with the form in which two equal elements are one string. */
function setOf(value: AttributeValue): SetValue | undefined {
  if ('SS' in value) return { type: 'SS', elements: value.SS, canonical: same };
  if ('NS' in value) return { type: 'NS', elements: value.NS, canonical: normalizeNumber };
  if ('BS' in value) return { type: 'BS', elements: value.BS, canonical: canonicalBinary };
  return undefined;
}

/** Orders two values of one scalar type; NaN (every comparison false) for other types or a mix. */
function orderValues(a: AttributeValue, b: AttributeValue): number {
  if ('N' in a) return 'N' in b ? compareNumbers(a.N, b.N) : Number.NaN;
  if ('S' in a) return 'S' in b ? compareStrings(a.S, b.S) : Number.NaN;
  if ('B' in a) return 'B' in b ? compareBinary(a.B, b.B) : Number.NaN;
  return Number.NaN;
}

function containsValue(haystack: AttributeValue, needle: AttributeValue): boolean {
  if ('S' in haystack) return 'S' in needle && haystack.S.includes(needle.S);
  if ('B' in haystack)
    return 'B' in needle && Buffer.from(haystack.B, 'base64').includes(Buffer.from(needle.B, 'base64'));
  if ('SS' in haystack) return 'S' in needle && haystack.SS.includes(needle.S);
  if ('NS' in haystack) return 'N' in needle && haystack.NS.some((n) => compareNumbers(n, needle.N) === 0);
  if ('BS' in haystack) return 'B' in needle && haystack.BS.some((b) => equalBinary(b, needle.B));
  return 'L' in haystack && haystack.L.some((element) => equalValues(element, needle));
}

function beginsWith(value: AttributeValue, prefix: AttributeValue): boolean {
  if ('S' in value) return 'S' in prefix && value.S.startsWith(prefix.S);
  if (!('B' in value) || !('B' in prefix)) return false;
  const [bytes, start] = [Buffer.from(value.B, 'base64'), Buffer.from(prefix.B, 'base64')];
  return bytes.length >= start.length && start.compare(bytes, 0, start.length) === 0;
}

/** size(): as dynalite, a string's length in UTF-16 units; a binary's bytes; the elements of a set, list or map. */
function sizeOf(value: AttributeValue | undefined): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if ('S' in value) return { N: String(value.S.length) };
  if ('B' in value) return { N: String(Buffer.byteLength(value.B, 'base64')) };
  if ('L' in value) return { N: String(value.L.length) };
  if ('M' in value) return { N: String(Object.keys(value.M).length) };
  const set = setOf(value);
  return set && { N: String(set.elements.length) };
}

/** A deep copy with numbers in DynamoDB's form: what an update stores shares nothing with the request. */
function copyValue(value: AttributeValue): AttributeValue {
  if ('N' in value) return { N: normalizeNumber(value.N) };
  if ('L' in value) return { L: value.L.map(copyValue) };
  if ('M' in value) {
    const map: Record<string, AttributeValue> = {};
    for (const key of Object.keys(value.M)) setOwn(map, key, copyValue(value.M[key]!));
    return { M: map };
  }
  if ('NS' in value) return { NS: value.NS.map(normalizeNumber) };
  if ('SS' in value) return { SS: [...value.SS] };
  if ('BS' in value) return { BS: [...value.BS] };
  return { ...value };
}

// ---------------------------------------------------------------------------------------------------------------
// Paths: `a.b[2].#c` is ['a', 'b', 2, { ref: '#c' }]; a `#name` is resolved at evaluation, from that request.

type NameRef = { readonly ref: string };
type Segment = string | number | NameRef;
type Key = string | number;
type Paths = readonly (readonly Segment[])[];
type Container = Record<string, AttributeValue> | AttributeValue[];

function keyOf(segment: Segment, p: Placeholders | undefined): Key {
  return typeof segment === 'object' ? p!.names![segment.ref]! : segment;
}

function resolvePath(item: Item, path: readonly Segment[], p?: Placeholders): AttributeValue | undefined {
  let value = own(item, keyOf(path[0]!, p) as string);
  for (let i = 1; i < path.length && value !== undefined; i++) {
    const key = keyOf(path[i]!, p);
    if (typeof key === 'number') value = 'L' in value ? value.L[key] : undefined;
    else value = 'M' in value ? own(value.M, key) : undefined;
  }
  return value;
}

function childOf(container: Container, key: Key): AttributeValue | undefined {
  if (Array.isArray(container)) return typeof key === 'number' ? container[key] : undefined;
  return typeof key === 'string' ? own(container, key) : undefined;
}

function placeIn(container: Container, key: Key, value: AttributeValue): void {
  if (Array.isArray(container)) container[key as number] = value;
  else setOwn(container, key as string, value);
}

/** Closes the holes a write past a list's end or a projection's picks left, keeping the order. */
function compact(list: AttributeValue[]): void {
  let kept = 0;
  for (let i = 0; i < list.length; i++) if (i in list) list[kept++] = list[i]!;
  list.length = kept;
}

function pathText(path: readonly Segment[]): string {
  return `[${path.map((s) => (typeof s === 'number' ? `[${s}]` : typeof s === 'string' ? s : s.ref)).join(', ')}]`;
}

/** As DynamoDB: no path of an update or a projection may be a prefix of another, nor index what another names. */
function checkOverlap(paths: readonly (readonly Key[])[]): void {
  let conflict: string | undefined;
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const [one, two] = [paths[i]!, paths[j]!];
      let k = 0;
      while (k < one.length && k < two.length && one[k] === two[k]) k++;
      const pair = `must remove or rewrite one of these paths; path one: ${pathText(one)}, path two: ${pathText(two)}`;
      if (k === one.length || k === two.length)
        throw new ExpressionError(`Two document paths overlap with each other; ${pair}`);
      if (typeof one[k] !== typeof two[k]) conflict ??= `Two document paths conflict with each other; ${pair}`;
    }
  }
  if (conflict) throw new ExpressionError(conflict);
}

/** Checks the overlaps now, or with each request's names when a path has some. */
function overlapCheck(paths: Paths, checks: Check[]): void {
  if (!paths.some((path) => path.some((segment) => typeof segment === 'object'))) checkOverlap(paths as Key[][]);
  else checks.push((p) => checkOverlap(paths.map((path) => path.map((segment) => keyOf(segment, p)))));
}

/** The item's values at the paths, nested as in the item: the picks from one list close up, in their order. */
function pick(item: Item, paths: Paths, p: Placeholders): Item {
  const result: Item = {};
  const lists: AttributeValue[][] = [];
  for (const path of paths) {
    const found = resolvePath(item, path, p);
    if (found === undefined) continue;
    let container: Container = result;
    for (let i = 0; i < path.length - 1; i++) {
      const key = keyOf(path[i]!, p);
      const inList = typeof path[i + 1] === 'number';
      let child = childOf(container, key);
      if (child === undefined) {
        child = inList ? { L: [] } : { M: {} };
        placeIn(container, key, child);
        if (inList) lists.push((child as { L: AttributeValue[] }).L);
      }
      container = inList ? (child as { L: AttributeValue[] }).L : (child as { M: Item }).M;
    }
    placeIn(container, keyOf(path.at(-1)!, p), found);
  }
  for (const list of lists) compact(list);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens and the parser of the four grammars.

type Token = {
  readonly kind: 'name' | 'attr' | 'value' | 'int' | 'op' | 'bad' | 'end';
  readonly text: string;
  readonly start: number;
  readonly end: number;
};

const OPERATOR_CHARS = new Set(['(', ')', '[', ']', ',', '.', '=', '<', '>', '+', '-']);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordPart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const start = i++;
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    let kind: Token['kind'] = OPERATOR_CHARS.has(text[start]!) ? 'op' : 'bad';
    if (isDigit(c)) kind = 'int';
    else if (isWordPart(c)) kind = 'name';
    else if ((c === 35 || c === 58) && isWordPart(text.charCodeAt(i))) kind = c === 35 ? 'attr' : 'value';
    if (kind === 'int') {
      while (isDigit(text.charCodeAt(i))) i++;
    } else if (kind !== 'op' && kind !== 'bad') {
      while (isWordPart(text.charCodeAt(i))) i++;
    } else if ((c === 60 || c === 62) && (text[i] === '=' || (c === 60 && text[i] === '>'))) i++;
    tokens.push({ kind, text: text.slice(start, i), start, end: i });
    if (kind === 'bad') break;
  }
  tokens.push({ kind: 'end', text: '<EOF>', start: text.length, end: text.length });
  return tokens;
}

/** A parsed operand, condition or update value; `start` and `end` index the tokens it spans. */
type Node = {
  readonly kind: string;
  readonly args: readonly Node[];
  readonly path?: readonly Segment[];
  readonly ref?: string;
  readonly name?: string;
  readonly start: number;
  readonly end: number;
  readonly parenthesized?: boolean;
};
type Action = { readonly clause: string; readonly path: readonly Segment[]; readonly value?: Node };

/** What a request's placeholders must satisfy; DynamoDB reports a failure as the expression's error. */
type Check = (p: Placeholders) => void;

type Grammar = 'condition' | 'update' | 'projection';
const KEYWORDS: Record<Grammar, ReadonlySet<string>> = {
  condition: new Set(['BETWEEN', 'IN', 'AND', 'OR', 'NOT']),
  update: new Set(['SET', 'REMOVE', 'ADD', 'DELETE']),
  projection: new Set(),
};
const FUNCTIONS: Record<Grammar, ReadonlyMap<string, number>> = {
  condition: new Map(
    Object.entries({
      attribute_exists: 1,
      attribute_not_exists: 1,
      attribute_type: 2,
      begins_with: 2,
      contains: 2,
      size: 1,
    }),
  ),
  update: new Map(Object.entries({ if_not_exists: 2, list_append: 2 })),
  projection: new Map(),
};
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);
// Errors met while parsing are reported once it is done, the first in this order, as DynamoDB picks among several.
const PROBLEM_ORDER = ['parens', 'unknownFunction', 'misusedFunction', 'reserved', 'section', 'operands'] as const;

class Parser {
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  readonly #text: string;
  readonly #tokens: Token[];
  readonly #keywords: ReadonlySet<string>;
  readonly #functions: ReadonlyMap<string, number>;
  readonly #problems = new Map<(typeof PROBLEM_ORDER)[number], string>();
  #at = 0;

  constructor(text: string, grammar: Grammar) {
    if (text === '') throw new ExpressionError('The expression can not be empty;');
    [this.#text, this.#tokens] = [text, tokenize(text)];
    [this.#keywords, this.#functions] = [KEYWORDS[grammar], FUNCTIONS[grammar]];
  }

  #peek(ahead = 0): Token {
    return this.#tokens[Math.min(this.#at + ahead, this.#tokens.length - 1)]!;
  }

  eat(op: string): boolean {
    const token = this.#peek();
    if (token.kind !== 'op' || token.text !== op) return false;
    this.#at++;
    return true;
  }

  #expect(op: string): void {
    if (!this.eat(op)) this.#fail();
  }

  #keyword(word: string): boolean {
    const token = this.#peek();
    return token.kind === 'name' && token.text.toUpperCase() === word;
  }

  #fail(at = this.#at): never {
    const token = this.#tokens[at]!;
    const near = this.#text.slice(this.#tokens[Math.max(0, at - 1)]!.start, (this.#tokens[at + 1] ?? token).end);
    throw new ExpressionError(`Syntax error; token: "${token.text}", near: "${near}"`);
  }

  #problem(kind: (typeof PROBLEM_ORDER)[number], message: string): void {
    if (!this.#problems.has(kind)) this.#problems.set(kind, message);
  }

  /** The text must be all read; then the first problem met, if any, is the expression's error. */
  finish(): void {
    if (this.#peek().kind !== 'end') this.#fail();
    for (const kind of PROBLEM_ORDER) {
      const message = this.#problems.get(kind);
      if (message !== undefined) throw new ExpressionError(message);
    }
  }

  #node(kind: string, args: readonly Node[], start: number, extra?: Partial<Node>): Node {
    return { kind, args, start, end: this.#at, ...extra };
  }

  path(): Segment[] {
    const segments: Segment[] = [this.#segment()];
    for (;;) {
      if (this.eat('.')) segments.push(this.#segment());
      else if (!this.eat('[')) return segments;
      else {
        const index = this.#peek();
        if (index.kind !== 'int') this.#fail();
        this.#at++;
        this.#expect(']');
        segments.push(Number(index.text));
      }
    }
  }

  #segment(): string | NameRef {
    const token = this.#peek();
    if (token.kind === 'attr') {
      this.#at++;
      this.names.add(token.text);
      return { ref: token.text };
    }
    if (token.kind !== 'name' || this.#keywords.has(token.text.toUpperCase())) this.#fail();
    this.#at++;
    if (RESERVED_WORDS.has(token.text.toUpperCase()))
      this.#problem('reserved', `Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    return token.text;
  }

  #value(): Node {
    const token = this.#peek();
    this.#at++;
    this.values.add(token.text);
    return this.#node('value', [], this.#at - 1, { ref: token.text });
  }

  #call(argument: () => Node): Node | undefined {
    const [token, next] = [this.#peek(), this.#peek(1)];
    if (token.kind !== 'name' || next.text !== '(' || next.kind !== 'op') return undefined;
    if (this.#keywords.has(token.text.toUpperCase())) this.#fail();
    const start = this.#at;
    this.#at += 2;
    const args = [argument()];
    while (this.eat(',')) args.push(argument());
    this.#expect(')');
    const arity = this.#functions.get(token.text);
    if (arity === undefined) this.#problem('unknownFunction', `Invalid function name; function: ${token.text}`);
    else if (arity !== args.length)
      this.#problem(
        'operands',
        `Incorrect number of operands for operator or function; operator or function: ${token.text}, number of operands: ${args.length}`,
      );
    return this.#node('call', args, start, { name: token.text });
  }

  // Conditions. One grammar for conditions and operands, as a parenthesis may open either (`(a) = :v`,
  // `(a = :v)`); each place then checks it got the kind it needs. NOT binds tighter than AND, AND than OR.

  or(): Node {
    const left = this.#and();
    if (!this.#keyword('OR')) return left;
    this.#at++;
    return this.#node('or', [this.condition(left), this.condition(this.or())], left.start);
  }

  #and(): Node {
    const left = this.#not();
    if (!this.#keyword('AND')) return left;
    this.#at++;
    return this.#node('and', [this.condition(left), this.condition(this.#and())], left.start);
  }

  #not(): Node {
    if (!this.#keyword('NOT')) return this.#comparison();
    const start = this.#at++;
    return this.#node('not', [this.condition(this.#not())], start);
  }

  #comparison(): Node {
    const left = this.#atom();
    const token = this.#peek();
    if (token.kind === 'op' && COMPARATORS.has(token.text)) {
      const first = this.#operand(left, this.#at++);
      return this.#node(token.text, [first, this.#operand(this.#atom())], left.start);
    }
    if (this.#keyword('BETWEEN')) {
      const [first, low] = [this.#operand(left, this.#at++), this.#operand(this.#atom())];
      if (!this.#keyword('AND')) this.#fail();
      this.#at++;
      return this.#node('between', [first, low, this.#operand(this.#atom())], left.start);
    }
    if (!this.#keyword('IN')) return left;
    const args = [this.#operand(left, this.#at++)];
    this.#expect('(');
    do args.push(this.#operand(this.#atom()));
    while (this.eat(','));
    this.#expect(')');
    return this.#node('in', args, left.start);
  }

  #atom(): Node {
    const start = this.#at;
    if (this.eat('(')) {
      const inner = this.or();
      this.#expect(')');
      if (inner.parenthesized) this.#problem('parens', 'The expression has redundant parentheses;');
      return { ...inner, start, end: this.#at, parenthesized: true };
    }
    if (this.#peek().kind === 'value') return this.#value();
    return this.#call(() => this.#operand(this.#atom())) ?? this.#node('path', [], start, { path: this.path() });
  }

  #operand(node: Node, errorAt = node.start): Node {
    if (node.kind === 'path' || node.kind === 'value') return node;
    if (node.kind !== 'call') this.#fail(errorAt);
    if (node.name !== 'size') this.#misused(node.name!);
    return node;
  }

  condition(node: Node): Node {
    if (node.kind === 'path' || node.kind === 'value') this.#fail(node.end);
    if (node.kind === 'call' && node.name === 'size') this.#misused('size');
    return node;
  }

  #misused(name: string): void {
    this.#problem(
      'misusedFunction',
      `The function is not allowed to be used this way in an expression; function: ${name}`,
    );
  }

  // Updates: SET, REMOVE, ADD and DELETE clauses, each once, in any order.

  actions(): Action[] {
    const actions: Action[] = [];
    const seen = new Set<string>();
    do {
      const clause = this.#peek().text.toUpperCase();
      if (this.#peek().kind !== 'name' || !this.#keywords.has(clause)) this.#fail();
      this.#at++;
      if (seen.has(clause))
        this.#problem('section', `The "${clause}" section can only be used once in an update expression;`);
      seen.add(clause);
      do actions.push(this.#action(clause));
      while (this.eat(','));
    } while (this.#peek().kind !== 'end');
    return actions;
  }

  #action(clause: string): Action {
    const path = this.path();
    if (clause === 'REMOVE') return { clause, path };
    if (clause === 'SET') {
      this.#expect('=');
      return { clause, path, value: this.#setValue() };
    }
    if (this.#peek().kind !== 'value') this.#fail();
    return { clause, path, value: this.#value() };
  }

  #setValue(): Node {
    const left = this.#updateOperand();
    const token = this.#peek();
    if (token.kind !== 'op' || (token.text !== '+' && token.text !== '-')) return left;
    this.#at++;
    return this.#node(token.text, [left, this.#updateOperand()], left.start);
  }

  #updateOperand(): Node {
    const start = this.#at;
    if (this.eat('(')) {
      const inner = this.#setValue();
      this.#expect(')');
      return inner;
    }
    if (this.#peek().kind === 'value') return this.#value();
    return this.#call(() => this.#updateOperand()) ?? this.#node('path', [], start, { path: this.path() });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions, compiled to closures over (item, placeholders).

type Getter = (item: Item, p: Placeholders) => AttributeValue | undefined;
type Test = (item: Item, p: Placeholders) => boolean;

const ORDERINGS: Record<string, (order: number) => boolean> = {
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
};
const TYPE_NAMES = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

/**
 * Checks that the request gives every placeholder and that its values pass `checks`. Once per placeholders object: a
 * request's placeholders do not change while it runs, and its filter is evaluated on every item its scan reads.
 */
function placeholderCheck(uses: Uses, checks: readonly Check[]): Check {
  let checked: Placeholders | undefined;
  return (p) => {
    if (p === checked) return;
    for (const name of uses.names)
      if (typeof p.names?.[name] !== 'string')
        throw new ExpressionError(
          `An expression attribute name used in the document path is not defined; attribute name: ${name}`,
        );
    for (const value of uses.values)
      if (p.values?.[value] === undefined)
        throw new ExpressionError(
          `An expression attribute value used in expression is not defined; attribute value: ${value}`,
        );
    for (const check of checks) check(p);
    checked = p;
  };
}

function operandTypeError(operator: string, type: string): ExpressionError {
  return new ExpressionError(
    `Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${type}`,
  );
}

/** A `:value`'s type is known with the request's values only; size() is a number. */
function checkValueType(checks: Check[], node: Node, operator: string, accepts: (type: string) => boolean): void {
  if (node.kind === 'call' && node.name === 'size' && !accepts('N')) throw operandTypeError(operator, 'N');
  const ref = node.ref;
  if (node.kind !== 'value' || ref === undefined) return;
  checks.push((p) => {
    const type = typeOf(p.values![ref]!);
    if (!accepts(type)) throw operandTypeError(operator, type);
  });
}

function checkDistinct(operator: string, [first, second]: readonly Node[]): void {
  if (first?.kind !== 'path' || second?.kind !== 'path' || pathText(first.path!) !== pathText(second.path!)) return;
  throw new ExpressionError(
    `The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${pathText(first.path!)}`,
  );
}

function checkBetween(low: AttributeValue, high: AttributeValue): void {
  const [lowType, highType] = [typeOf(low), typeOf(high)];
  const bounds = `lower bound operand: AttributeValue: {${lowType}:${Object.values(low)[0]}}, upper bound operand: AttributeValue: {${highType}:${Object.values(high)[0]}}`;
  if (lowType !== highType)
    throw new ExpressionError(`The BETWEEN operator requires same data type for lower and upper bounds; ${bounds}`);
  if (orderValues(low, high) > 0)
    throw new ExpressionError(
      `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ${bounds}`,
    );
}

function compileOperand(node: Node, checks: Check[]): Getter {
  const { ref, path } = node;
  if (ref !== undefined) return (_item, p) => p.values![ref];
  if (path !== undefined) {
    const head = path[0];
    if (path.length === 1 && typeof head === 'string') return (item) => own(item, head);
    return (item, p) => resolvePath(item, path, p);
  }
  const argument = node.args[0]!;
  checkValueType(checks, argument, 'size', (type) => type !== 'N' && type !== 'BOOL' && type !== 'NULL');
  const get = compileOperand(argument, checks);
  return (item, p) => sizeOf(get(item, p));
}

/** A test of two operands: false if either is missing. */
function both(left: Getter, right: Getter, holds: (x: AttributeValue, y: AttributeValue) => boolean): Test {
  return (item, p) => {
    const x = left(item, p);
    if (x === undefined) return false;
    const y = right(item, p);
    return y !== undefined && holds(x, y);
  };
}

function compileTest(node: Node, checks: Check[]): Test {
  const [a, b, c] = node.args;
  if (node.kind === 'and' || node.kind === 'or') {
    const [left, right] = [compileTest(a!, checks), compileTest(b!, checks)];
    return node.kind === 'and'
      ? (item, p) => left(item, p) && right(item, p)
      : (item, p) => left(item, p) || right(item, p);
  }
  if (node.kind === 'not') {
    const inner = compileTest(a!, checks);
    return (item, p) => !inner(item, p);
  }
  if (node.kind === 'call') return compileFunction(node, checks);
  const [get, ...others] = node.args.map((arg) => compileOperand(arg, checks)) as [Getter, ...Getter[]];
  if (node.kind === 'in')
    return (item, p) => {
      const value = get(item, p);
      if (value === undefined) return false;
      for (const other of others) {
        const candidate = other(item, p);
        if (candidate !== undefined && equalValues(value, candidate)) return true;
      }
      return false;
    };
  if (node.kind === 'between') {
    const [low, high] = [b!.ref, c!.ref];
    if (low !== undefined && high !== undefined) checks.push((p) => checkBetween(p.values![low]!, p.values![high]!));
    const [from, to] = [
      both(get, others[0]!, (x, y) => orderValues(x, y) >= 0),
      both(get, others[1]!, (x, y) => orderValues(x, y) <= 0),
    ];
    return (item, p) => from(item, p) && to(item, p);
  }
  checkDistinct(node.kind, node.args);
  const equal = both(get, others[0]!, equalValues);
  if (node.kind === '=') return equal;
  // As in DynamoDB, a missing operand differs from anything.
  if (node.kind === '<>') return (item, p) => !equal(item, p);
  const holds = ORDERINGS[node.kind]!;
  return both(get, others[0]!, (x, y) => holds(orderValues(x, y)));
}

function compileFunction(node: Node, checks: Check[]): Test {
  const name = node.name!;
  const [a, b] = node.args;
  if (name === 'attribute_exists' || name === 'attribute_not_exists') {
    if (a!.kind !== 'path')
      throw new ExpressionError(`Operator or function requires a document path; operator or function: ${name}`);
    const [get, exists] = [compileOperand(a!, checks), name === 'attribute_exists'];
    return (item, p) => (get(item, p) !== undefined) === exists;
  }
  checkDistinct(name, node.args);
  const [get, other] = [compileOperand(a!, checks), compileOperand(b!, checks)];
  if (name === 'begins_with') {
    for (const arg of node.args) checkValueType(checks, arg, name, (type) => type === 'S' || type === 'B');
    return both(get, other, beginsWith);
  }
  if (name === 'contains') return both(get, other, containsValue);
  const ref = b!.ref;
  if (ref === undefined) throw operandTypeError(name, b!.kind === 'path' ? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}' : 'N');
  checks.push((p) => {
    const type = p.values![ref]!;
    if (!('S' in type)) throw operandTypeError(name, typeOf(type));
    if (!TYPE_NAMES.has(type.S))
      throw new ExpressionError(
        `Invalid attribute type name found; type: ${type.S}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
      );
  });
  return both(get, other, (value, type) => typeOf(value) === (type as { S: string }).S);
}

function compileCondition(text: string): Condition {
  const parser = new Parser(text, 'condition');
  const root = parser.condition(parser.or());
  parser.finish();
  const checks: Check[] = [];
  const test = compileTest(root, checks);
  const check = placeholderCheck(parser, checks);
  return {
    names: parser.names,
    values: parser.values,
    evaluate(item, p) {
      check(p);
      return test(item ?? EMPTY_ITEM, p);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Key conditions: the condition grammar, held to what a query can seek. DynamoDB words these refusals whole.

type KeyPart = { readonly key: string | NameRef; readonly op: SortKeyOperator; readonly values: readonly string[] };

const FLIPPED: Record<string, SortKeyOperator> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function collectKeyParts(node: Node, parts: KeyPart[]): void {
  const { kind, args } = node;
  if (kind === 'and') {
    for (const arg of args) collectKeyParts(arg, parts);
    return;
  }
  if (kind === 'call' && node.name === 'size') fail('KeyConditionExpressions cannot contain nested operations');
  if (kind === 'call' && node.name !== 'begins_with')
    fail(`Invalid operator used in KeyConditionExpression: ${node.name}`);
  const isComparison = kind !== '<>' && COMPARATORS.has(kind);
  if (!isComparison && kind !== 'between' && kind !== 'call')
    fail(`Invalid operator used in KeyConditionExpression: ${kind.toUpperCase()}`);
  if (args.some((arg) => arg.kind === 'call')) fail('KeyConditionExpressions cannot contain nested operations');
  const keys = args.filter((arg) => arg.kind === 'path');
  if (keys.length > 1)
    fail('Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
  const key = keys[0] ?? fail('Invalid condition in KeyConditionExpression: No key attribute specified');
  if (key.path!.length > 1) fail('KeyConditionExpressions cannot have conditions on nested attributes');
  const first = args[0] === key;
  if (!first && !isComparison)
    fail(
      `Invalid condition in KeyConditionExpression: ${kind === 'call' ? 'begins_with' : 'BETWEEN'} operator must have the key attribute as its first operand`,
    );
  const op =
    kind === 'call'
      ? 'begins_with'
      : kind === 'between'
        ? 'between'
        : first
          ? (kind as SortKeyOperator)
          : FLIPPED[kind]!;
  parts.push({
    key: key.path![0] as string | NameRef,
    op,
    values: args.filter((arg) => arg !== key).map((arg) => arg.ref!),
  });
}

function compileKeyCondition(text: string): KeyCondition {
  const parser = new Parser(text, 'condition');
  const root = parser.condition(parser.or());
  parser.finish();
  const parts: KeyPart[] = [];
  collectKeyParts(root, parts);
  if (parts.length > 2) fail('Conditions can be of length 1 or 2 only');
  const check = placeholderCheck(parser, []);
  return {
    names: parser.names,
    values: parser.values,
    resolve(p, partitionKey) {
      check(p);
      const resolved = parts.map(({ key, op, values }) => ({
        name: keyOf(key, p) as string,
        op,
        values: values.map((ref) => p.values![ref]!),
      }));
      if (resolved[1] && resolved[0]!.name === resolved[1].name)
        fail('KeyConditionExpressions must only contain one condition per key');
      for (const { op, values } of resolved) {
        if (op === 'between') checkBetween(values[0]!, values[1]!);
        if (op === 'begins_with' && !('S' in values[0]! || 'B' in values[0]!))
          throw operandTypeError(op, typeOf(values[0]!));
      }
      const at = resolved.findIndex((part) =>
        partitionKey === undefined ? part.op === '=' : part.name === partitionKey,
      );
      const partition = resolved[at];
      if (partition === undefined && partitionKey !== undefined)
        fail(`Query condition missed key schema element: ${partitionKey}`);
      if (partition?.op !== '=') fail('Query key condition not supported');
      const sort = resolved[1 - at];
      return { partition: { name: partition.name, value: partition.values[0]! }, ...(sort && { sort }) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Updates. Every operand reads the item as it was; then the actions write a copy.

type Compute = (item: Item, p: Placeholders) => AttributeValue;

const WRONG_TYPE = 'An operand in the update expression has an incorrect data type';
const TYPE_WORDS: Record<string, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  NULL: 'NULL',
  BOOL: 'BOOLEAN',
  L: 'LIST',
  M: 'MAP',
};

function compileValue(node: Node, checks: Check[]): Compute {
  if (node.kind === 'value' || node.kind === 'path') {
    const get = compileOperand(node, checks);
    return (item, p) =>
      get(item, p) ?? fail('The provided expression refers to an attribute that does not exist in the item');
  }
  const [a, b] = node.args as [Node, Node];
  if (node.name === 'if_not_exists') {
    if (a.kind !== 'path')
      throw new ExpressionError('Operator or function requires a document path; operator or function: if_not_exists');
    const [get, otherwise] = [compileOperand(a, checks), compileValue(b, checks)];
    return (item, p) => get(item, p) ?? otherwise(item, p);
  }
  const operator = node.name ?? node.kind;
  const type = operator === 'list_append' ? 'L' : 'N';
  for (const arg of node.args) checkValueType(checks, arg, operator, (t) => t === type);
  const [left, right] = [compileValue(a, checks), compileValue(b, checks)];
  if (type === 'L')
    return (item, p) => {
      const [x, y] = [left(item, p), right(item, p)];
      return 'L' in x && 'L' in y ? { L: [...x.L, ...y.L] } : fail(WRONG_TYPE);
    };
  const subtract = operator === '-';
  return (item, p) => {
    const [x, y] = [left(item, p), right(item, p)];
    return 'N' in x && 'N' in y ? { N: addNumbers(x.N, y.N, subtract) } : fail(WRONG_TYPE);
  };
}

/** ADD: a number's sum, a set's union, or the value itself where there was none. */
function added(existing: AttributeValue | undefined, value: AttributeValue): AttributeValue {
  if (existing === undefined) return copyValue(value);
  if ('N' in value) return 'N' in existing ? { N: addNumbers(existing.N, value.N, false) } : fail(WRONG_TYPE);
  const [current, extra] = [setOf(existing), setOf(copyValue(value))!];
  if (current?.type !== extra.type) fail(WRONG_TYPE);
  const seen = new Set(current.elements.map(current.canonical));
  const fresh = extra.elements.filter((element) => !seen.has(current.canonical(element)));
  return { [current.type]: [...current.elements, ...fresh] } as AttributeValue;
}

/** DELETE: what is left of the set; undefined when nothing is (an empty set is no value). */
function deleted(existing: AttributeValue, value: AttributeValue): AttributeValue | undefined {
  const [current, gone] = [setOf(existing), setOf(value)!];
  if (current?.type !== gone.type) fail(WRONG_TYPE);
  const dropped = new Set(gone.elements.map(gone.canonical));
  const kept = current.elements.filter((element) => !dropped.has(current.canonical(element)));
  return kept.length > 0 ? ({ [current.type]: kept } as AttributeValue) : undefined;
}

/** The new item, written copy-on-write: each container on a written path is copied once, the rest shared. */
class Draft {
  readonly item: Item;
  readonly #copies = new Set<object>();
  readonly #stretched = new Set<AttributeValue[]>();
  readonly #removals: { list: AttributeValue[]; index: number }[] = [];

  constructor(item: Item) {
    this.item = { ...item };
    this.#copies.add(this.item);
  }

  #parent(path: readonly Key[]): Container {
    let container: Container = this.item;
    for (let i = 0; i < path.length - 1; i++) {
      const child = childOf(container, path[i]!);
      const inList = typeof path[i + 1] === 'number';
      if (child === undefined || !(inList ? 'L' in child : 'M' in child))
        fail('The document path provided in the update expression is invalid for update');
      let inner: Container = 'L' in child ? child.L : (child as { M: Item }).M;
      if (!this.#copies.has(inner)) {
        inner = Array.isArray(inner) ? [...inner] : { ...inner };
        this.#copies.add(inner);
        placeIn(container, path[i]!, Array.isArray(inner) ? { L: inner } : { M: inner });
      }
      container = inner;
    }
    return container;
  }

  get(path: readonly Key[]): AttributeValue | undefined {
    return childOf(this.#parent(path), path.at(-1)!);
  }

  put(path: readonly Key[], value: AttributeValue): void {
    const [container, key] = [this.#parent(path), path.at(-1)!];
    // Past a list's end DynamoDB appends: the hole closes when the update is done.
    if (Array.isArray(container) && (key as number) > container.length) this.#stretched.add(container);
    placeIn(container, key, value);
  }

  remove(path: readonly Key[]): void {
    const [container, key] = [this.#parent(path), path.at(-1)!];
    if (!Array.isArray(container)) delete container[key as string];
    else if ((key as number) < container.length) this.#removals.push({ list: container, index: key as number });
  }

  finish(): Item {
    // The indexes name the lists as they were: removing from the end, no removal moves another's element.
    this.#removals.sort((x, y) => y.index - x.index);
    for (const { list, index } of this.#removals) list.splice(index, 1);
    for (const list of this.#stretched) compact(list);
    return this.item;
  }
}

function compileUpdate(text: string): Update {
  const parser = new Parser(text, 'update');
  const actions = parser.actions();
  parser.finish();
  const checks: Check[] = [];
  const paths = actions.map((action) => action.path);
  overlapCheck(paths, checks);
  const computes = actions.map(({ clause, value }) => {
    if (clause === 'REMOVE') return undefined;
    if (clause === 'SET') return compileValue(value!, checks);
    const ref = value!.ref!;
    checks.push((p) => {
      const word = TYPE_WORDS[typeOf(p.values![ref]!)];
      if (word !== undefined && !(clause === 'ADD' && word === 'NUMBER'))
        throw new ExpressionError(
          `Incorrect operand type for operator or function; operator: ${clause}, operand type: ${word}`,
        );
    });
    return compileValue(value!, checks);
  });
  const check = placeholderCheck(parser, checks);
  return {
    names: parser.names,
    values: parser.values,
    apply(item, p) {
      check(p);
      const values = computes.map((compute) => compute?.(item, p));
      const draft = new Draft(item);
      actions.forEach(({ clause, path: segments }, i) => {
        const [path, value] = [segments.map((segment) => keyOf(segment, p)), values[i]!];
        if (clause === 'SET') draft.put(path, copyValue(value));
        else if (clause === 'REMOVE') draft.remove(path);
        else if (clause === 'ADD') draft.put(path, added(draft.get(path), value));
        else {
          const existing = draft.get(path);
          const rest = existing && deleted(existing, value);
          if (rest) draft.put(path, rest);
          else if (existing) draft.remove(path);
        }
      });
      return draft.finish();
    },
    touches(keyNames, p) {
      for (const [head] of paths) {
        const name = typeof head === 'object' ? p?.names?.[head.ref] : head;
        if (typeof name === 'string' && keyNames.includes(name)) return name;
      }
      return undefined;
    },
    updated(item, p) {
      check(p);
      return pick(item, paths, p);
    },
  };
}

function compileProjection(text: string): Projection {
  const parser = new Parser(text, 'projection');
  const paths = [parser.path()];
  while (parser.eat(',')) paths.push(parser.path());
  parser.finish();
  const checks: Check[] = [];
  overlapCheck(paths, checks);
  const check = placeholderCheck(parser, checks);
  return {
    names: parser.names,
    apply(item, p) {
      check(p);
      return pick(item, paths, p);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Each text is compiled once; past the bound the oldest goes, so that texts built per request cannot grow it.

const CACHE_LIMIT = 10_000;
const caches = {
  condition: new Map<string, Condition>(),
  key: new Map<string, KeyCondition>(),
  update: new Map<string, Update>(),
  projection: new Map<string, Projection>(),
};

function cached<T>(cache: Map<string, T>, text: string, compile: (text: string) => T): T {
  let compiled = cache.get(text);
  if (compiled === undefined) {
    compiled = compile(text);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(text, compiled);
  }
  return compiled;
}

/** A ConditionExpression or FilterExpression, compiled once per text; a wrong one throws an ExpressionError. */
export function condition(text: string): Condition {
  return cached(caches.condition, text, compileCondition);
}

/** A KeyConditionExpression, compiled once per text; a wrong one throws an ExpressionError. */
export function keyCondition(text: string): KeyCondition {
  return cached(caches.key, text, compileKeyCondition);
}

/** An UpdateExpression, compiled once per text; a wrong one throws an ExpressionError. */
export function update(text: string): Update {
  return cached(caches.update, text, compileUpdate);
}

/** A ProjectionExpression, compiled once per text; a wrong one throws an ExpressionError. */
export function projection(text: string): Projection {
  return cached(caches.projection, text, compileProjection);
}

// DynamoDB refuses these as attribute names written in an expression (a #name placeholder stands in for one).
const RESERVED_WORDS = new Set(
  (
    'ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ' +
    'ASC ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO ' +
    'AVG BACK BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET ' +
    'BULK BY BYTE CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS ' +
    'CLOB CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS ' +
    'COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY ' +
    'CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER ' +
    'CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE ' +
    'DEFAULT DEFERRABLE DEFERRED DEFINE DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE ' +
    'DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN ' +
    'DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ' +
    'ESCAPED EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN ' +
    'EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE FAMILY FETCH FIELDS FILE FILTER FILTERING ' +
    'FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION ' +
    'FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING ' +
    'HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE INCREMENT ' +
    'INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER INNTER INOUT INPUT ' +
    'INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM ITEMS ' +
    'ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE ' +
    'LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG ' +
    'LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD ' +
    'MODE MODIFIES MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO ' +
    'NONE NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR ' +
    'OPTION OR ORDER ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL ' +
    'PARAMETER PARAMETERS PARTIAL PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION ' +
    'PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE ' +
    'PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM ' +
    'RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES ' +
    'REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT REPLACE REQUEST RESET ' +
    'RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ' +
    'ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE ' +
    'SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE ' +
    'SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME SOURCE ' +
    'SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING ' +
    'START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION ' +
    'SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY TERMINATED TEXT ' +
    'THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM ' +
    'TRANSLATE TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT ' +
    'UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING UUID ' +
    'VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN ' +
    'WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE'
  ).split(' '),
);
