/** The C# of XLANG/s as text: strings, statements, arguments and tokens, found without parsing the rest. */

/** What stops a piece of XLANG/s from being translated: said in the report's notes and the stub. */
export class Untranslatable extends Error {
  override readonly name = 'Untranslatable';
}

/** The index of a string literal's closing quote (C# escapes; a verbatim `@"…"` doubles its quotes). */
export function skipString(text: string, open: number): number {
  const quote = text[open];
  const verbatim = text[open - 1] === '@';
  for (let i = open + 1; i < text.length; i++) {
    if (!verbatim && text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (verbatim && text[i + 1] === quote) i++;
      else return i;
    }
  }
  return text.length - 1;
}

export type Token = { kind: 'id' | 'num' | 'str' | 'op'; text: string };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '??'];

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === '"' || c === "'" || (c === '@' && source[i + 1] === '"')) {
      const open = c === '@' ? i + 1 : i;
      const close = skipString(source, open);
      tokens.push({ kind: 'str', text: source.slice(i, close + 1) });
      i = close + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^(?:0x[0-9a-f]+|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)[mdflu]*/i.exec(source.slice(i))!;
      tokens.push({ kind: 'num', text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_@]/.test(c)) {
      const match = /^@?[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'id', text: match[0].replace(/^@/, '') });
      i += match[0].length;
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i)) ?? c;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** A C# string or char literal as a JavaScript one. */
export function stringLiteral(text: string): string {
  if (text.startsWith('@"')) return JSON.stringify(text.slice(2, -1).replace(/""/g, '"'));
  const inner = text.slice(1, -1);
  // C#'s escapes are JavaScript's, but for a few JSON.stringify would double: decode, then encode.
  const decoded = inner.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{1,4}|.)/g, (_, e: string) => {
    if (e[0] === 'u' || e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', '"': '"', "'": "'" } as Record<string, string>)[e] ?? e;
  });
  return JSON.stringify(decoded);
}

/** The statements of a block of C#, split at the `;` outside strings and brackets. */
export function splitStatements(source: string): string[] {
  const statements: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'") i = skipString(source, i);
    else if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ';' && depth === 0) {
      statements.push(source.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(source.slice(start));
  return statements.map(stripComments).filter((s) => s !== '');
}

function stripComments(statement: string): string {
  return statement
    .split('\n')
    .map((line) => (line.trim().startsWith('//') ? '' : line))
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .trim();
}

/** A logging call's arguments, split at the commas outside parentheses and strings. */
export function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = skipString(text, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s) => s !== '');
}

/** A call's arguments, split at the commas outside brackets and strings. */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = text.indexOf('"', i + 1);
      if (i < 0) break;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) args.push(last);
  return args;
}
