import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  type AttributeValue,
  compareBinary,
  compareNumbers,
  compareStrings,
  condition,
  ExpressionError,
  type Item,
  keyCondition,
  normalizeNumber,
  type Placeholders,
  projection,
  update,
} from '../../local/tables/expressions.ts';

/**
 * The expressions of the in-memory tables (local/tables/expressions.ts), held to DynamoDB's behaviour and, case by
 * case, to dynalite's (the emulator they replace): its own parsers, filter evaluation and update code run beside.
 */

// dynalite, loaded from its own files: the validations parse an expression with its parsers, db evaluates a
// filter, and actions/updateItem.js keeps the update's application to itself (read out of its source).
const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const dynaliteValidations = fromDynalite('./validations/index.js') as {
  validateExpressions(data: Record<string, unknown>): string | undefined;
};
const dynaliteDb = fromDynalite('./db/index.js') as { matchesExprFilter(item: unknown, expr: unknown): boolean };
const updateItemFile = fromDynalite.resolve('./actions/updateItem.js');
const dynaliteApplyUpdate = new Function(
  'require',
  'module',
  'exports',
  `${readFileSync(updateItemFile, 'utf8')}\nreturn applyUpdateExpression;`,
)(createRequire(updateItemFile), { exports: {} }, {}) as (sections: unknown, table: unknown, item: unknown) => unknown;

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const bin = (...bytes: number[]) => Buffer.from(bytes).toString('base64');

const ITEM: Item = {
  s: { S: 'hello' },
  n: { N: '12345678901234567890.123' },
  neg: { N: '-4.5' },
  hundred: { N: '100' },
  b: { B: bin(1, 2, 3) },
  bhi: { B: bin(255) },
  t: { BOOL: true },
  nul: { NULL: true },
  ss: { SS: ['x', 'y'] },
  ns: { NS: ['1', '2.5'] },
  bs: { BS: [bin(1), bin(2)] },
  l: { L: [{ S: 'x' }, { N: '1' }, { M: { c: { S: 'deep' } } }] },
  m: { M: { b: { N: '5' }, s: { S: 'in' } } },
};
const VALUES: Record<string, AttributeValue> = {
  ':hello': { S: 'hello' },
  ':hel': { S: 'hel' },
  ':help': { S: 'help' },
  ':x': { S: 'x' },
  ':deep': { S: 'deep' },
  ':n0': { N: '12345678901234567890.123' },
  ':n1': { N: '12345678901234567890.124' },
  ':e2': { N: '1E2' },
  ':m5': { N: '-5' },
  ':one': { N: '1' },
  ':two': { N: '2' },
  ':three': { N: '3' },
  ':five': { N: '5' },
  ':b01': { B: bin(1) },
  ':b12': { B: bin(1, 2) },
  ':bff': { B: bin(255) },
  ':true': { BOOL: true },
  ':SS': { S: 'SS' },
  ':N': { S: 'N' },
  ':NULL': { S: 'NULL' },
  ':nsSwapped': { NS: ['2.5', '1'] },
  ':list': { L: [{ S: 'a' }] },
  ':SSset': { SS: ['x', 'z'] },
  ':SSall': { SS: ['x', 'y'] },
  ':NSset': { NS: ['1.0', '3'] },
};
const NAMES: Record<string, string> = { '#k': 's', '#m': 'm', '#b': 'b' };

/** The placeholders a text uses, as a request would give them (dynalite refuses unused ones). */
function placeholdersFor(text: string): Placeholders {
  const used = (sigil: string) => [...new Set(text.match(new RegExp(`${sigil}[A-Za-z0-9_]+`, 'g')))];
  const names = used('#').filter((name) => NAMES[name] !== undefined);
  const values = used(':').filter((value) => VALUES[value] !== undefined);
  return {
    names: names.length ? Object.fromEntries(names.map((name) => [name, NAMES[name]!])) : undefined,
    values: values.length ? Object.fromEntries(values.map((value) => [value, VALUES[value]!])) : undefined,
  };
}

function holds(text: string, item: Item | undefined = ITEM, p?: Placeholders): boolean {
  return condition(text).evaluate(item, p ?? placeholdersFor(text));
}

function dynaliteHolds(text: string): boolean | string {
  const p = placeholdersFor(text);
  const data: Record<string, unknown> = {
    FilterExpression: text,
    ExpressionAttributeNames: p.names,
    ExpressionAttributeValues: p.values && json(p.values),
  };
  const error = dynaliteValidations.validateExpressions(data);
  if (error) return error;
  return dynaliteDb.matchesExprFilter(json(ITEM), (data._filter as { expression: unknown }).expression);
}

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    throw error;
  }
  throw new Error('no ExpressionError');
}

describe('condition expressions', () => {
  const CASES: [string, boolean][] = [
    ['s = :hello', true],
    ['s <> :hello', false],
    ['s < :help', true],
    ['s <= :hello', true],
    ['s > :hel', true],
    ['s >= :help', false],
    ['n = :n0', true],
    ['n = :n1', false],
    ['n < :n1', true],
    ['n <= :n0', true],
    ['n > :n1', false],
    ['n >= :n1', false],
    ['n <> :n1', true],
    ['hundred = :e2', true],
    ['hundred >= :e2', true],
    ['neg < :one', true],
    ['neg > :m5', true],
    ['neg <= :m5', false],
    ['b < :bff', true],
    ['b > :b12', true],
    ['b = :b12', false],
    ['bhi >= :bff', true],
    ['b <> :b12', true],
    // Values of different types are never equal, nor ordered.
    ['s = :one', false],
    ['s <> :one', true],
    ['s < :one', false],
    ['n >= :hello', false],
    ['t = :true', true],
    // A missing attribute: every comparison false but <>.
    ['zz = :hello', false],
    ['zz <> :hello', true],
    ['zz < :hello', false],
    ['zz >= :hello', false],
    ['zz BETWEEN :hel AND :help', false],
    ['zz IN (:hello, :x)', false],
    ['NOT zz = :hello', true],
    // Nested paths and list indexes.
    ['m.b = :five', true],
    ['#m.#b = :five', true],
    ['l[1] = :one', true],
    ['l[2].c = :deep', true],
    ['l[9] = :one', false],
    ['s.b = :one', false],
    ['l.c = :deep', false],
    ['m[0] = :five', false],
    ['#k = :hello', true],
    // Functions.
    ['attribute_exists(m.b)', true],
    ['attribute_exists(l[2].c)', true],
    ['attribute_exists(zz)', false],
    ['attribute_not_exists(m.zz)', true],
    ['attribute_not_exists(s)', false],
    ['attribute_type(ss, :SS)', true],
    ['attribute_type(s, :N)', false],
    ['attribute_type(nul, :NULL)', true],
    ['attribute_type(zz, :N)', false],
    ['begins_with(s, :hel)', true],
    ['begins_with(s, :x)', false],
    ['begins_with(b, :b12)', true],
    ['begins_with(b, :bff)', false],
    ['begins_with(zz, :hel)', false],
    ['contains(s, :hel)', true],
    ['contains(s, :x)', false],
    ['contains(ss, :x)', true],
    ['contains(ss, :hello)', false],
    ['contains(ns, :one)', true],
    ['contains(ns, :two)', false],
    ['contains(bs, :b01)', true],
    ['contains(bs, :b12)', false],
    ['contains(l, :x)', true],
    ['contains(l, :one)', true],
    ['contains(l, :hello)', false],
    ['contains(zz, :x)', false],
    ['size(s) = :five', true],
    ['size(ss) < :five', true],
    ['size(l) = :three', true],
    ['size(m) = :two', true],
    ['size(b) = :three', true],
    ['size(n) = :one', false],
    ['size(zz) = :one', false],
    ['size(zz) <> :one', true],
    // IN and BETWEEN.
    ['n BETWEEN :n0 AND :n1', true],
    ['neg BETWEEN :m5 AND :one', true],
    ['hundred BETWEEN :m5 AND :five', false],
    ['s BETWEEN :hel AND :help', true],
    ['s BETWEEN :one AND :five', false],
    ['s IN (:x, :hello)', true],
    ['s IN (:x, :help)', false],
    ['hundred IN (:one, :e2)', true],
    ['ns = :nsSwapped', true],
    // NOT binds tighter than AND, AND than OR; comparisons tighter than all three.
    ['NOT s = :hello', false],
    ['NOT s = :x AND n = :n1', false],
    ['NOT (s = :hello AND n = :n1)', true],
    ['s = :hello OR n = :n1 AND hundred = :one', true],
    ['(s = :hello OR n = :n1) AND hundred = :one', false],
    ['s = :x OR NOT n = :n1', true],
    ['s = :hello and not n = :n1 OR zz = :x', true],
  ];

  it.each(CASES)('%s is %s, as dynalite says', (text, expected) => {
    expect(holds(text)).toBe(expected);
    expect(dynaliteHolds(text)).toBe(expected);
  });

  it('orders strings by their UTF-8 bytes, and numbers exactly', () => {
    const [high, astral] = ['\uFFFF', '\u{1F600}'];
    expect(high > astral).toBe(true); // JavaScript's UTF-16 order
    expect(compareStrings(high, astral)).toBeLessThan(0);
    expect(holds('s < :v', { s: { S: high } }, { values: { ':v': { S: astral } } })).toBe(true);
    expect(compareStrings('a', 'ab')).toBeLessThan(0);
    expect(compareStrings('é', 'z')).toBeGreaterThan(0);
    const numbers = [
      '10',
      '-1E2',
      '9.99',
      '0.001',
      '-0.5',
      '1e-3',
      '12345678901234567890.124',
      '12345678901234567890.123',
    ];
    expect([...numbers].sort(compareNumbers)).toEqual([
      '-1E2',
      '-0.5',
      '0.001',
      '1e-3',
      '9.99',
      '10',
      '12345678901234567890.123',
      '12345678901234567890.124',
    ]);
    expect(compareNumbers('1E2', '100')).toBe(0);
    expect(compareNumbers('-0', '0.000')).toBe(0);
    expect(compareNumbers('99999999999999999999999999999999999999', '1E38')).toBeLessThan(0);
    expect(compareBinary(bin(1, 2), bin(1, 2, 0))).toBeLessThan(0);
    expect(compareBinary(bin(128), bin(127, 255))).toBeGreaterThan(0);
    expect(['1E2', '-0.50', '-0', '0.1000', '+7', '1.5e-3'].map(normalizeNumber)).toEqual([
      '100',
      '-0.5',
      '0',
      '0.1',
      '7',
      '0.0015',
    ]);
    expect(message(() => normalizeNumber('1E126'))).toMatch(/^Number overflow/);
    expect(message(() => normalizeNumber('abc'))).toMatch(/cannot be converted to a numeric value/);
  });

  it('compares lists and maps deeply, sets regardless of order (where dynalite compares objects by identity)', () => {
    const item: Item = { l: { L: [{ N: '1' }, { M: { a: { SS: ['p', 'q'] } } }] }, m: { M: { x: { N: '1.0' } } } };
    const same = { ':l': { L: [{ N: '1.00' }, { M: { a: { SS: ['q', 'p'] } } }] }, ':m': { M: { x: { N: '1' } } } };
    expect(holds('l = :l AND m = :m', item, { values: same })).toBe(true);
    const other = { ':l': { L: [{ N: '1' }] }, ':m': { M: { x: { N: '1' }, y: { N: '1' } } } };
    expect(holds('l = :l OR m = :m', item, { values: other })).toBe(false);
    expect(holds('contains(l, :e)', item, { values: { ':e': { M: { a: { SS: ['q', 'p'] } } } } })).toBe(true);
  });

  it('treats two missing operands as different (dynalite calls them equal)', () => {
    expect(holds('zz = yy')).toBe(false);
    expect(holds('zz <> yy')).toBe(true);
    expect(dynaliteHolds('zz = yy')).toBe(true);
  });

  it('evaluates an absent item as an empty one, and inherited names as no attributes', () => {
    expect(holds('attribute_not_exists(pk)', undefined)).toBe(true);
    expect(
      holds('attribute_exists(#c) OR attribute_exists(#p)', {}, { names: { '#c': 'constructor', '#p': '__proto__' } }),
    ).toBe(false);
    const own = JSON.parse('{"__proto__": {"S": "x"}}') as Item;
    expect(holds('#p = :x', own, { names: { '#p': '__proto__' }, values: { ':x': { S: 'x' } } })).toBe(true);
  });

  it('reports the placeholders it uses', () => {
    const compiled = condition('#a.#b = :v AND (attribute_exists(#a) OR size(c) > :w)');
    expect([...compiled.names].sort()).toEqual(['#a', '#b']);
    expect([...compiled.values].sort()).toEqual([':v', ':w']);
  });

  it('compiles a text once', () => {
    expect(condition('s = :hello')).toBe(condition('s = :hello'));
    expect(update('SET a = :v')).toBe(update('SET a = :v'));
    expect(projection('a, b')).toBe(projection('a, b'));
    expect(keyCondition('pk = :p')).toBe(keyCondition('pk = :p'));
    const first = condition('cached = :v0');
    for (let i = 1; i <= 10_000; i++) condition(`cached = :v${i}`);
    expect(condition('cached = :v0')).not.toBe(first);
  });

  const ERRORS: string[] = [
    '((s = :hello))',
    'foo(s)',
    'begins_with(s, :hel) = :one',
    'size(s)',
    's = s',
    'attribute_exists(:hello)',
    'size(:one) = :one',
    'status = :hello',
    'contains(s)',
    'attribute_type(s, :hello)',
    'attribute_type(s, s)',
    'begins_with(s, :one)',
    'n BETWEEN :n1 AND :n0',
    's BETWEEN :hello AND :one',
    '#zz = :hello',
  ];
  it.each(ERRORS)('refuses %s with the message dynalite gives', (text) => {
    const mine = message(() => holds(text));
    expect(dynaliteHolds(text)).toBe(`Invalid FilterExpression: ${mine}`);
  });

  it('reports syntax errors, undefined placeholders and the rest', () => {
    for (const text of [
      's = = :v',
      's = :v AND',
      'l[x] = :v',
      's = :v)',
      's $ :v',
      'NOT',
      's = :v s = :v',
      '(s) AND t',
    ])
      expect(message(() => condition(text))).toMatch(/^Syntax error; token: /);
    expect(message(() => condition('s = :v AND'))).toBe('Syntax error; token: "<EOF>", near: "AND"');
    expect(message(() => condition(''))).toBe('The expression can not be empty;');
    expect(message(() => holds('#x = :v', ITEM, { values: { ':v': { S: 'a' } } }))).toBe(
      'An expression attribute name used in the document path is not defined; attribute name: #x',
    );
    expect(message(() => holds('s = :v', ITEM, { values: {} }))).toBe(
      'An expression attribute value used in expression is not defined; attribute value: :v',
    );
    // Undefined even where the evaluation would not reach it.
    expect(message(() => holds('attribute_exists(s) OR #x = :v', ITEM, { values: { ':v': { S: 'a' } } }))).toMatch(
      /attribute name: #x$/,
    );
  });
});

describe('key condition expressions', () => {
  const values = { ':p': { S: 'P' }, ':s': { N: '5' }, ':t': { N: '9' }, ':pre': { S: 'ab' } };
  const resolve = (text: string, p: Placeholders = { values }, partitionKey?: string) =>
    keyCondition(text).resolve(p, partitionKey);

  it('resolves a partition key and a sort key condition, in either order, with names and parentheses', () => {
    expect(resolve('pk = :p')).toEqual({ partition: { name: 'pk', value: { S: 'P' } } });
    expect(resolve('pk = :p AND sk < :s')).toEqual({
      partition: { name: 'pk', value: { S: 'P' } },
      sort: { name: 'sk', op: '<', values: [{ N: '5' }] },
    });
    expect(resolve('begins_with(sk, :pre) AND pk = :p').sort).toEqual({
      name: 'sk',
      op: 'begins_with',
      values: [{ S: 'ab' }],
    });
    expect(resolve('(#pk = :p) AND (#sk BETWEEN :s AND :t)', { values, names: { '#pk': 'pk', '#sk': 'sk' } })).toEqual({
      partition: { name: 'pk', value: { S: 'P' } },
      sort: { name: 'sk', op: 'between', values: [{ N: '5' }, { N: '9' }] },
    });
    expect(resolve(':p = pk AND :s > sk').sort?.op).toBe('<');
    expect(resolve('sk >= :s AND pk = :p').sort?.op).toBe('>=');
    expect(resolve('sk = :s AND pk = :p', { values }, 'pk').partition.name).toBe('pk');
    expect(resolve('sk = :s AND pk = :p').partition.name).toBe('sk');
    expect([...keyCondition('#a = :p AND #b > :s').names]).toEqual(['#a', '#b']);
  });

  it.each([
    ['pk = :p OR sk = :s', 'Invalid operator used in KeyConditionExpression: OR'],
    ['pk = :p AND NOT sk = :s', 'Invalid operator used in KeyConditionExpression: NOT'],
    ['pk IN (:p)', 'Invalid operator used in KeyConditionExpression: IN'],
    ['pk <> :p', 'Invalid operator used in KeyConditionExpression: <>'],
    ['pk = :p AND attribute_exists(sk)', 'Invalid operator used in KeyConditionExpression: attribute_exists'],
    ['pk = :p AND contains(sk, :s)', 'Invalid operator used in KeyConditionExpression: contains'],
    ['pk = :p AND size(sk) > :s', 'KeyConditionExpressions cannot contain nested operations'],
    ['pk.a = :p', 'KeyConditionExpressions cannot have conditions on nested attributes'],
    ['pk = sk', 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition'],
    [':p = :s', 'Invalid condition in KeyConditionExpression: No key attribute specified'],
    ['pk = :p AND pk = :s', 'KeyConditionExpressions must only contain one condition per key'],
    ['pk = :p AND sk > :s AND x = :t', 'Conditions can be of length 1 or 2 only'],
    ['sk > :s', 'Query key condition not supported'],
  ])('refuses %s', (text, expected) => {
    const error = (() => {
      try {
        resolve(text);
      } catch (caught) {
        return caught as ExpressionError;
      }
    })();
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error?.message).toBe(expected);
    expect(error?.whole).toBe(true);
  });

  it('refuses what the condition grammar refuses, a missing partition key and bad bounds', () => {
    expect(message(() => resolve('pk = :p AND'))).toMatch(/^Syntax error;/);
    expect(message(() => resolve('pk = :p AND sk BETWEEN :t AND :s'))).toMatch(/requires upper bound to be greater/);
    expect(message(() => resolve('pk = :p AND begins_with(sk, :s)'))).toMatch(/begins_with, operand type: N$/);
    expect(message(() => resolve('pk2 = :p', { values }, 'pk'))).toBe('Query condition missed key schema element: pk');
    expect(message(() => resolve('pk = :zz'))).toMatch(/attribute value: :zz$/);
  });
});

describe('update expressions', () => {
  function applied(text: string, item: Item = ITEM, p: Placeholders = placeholdersFor(text)): Item {
    return update(text).apply(item, p);
  }

  /** dynalite's result for the same update of the same item (or its error's message). */
  function dynaliteApplied(text: string): unknown {
    const p = placeholdersFor(text);
    const data: Record<string, unknown> = {
      UpdateExpression: text,
      ExpressionAttributeNames: p.names,
      ExpressionAttributeValues: p.values && json(p.values),
    };
    const error = dynaliteValidations.validateExpressions(data);
    if (error) return error;
    const item = json(ITEM);
    const failure = dynaliteApplyUpdate((data._updates as { sections: unknown }).sections, {}, item) as
      | Error
      | undefined;
    return failure ? failure.message : json(item);
  }

  const CASES = [
    'SET a = :hello',
    'SET m.c = :x, l[1] = :hello',
    'SET l[7] = :x',
    'SET #m.#b = #m.#b + :one',
    'SET c = n - :n1',
    'SET c = :e2 + :m5',
    'SET c = if_not_exists(zz, :one), d = if_not_exists(s, :x)',
    'SET l = list_append(l, :list), c = list_append(:list, l)',
    'SET c = list_append(if_not_exists(zz, :list), :list)',
    'SET s = hundred, hundred = s',
    'REMOVE s, m.b, zz',
    'REMOVE l[0]',
    'REMOVE l[5]',
    'ADD hundred :e2, fresh :m5',
    'ADD ss :SSset, ns :NSset',
    'DELETE ss :SSset',
    'DELETE ss :SSall',
    'SET a = :x REMOVE s ADD hundred :one DELETE ss :SSset',
    'set a = :x remove s',
    'ADD s :one',
    'SET c = s + :one',
    'SET c = list_append(s, :list)',
    'SET c = zz',
    'SET zz.a = :one',
    'SET l[9].a = :one',
    'DELETE ns :SSset',
  ];

  it.each(CASES)('%s does what dynalite does', (text) => {
    let mine: unknown;
    try {
      mine = json(applied(text));
    } catch (error) {
      mine = (error as ExpressionError).whole
        ? (error as Error).message
        : `Invalid UpdateExpression: ${(error as Error).message}`;
    }
    expect(mine).toEqual(dynaliteApplied(text));
  });

  it('computes numbers exactly and sets without duplicates', () => {
    const item: Item = { n: { N: '0.1' }, ns: { NS: ['1', '2'] }, ss: { SS: ['a'] } };
    const p = { values: { ':n': { N: '0.2' }, ':ns': { NS: ['2.0', '3'] }, ':ss': { SS: ['a', 'b'] } } };
    expect(update('ADD n :n, ns :ns, ss :ss').apply(item, p)).toEqual({
      n: { N: '0.3' },
      ns: { NS: ['1', '2', '3'] },
      ss: { SS: ['a', 'b'] },
    });
    expect(update('SET n = n - :n').apply(item, p).n).toEqual({ N: '-0.1' });
    const big = { values: { ':n': { N: '0.877' } } };
    expect(applied('ADD n :n', ITEM, big).n).toEqual({ N: '12345678901234567891' });
    const overflow = { values: { ':n': { N: '9.99E+125' } } };
    expect(message(() => update('SET x = :n + :n').apply({}, overflow))).toMatch(/^Number overflow/);
    expect(update('SET x = :n').apply({}, { values: { ':n': { N: '1.50E1' } } }).x).toEqual({ N: '15' });
    const far = { values: { ':n': { N: '1E999999999' } } };
    expect(message(() => update('ADD n :n').apply(item, far))).toMatch(/^Number overflow/);
    const tiny = { values: { ':a': { N: '1E-129' }, ':b': { N: '-1E-129' } } };
    expect(update('SET x = :a + :b, y = :a - :b').apply({}, tiny)).toEqual({
      x: { N: '0' },
      y: { N: `0.${'0'.repeat(128)}2` },
    });
  });

  it('removes the list elements the indexes name in the list as it was', () => {
    const item: Item = { l: { L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }, { S: 'd' }] } };
    expect(update('REMOVE l[1], l[2]').apply(item, {}).l).toEqual({ L: [{ S: 'a' }, { S: 'd' }] });
    expect(update('REMOVE l[0] SET l[2] = :x').apply(item, { values: { ':x': { S: 'x' } } }).l).toEqual({
      L: [{ S: 'b' }, { S: 'x' }, { S: 'd' }],
    });
    const stretched = update('SET l[9] = :y, l[7] = :x').apply(item, {
      values: { ':x': { S: 'x' }, ':y': { S: 'y' } },
    });
    expect(stretched.l).toEqual({ L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }, { S: 'd' }, { S: 'x' }, { S: 'y' }] });
  });

  it('never writes the item or the values it is given', () => {
    const freeze = <T>(value: T): T => {
      if (value && typeof value === 'object') for (const inner of Object.values(value)) freeze(inner);
      return Object.freeze(value);
    };
    const item = freeze(json(ITEM));
    const p = freeze({ values: { ':map': { M: { k: { N: '1' } } }, ':one': { N: '1' }, ':ss': { SS: ['y', 'x'] } } });
    const text = 'SET m.b = :one, fresh = :map, l[0] = :one REMOVE l[2] ADD hundred :one DELETE ss :ss';
    const result = update(text).apply(item, p);
    expect(item).toEqual(ITEM);
    expect(result.fresh).toEqual({ M: { k: { N: '1' } } });
    expect((result.fresh as { M: object }).M).not.toBe(p.values[':map'].M);
    expect(result.s).toBe(item.s); // what it leaves alone it shares
    expect(result).not.toHaveProperty('ss');
    const named = update('SET #p = :one').apply({}, { names: { '#p': '__proto__' }, values: { ':one': { N: '1' } } });
    expect(Object.getPrototypeOf(named)).toBe(Object.prototype);
    expect(JSON.stringify(named)).toBe('{"__proto__":{"N":"1"}}');
  });

  it('refuses updates DynamoDB refuses', () => {
    expect(message(() => update('SET a = :v SET b = :v'))).toBe(
      'The "SET" section can only be used once in an update expression;',
    );
    expect(message(() => update('SET a = :v REMOVE a.b'))).toBe(
      'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
    );
    expect(message(() => update('SET a.b = :v REMOVE a[0]'))).toMatch(/^Two document paths conflict with each other;/);
    expect(
      message(() => update('SET #a = :v REMOVE a').apply({}, { names: { '#a': 'a' }, values: { ':v': { N: '1' } } })),
    ).toMatch(/^Two document paths overlap/);
    expect(message(() => update('SET a = :v,'))).toMatch(/^Syntax error;/);
    expect(message(() => update('UPSERT a = :v'))).toMatch(/^Syntax error;/);
    expect(message(() => update('ADD a b'))).toMatch(/^Syntax error;/);
    expect(message(() => update('SET a = size(b)'))).toBe('Invalid function name; function: size');
    expect(message(() => update('SET a = if_not_exists(:v, :v)'))).toBe(
      'Operator or function requires a document path; operator or function: if_not_exists',
    );
    expect(message(() => update('SET data = :v'))).toBe('Attribute name is a reserved keyword; reserved keyword: data');
    const wrongType = (() => {
      try {
        applied('ADD s :one');
      } catch (error) {
        return error as ExpressionError;
      }
    })();
    expect(wrongType?.message).toBe('An operand in the update expression has an incorrect data type');
    expect(wrongType?.whole).toBe(true);
    expect(message(() => applied('ADD s :hello'))).toBe(
      'Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
    );
    expect(message(() => applied('SET a.b = :one'))).toBe(
      'The document path provided in the update expression is invalid for update',
    );
  });

  it('tells which key attribute it would write, and what it writes', () => {
    const change = update('SET #k = :v, x = :v REMOVE sk');
    const p = { names: { '#k': 'pk' }, values: { ':v': { S: 'v' } } };
    expect(change.touches(['pk', 'sk'], p)).toBe('pk');
    expect(change.touches(['sk'])).toBe('sk');
    expect(update('SET a = :v').touches(['pk'])).toBeUndefined();
    expect(update('SET m.b = :v, s = :v').updated(ITEM, p)).toEqual({ m: { M: { b: { N: '5' } } }, s: { S: 'hello' } });
    expect([...update('SET #a = :b ADD #c :d').names]).toEqual(['#a', '#c']);
    expect([...update('SET #a = :b ADD #c :d').values]).toEqual([':b', ':d']);
  });
});

describe('projection expressions', () => {
  it('keeps the attributes at the paths, nested as in the item', () => {
    expect(projection('s, m.b, zz, l[2].c').apply(ITEM, {})).toEqual({
      s: { S: 'hello' },
      m: { M: { b: { N: '5' } } },
      l: { L: [{ M: { c: { S: 'deep' } } }] },
    });
    expect(projection('l[2], l[0], l[7]').apply(ITEM, {})).toEqual({
      l: { L: [{ S: 'x' }, { M: { c: { S: 'deep' } } }] },
    });
    expect(projection('#m.s, #k').apply(ITEM, { names: { '#m': 'm', '#k': 's' } })).toEqual({
      m: { M: { s: { S: 'in' } } },
      s: { S: 'hello' },
    });
    expect(projection('zz.a').apply(ITEM, {})).toEqual({});
    expect([...projection('#a, b.#c').names]).toEqual(['#a', '#c']);
  });

  it('refuses overlapping paths, bad syntax, undefined names', () => {
    expect(message(() => projection('a, a.b'))).toMatch(/^Two document paths overlap/);
    expect(message(() => projection('a,'))).toMatch(/^Syntax error;/);
    expect(message(() => projection('a = :v'))).toMatch(/^Syntax error;/);
    expect(message(() => projection('#a').apply(ITEM, {}))).toMatch(/attribute name: #a$/);
  });
});
