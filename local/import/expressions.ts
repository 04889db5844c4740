import { stringLiteral, type Token, tokenize, Untranslatable } from './csharp-text.ts';
import { xpathPath } from './xpath.ts';

/**
 * The part of C# an orchestration's expressions use most, translated to TypeScript over a step's context: literals,
 * operators, message fields (distinguished fields `msgOrder.Header.Total`, promoted properties
 * `msgOrder(Ns.PropertySchema.OrderId)`), variables, and the few .NET calls whose meaning is plain (`ToString()`,
 * `System.Convert.ToInt32`, `String.IsNullOrEmpty`, `Trim()`…). Anything else (a .NET object's method, `xpath`, a
 * `new` of a class) is not translated: the shape that holds it becomes a stub that carries it for a person.
 */
export type TsType = 'number' | 'string' | 'boolean' | 'unknown';

export interface Translated {
  readonly ts: string;
  readonly type: TsType;
  /** A .NET DateTime (an ISO string here) or TimeSpan (milliseconds): what their arithmetic and members mean. */
  readonly clr?: 'date' | 'span';
}

/** What a name in an expression stands for, as the module being written sees it. */
export interface Scope {
  /** A message variable: the TypeScript expression of its body, and its message type. */
  message(name: string): { body: string; messageType: string; received: boolean } | undefined;
  /** A variable: the TypeScript expression of its value, and its type. */
  variable(name: string): Translated | undefined;
  /** A distinguished field of a message type used with this type (`unknown`: not known from here). */
  field(messageType: string, path: readonly string[], type: TsType): TsType;
}

export { Untranslatable } from './csharp-text.ts';

const NUMERIC =
  /^(System\.)?(Int16|Int32|Int64|UInt16|UInt32|UInt64|Decimal|Double|Single|Byte|int|long|short|decimal|double|float|byte|uint|ulong)$/;

/** The TypeScript type of a .NET type, as far as Baton's JSON bodies and variables carry it. */
export function tsTypeOf(dotnet: string): TsType {
  if (NUMERIC.test(dotnet)) return 'number';
  if (/^(System\.)?(String|string|Char|char|DateTime|Guid)$/.test(dotnet)) return 'string';
  if (/^(System\.)?(Boolean|bool)$/.test(dotnet)) return 'boolean';
  // An exception is carried as its text, \`Type: message\` (what a scope's handler reads, what errorIs matches).
  if (/Exception$/.test(dotnet)) return 'string';
  if (/^(System\.)?TimeSpan$/.test(dotnet)) return 'number';
  return 'unknown';
}

const CONVERSIONS: Record<string, TsType> = {
  ToInt16: 'number',
  ToInt32: 'number',
  ToInt64: 'number',
  ToDecimal: 'number',
  ToDouble: 'number',
  ToSingle: 'number',
  ToString: 'string',
  ToBoolean: 'boolean',
};

/** An expression of the parsed tokens; `field` is set when it is a distinguished field (its type may be learned). */
interface Value extends Translated {
  readonly field?: { messageType: string; path: string[] };
  /** A promoted property: text (a context property), read as what it meets. */
  readonly promoted?: boolean;
}

export class ExpressionTranslator {
  #tokens: Token[] = [];
  #at = 0;
  readonly scope: Scope;
  constructor(scope: Scope) {
    this.scope = scope;
  }

  /** The expression in TypeScript, or Untranslatable saying what stopped it. */
  expression(source: string): Translated {
    this.#tokens = tokenize(source);
    this.#at = 0;
    if (this.#tokens.length === 0) throw new Untranslatable('an empty expression');
    const value = this.#ternary();
    if (this.#at < this.#tokens.length) throw new Untranslatable(`"${this.#peek()?.text}" is not understood here`);
    return { ts: value.ts, type: value.type };
  }

  /** The expression, a distinguished field in it learned to be of `type` (what it is assigned to). */
  expressionAs(source: string, type: TsType): Translated {
    this.#tokens = tokenize(source);
    this.#at = 0;
    if (this.#tokens.length === 0) throw new Untranslatable('an empty expression');
    const value = this.#learn(this.#ternary(), type);
    if (this.#at < this.#tokens.length) throw new Untranslatable(`"${this.#peek()?.text}" is not understood here`);
    return { ts: value.ts, type: value.type };
  }

  /** A condition: a boolean expression. */
  condition(source: string): string {
    const value = this.expressionAs(source, 'boolean');
    if (value.type !== 'boolean') throw new Untranslatable(`"${source.trim()}" is not a boolean expression`);
    return value.ts;
  }

  #rest(): string {
    return this.#tokens
      .slice(this.#at)
      .map((t) => t.text)
      .join(' ');
  }

  #peek(offset = 0): Token | undefined {
    return this.#tokens[this.#at + offset];
  }
  #eat(text: string): boolean {
    if (this.#peek()?.text !== text || this.#peek()?.kind === 'str') return false;
    this.#at++;
    return true;
  }
  #expect(text: string): void {
    if (!this.#eat(text)) throw new Untranslatable(`expected "${text}"`);
  }

  #ternary(): Value {
    const test = this.#binary(0);
    if (!this.#eat('?')) return test;
    const yes = this.#ternary();
    this.#expect(':');
    const no = this.#ternary();
    return { ts: `(${test.ts} ? ${yes.ts} : ${no.ts})`, type: yes.type === no.type ? yes.type : 'unknown' };
  }

  static readonly #levels: readonly (readonly string[])[] = [
    ['??'],
    ['||'],
    ['&&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  #binary(level: number): Value {
    if (level >= ExpressionTranslator.#levels.length) return this.#unary();
    let left = this.#binary(level + 1);
    for (;;) {
      const token = this.#peek();
      const op = token?.kind === 'op' ? token.text : undefined;
      if (!op || !ExpressionTranslator.#levels[level]!.includes(op)) return left;
      this.#at++;
      const right = this.#binary(level + 1);
      left = this.#combine(op, left, right);
    }
  }

  #combine(op: string, left: Value, right: Value): Value {
    // A field met beside a typed value is learned to have its type (the XSD is not read).
    const l = this.#learn(left, right.type);
    const r = this.#learn(right, l.type);
    const both = (type: TsType) => ({ ts: `${l.ts} ${op} ${r.ts}`, type });
    // DateTime and TimeSpan arithmetic: a date less a date is a span (ms); a date and a span, a date.
    if (op === '-' && l.clr === 'date' && r.clr === 'date')
      return { ts: `(Date.parse(${l.ts}) - Date.parse(${r.ts}))`, type: 'number', clr: 'span' };
    if ((op === '+' || op === '-') && l.clr === 'date' && r.clr === 'span')
      return { ts: `new Date(Date.parse(${l.ts}) ${op} ${wrap(r.ts)}).toISOString()`, type: 'string', clr: 'date' };
    if ((op === '<' || op === '>' || op === '<=' || op === '>=') && l.clr === 'date' && r.clr === 'date')
      return { ts: `Date.parse(${l.ts}) ${op} Date.parse(${r.ts})`, type: 'boolean' };
    switch (op) {
      case '==':
      case '!=': {
        const strict = op === '==' ? '===' : '!==';
        if (l.ts === 'null' || r.ts === 'null') return { ts: `${l.ts} ${op} null`, type: 'boolean' };
        if (l.type !== r.type && l.type !== 'unknown' && r.type !== 'unknown')
          throw new Untranslatable(`compares a ${l.type} with a ${r.type}`);
        return { ts: `${l.ts} ${strict} ${r.ts}`, type: 'boolean' };
      }
      case '<':
      case '>':
      case '<=':
      case '>=':
        if (l.type !== r.type || (l.type !== 'number' && l.type !== 'string'))
          throw new Untranslatable(`orders a ${l.type} and a ${r.type}`);
        return both('boolean');
      case '&&':
      case '||':
        if (l.type !== 'boolean' || r.type !== 'boolean') throw new Untranslatable(`${op} of non-booleans`);
        return both('boolean');
      case '+':
        if (l.type === 'string' || r.type === 'string') return { ts: `${l.ts} + ${r.ts}`, type: 'string' };
        if (l.type === 'number' && r.type === 'number') return both('number');
        throw new Untranslatable(`adds a ${l.type} and a ${r.type}`);
      case '??':
        return { ts: `(${l.ts} ?? ${r.ts})`, type: l.type === 'unknown' ? r.type : l.type };
      default:
        if (l.type !== 'number' || r.type !== 'number') throw new Untranslatable(`${op} of non-numbers`);
        return both('number');
    }
  }

  #learn(value: Value, type: TsType): Value {
    if (value.promoted && value.type === 'unknown') {
      if (type === 'number') return { ts: `Number(${value.ts})`, type };
      if (type === 'boolean') return { ts: `String(${value.ts}).toLowerCase() === 'true'`, type };
      if (type === 'string') return { ts: `(${value.ts} ?? '')`, type };
      return value;
    }
    if (!value.field || value.type !== 'unknown' || type === 'unknown') return value;
    return { ...value, type: this.scope.field(value.field.messageType, value.field.path, type) };
  }

  #unary(): Value {
    if (this.#eat('!')) {
      const operand = this.#learn(this.#unary(), 'boolean');
      if (operand.type !== 'boolean') throw new Untranslatable('! of a non-boolean');
      return { ts: `!${wrap(operand.ts)}`, type: 'boolean' };
    }
    if (this.#eat('-')) {
      const operand = this.#learn(this.#unary(), 'number');
      if (operand.type !== 'number') throw new Untranslatable('- of a non-number');
      return { ts: `-${wrap(operand.ts)}`, type: 'number' };
    }
    // A cast: (System.Int32) x, (int) x, (string) x.
    if (this.#peek()?.text === '(' && this.#peek(1)?.kind === 'id' && this.#castAhead()) {
      this.#at++;
      const type = this.#dotted();
      this.#expect(')');
      const operand = this.#unary();
      const target = tsTypeOf(type);
      if (target === 'number') return { ts: `Number(${operand.ts})`, type: target };
      if (target === 'string') return { ts: `String(${operand.ts})`, type: target };
      if (target === 'boolean') return { ts: `Boolean(${operand.ts})`, type: target };
      throw new Untranslatable(`a cast to ${type}`);
    }
    return this.#postfix(this.#primary());
  }

  /** `(Type) x`: a parenthesized dotted name followed by something an operand starts with. */
  #castAhead(): boolean {
    let i = this.#at + 1;
    while (this.#tokens[i]?.kind === 'id' && this.#tokens[i + 1]?.text === '.') i += 2;
    if (this.#tokens[i]?.kind !== 'id' || this.#tokens[i + 1]?.text !== ')') return false;
    const after = this.#tokens[i + 2];
    return after !== undefined && (after.kind !== 'op' || after.text === '(' || after.text === '!');
  }

  #dotted(): string {
    const parts = [this.#id()];
    while (this.#peek()?.text === '.' && this.#peek(1)?.kind === 'id') {
      this.#at++;
      parts.push(this.#id());
    }
    return parts.join('.');
  }

  #id(): string {
    const token = this.#peek();
    if (token?.kind !== 'id') throw new Untranslatable(`expected a name, found "${token?.text ?? 'the end'}"`);
    this.#at++;
    return token.text;
  }

  #args(): Value[] {
    const args: Value[] = [];
    this.#expect('(');
    if (this.#eat(')')) return args;
    do args.push(this.#ternary());
    while (this.#eat(','));
    this.#expect(')');
    return args;
  }

  #primary(): Value {
    const token = this.#peek();
    if (!token) throw new Untranslatable('the expression ends too soon');
    if (token.kind === 'num') {
      this.#at++;
      return { ts: String(Number(token.text.replace(/[mdflu]+$/i, ''))), type: 'number' };
    }
    if (token.kind === 'str') {
      this.#at++;
      return { ts: stringLiteral(token.text), type: 'string' };
    }
    if (this.#eat('(')) {
      const inner = this.#ternary();
      this.#expect(')');
      return { ...inner, ts: enclosed(inner.ts) ? inner.ts : `(${inner.ts})` };
    }
    if (token.kind !== 'id') throw new Untranslatable(`"${token.text}" is not understood here`);
    if (token.text === 'true' || token.text === 'false') {
      this.#at++;
      return { ts: token.text, type: 'boolean' };
    }
    if (token.text === 'null') {
      this.#at++;
      return { ts: 'null', type: 'unknown' };
    }
    if (token.text === 'new' && /Exception\s*\(/.test(this.#rest())) {
      this.#at++;
      const type = this.#dotted();
      const [message] = this.#args();
      return { ts: `\`${type}: \${${message ? message.ts : "''"}}\``, type: 'string' };
    }
    if (token.text === 'new') {
      const span = /^new\s+(?:System\.)?TimeSpan\s*\(/.test(this.#rest());
      if (!span) throw new Untranslatable('a new .NET object');
      this.#at++;
      this.#dotted();
      const args = this.#args();
      const scale = (
        { 1: [0.0001], 3: [3_600_000, 60_000, 1_000], 4: [86_400_000, 3_600_000, 60_000, 1_000] } as Record<
          number,
          number[]
        >
      )[args.length];
      if (!scale || args.some((a) => a.type !== 'number')) throw new Untranslatable('a TimeSpan Baton cannot compute');
      return { ts: `(${args.map((a, i) => `${wrap(a.ts)} * ${scale[i]}`).join(' + ')})`, type: 'number', clr: 'span' };
    }
    return this.#name();
  }

  /** A name and what follows it: a message's field or property, a variable, or a known .NET call. */
  #name(): Value {
    const root = this.#id();
    const message = this.scope.message(root);
    if (message) {
      // msg(Ns.PropertySchema.Prop): a promoted property.
      if (this.#peek()?.text === '(') {
        this.#at++;
        const property = this.#dotted();
        this.#expect(')');
        const name = property.split('.').pop()!;
        const body = message.received ? `ctx.message(${JSON.stringify(root)})` : `{ body: ${message.body} }`;
        return { ts: `promoted(${body}, ${JSON.stringify(name)})`, type: 'unknown', promoted: true };
      }
      const path: string[] = [];
      while (this.#peek()?.text === '.' && this.#peek(1)?.kind === 'id' && this.#peek(2)?.text !== '(') {
        this.#at++;
        path.push(this.#id());
      }
      if (path.length === 0) return { ts: message.body, type: 'unknown' };
      const type = this.scope.field(message.messageType, path, 'unknown');
      return {
        ts: `${message.body}${path.map((p) => `.${p}`).join('')}`,
        type,
        field: { messageType: message.messageType, path },
      };
    }
    const variable = this.scope.variable(root);
    if (variable) return variable;
    // xpath(msg, "path"): the field it names, as text (a number under number() or count()).
    if (root === 'xpath' && this.#peek()?.text === '(') return this.#xpath();
    // A static .NET member: System.DateTime.Now, System.Convert.ToInt32(x)...
    let name = root;
    while (this.#peek()?.text === '.' && this.#peek(1)?.kind === 'id') {
      this.#at++;
      name += `.${this.#id()}`;
      const known = this.#static(name);
      if (known) return known;
    }
    throw new Untranslatable(`"${name}" is not a message, a variable or a .NET member Baton knows`);
  }

  #xpath(): Value {
    this.#expect('(');
    const name = this.#id();
    const message = this.scope.message(name);
    if (!message) throw new Untranslatable(`xpath over "${name}", which is not a message`);
    this.#expect(',');
    const literal = this.#peek();
    if (literal?.kind !== 'str') throw new Untranslatable('an xpath whose path is computed');
    this.#at++;
    this.#expect(')');
    const xpath = JSON.parse(stringLiteral(literal.text)) as string;
    // //*[local-name()='Name']: the first field of that name, wherever it is.
    const anywhere =
      /^\s*(?:string\()?\/\/\*\[local-name\(\)\s*=\s*'([\w.-]+)'(?:\s+and\s+namespace-uri\(\)\s*=\s*'[^']*')?\]\)?\s*$/.exec(
        xpath,
      );
    if (anywhere) return { ts: `firstTextOf(${message.body}, ${JSON.stringify(anywhere[1])})`, type: 'string' };
    const path = JSON.stringify(xpathPath(xpath));
    const fn = /^\s*count\(/.test(xpath) ? 'countAt' : 'textAt';
    const read = `${fn}(${message.body}, ${path})`;
    if (/^\s*(number|count)\(/.test(xpath)) return { ts: fn === 'countAt' ? read : `Number(${read})`, type: 'number' };
    if (/^\s*boolean\(/.test(xpath)) return { ts: `${read} !== ''`, type: 'boolean' };
    return { ts: read, type: 'string' };
  }

  #static(name: string): Value | undefined {
    const short = name.replace(/^System\./, '');
    const call = () => this.#args();
    if (/^(Convert\.ToDateTime|DateTime\.Parse)$/.test(short) && this.#peek()?.text === '(') {
      const [arg] = call();
      return { ts: `new Date(String(${arg?.ts})).toISOString()`, type: 'string', clr: 'date' };
    }
    if (/^(Convert|Int32|Int64|Decimal|Double)\.(To\w+|Parse)$/.test(short) && this.#peek()?.text === '(') {
      const method = short.split('.')[1]!;
      const type = method === 'Parse' ? 'number' : CONVERSIONS[method];
      if (!type) return undefined;
      const [arg] = call();
      const fn = type === 'number' ? 'Number' : type === 'string' ? 'String' : 'Boolean';
      return { ts: `${fn}(${arg?.ts})`, type };
    }
    if (/^(Convert\.ToDateTime|DateTime\.Parse)$/.test(short) && this.#peek()?.text === '(') {
      const [arg] = call();
      return { ts: `new Date(String(${arg?.ts})).toISOString()`, type: 'string', clr: 'date' };
    }
    if (/^(String|string)\.(IsNullOrEmpty|IsNullOrWhiteSpace)$/.test(short) && this.#peek()?.text === '(') {
      const [arg] = call();
      // || rather than ??: the argument may be a variable read with its default already.
      const blank = short.endsWith('WhiteSpace') ? `String(${arg?.ts} || '').trim()` : `(${arg?.ts} || '')`;
      return { ts: `${blank} === ''`, type: 'boolean' };
    }
    if (/^(String|string)\.(Concat|Format)$/.test(short) && this.#peek()?.text === '(') {
      const args = call();
      if (short.endsWith('Concat')) return { ts: args.map((a) => `String(${a.ts})`).join(' + '), type: 'string' };
      const [format, ...rest] = args;
      if (!format || !/^".*"$/.test(format.ts)) throw new Untranslatable('String.Format of a computed format');
      const template = (JSON.parse(format.ts) as string).replace(/\{(\d+)\}/g, (_, i: string) =>
        rest[Number(i)] ? `\${${rest[Number(i)]!.ts}}` : '',
      );
      return { ts: `\`${template.replace(/`/g, '\\`')}\``, type: 'string' };
    }
    if (/^DateTime\.(Now|UtcNow)$/.test(short))
      return { ts: 'new Date(ctx.now).toISOString()', type: 'string', clr: 'date' };
    if (short === 'DateTime.Today')
      return {
        ts: 'new Date(Math.floor(ctx.now / 86_400_000) * 86_400_000).toISOString()',
        type: 'string',
        clr: 'date',
      };
    if (short === 'Guid.NewGuid' && this.#peek()?.text === '(') {
      call();
      return { ts: 'globalThis.crypto.randomUUID()', type: 'string' };
    }
    if (short === 'String.Empty' || short === 'string.Empty') return { ts: "''", type: 'string' };
    return undefined;
  }

  /** Members and calls after a value: the string methods whose meaning is plain. */
  #postfix(value: Value): Value {
    let current = value;
    while (this.#peek()?.text === '.' && this.#peek(1)?.kind === 'id') {
      this.#at++;
      const member = this.#id();
      const called = this.#peek()?.text === '(';
      const args = called ? this.#args() : [];
      current =
        ['ToString', 'Message', 'OuterXml', 'InnerXml', 'InnerText'].includes(member) || current.clr !== undefined
          ? current
          : this.#learn(current, 'string');
      current = this.#member(current, member, called, args);
    }
    return current;
  }

  #member(value: Value, member: string, called: boolean, args: Value[]): Value {
    const s = value.ts;
    const a = args.map((arg) => arg.ts);
    if (value.clr === 'span') {
      const units: Record<string, number> = { Days: 86_400_000, Hours: 3_600_000, Minutes: 60_000, Seconds: 1_000 };
      const total = /^Total(Days|Hours|Minutes|Seconds|Milliseconds)$/.exec(member);
      if (!called && total) return { ts: `${wrap(s)} / ${units[total[1]!] ?? 1}`, type: 'number' };
      if (!called && member in units) return { ts: `Math.trunc(${wrap(s)} / ${units[member]})`, type: 'number' };
    }
    if (value.clr === 'date') {
      const add = /^Add(Days|Hours|Minutes|Seconds|Milliseconds|Years|Months)$/.exec(member);
      const ms: Record<string, number> = {
        Days: 86_400_000,
        Hours: 3_600_000,
        Minutes: 60_000,
        Seconds: 1_000,
        Milliseconds: 1,
      };
      if (called && add && ms[add[1]!])
        return {
          ts: `new Date(Date.parse(${s}) + ${wrap(a[0]!)} * ${ms[add[1]!]}).toISOString()`,
          type: 'string',
          clr: 'date',
        };
      if (called && member === 'ToString') {
        const format = args[0]?.ts;
        if (format && /^"[^"]*"$/.test(format)) return { ts: `formatDate(${s}, ${format})`, type: 'string' };
        return { ts: s, type: 'string' };
      }
      const part: Record<string, string> = {
        Year: 'getUTCFullYear()',
        Day: 'getUTCDate()',
        Hour: 'getUTCHours()',
        Minute: 'getUTCMinutes()',
      };
      if (!called && member === 'Month') return { ts: `(new Date(${s}).getUTCMonth() + 1)`, type: 'number' };
      if (!called && part[member]) return { ts: `new Date(${s}).${part[member]}`, type: 'number' };
      if (!called && member === 'Date') return { ts: `${s}.slice(0, 10)`, type: 'string', clr: 'date' };
    }
    if (!called && member === 'Length') return { ts: `${wrap(s)}.length`, type: 'number' };
    // A message's XML as text: in Baton a body is JSON, and its text is the JSON's.
    if (!called && (member === 'OuterXml' || member === 'InnerXml'))
      return { ts: `JSON.stringify(${s})`, type: 'string' };
    if (!called && member === 'InnerText') return { ts: `String(${s} ?? '')`, type: 'string' };
    // An exception's message: a caught exception stands for the error's text already.
    if (!called && member === 'Message' && s.includes('lastError')) return value;
    if (!called) throw new Untranslatable(`the member ${member} of a .NET object`);
    switch (member) {
      case 'ToString':
        return { ts: `String(${s})`, type: 'string' };
      case 'Trim':
      case 'TrimStart':
      case 'TrimEnd': {
        const js = { Trim: 'trim', TrimStart: 'trimStart', TrimEnd: 'trimEnd' }[member];
        return { ts: `${wrap(s)}.${js}()`, type: 'string' };
      }
      case 'ToUpper':
      case 'ToUpperInvariant':
        return { ts: `${wrap(s)}.toUpperCase()`, type: 'string' };
      case 'ToLower':
      case 'ToLowerInvariant':
        return { ts: `${wrap(s)}.toLowerCase()`, type: 'string' };
      case 'Contains':
        return { ts: `${wrap(s)}.includes(${a[0]})`, type: 'boolean' };
      case 'StartsWith':
        return { ts: `${wrap(s)}.startsWith(${a[0]})`, type: 'boolean' };
      case 'EndsWith':
        return { ts: `${wrap(s)}.endsWith(${a[0]})`, type: 'boolean' };
      case 'Equals':
        return { ts: `${s} === ${a[0]}`, type: 'boolean' };
      case 'Substring':
        return {
          ts: a.length > 1 ? `${wrap(s)}.slice(${a[0]}, ${a[0]} + ${a[1]})` : `${wrap(s)}.slice(${a[0]})`,
          type: 'string',
        };
      case 'Replace':
        return { ts: `${wrap(s)}.replaceAll(${a[0]}, ${a[1]})`, type: 'string' };
      default:
        throw new Untranslatable(`the .NET method ${member}`);
    }
  }
}

/** Parenthesizes an expression unless it is a name, a call or a literal. */
function wrap(ts: string): string {
  return /^[\w$.]+(\([^()]*\)[\w$.]*)*$|^"[^"]*"$/.test(ts) || enclosed(ts) ? ts : `(${ts})`;
}

/** Whether an expression is one parenthesized whole: `(a ?? 0)`, not `(a) + (b)`. */
export function enclosed(ts: string): boolean {
  if (!ts.startsWith('(') || !ts.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] === '(') depth++;
    else if (ts[i] === ')') depth--;
    if (depth === 0 && i < ts.length - 1) return false;
  }
  return true;
}
