import { enclosed, type ExpressionTranslator, Untranslatable } from './expressions.ts';
import { splitArguments } from './csharp-text.ts';

const UNIT_MS: Record<string, number> = {
  Days: 86_400_000,
  Hours: 3_600_000,
  Minutes: 60_000,
  Seconds: 1_000,
  Milliseconds: 1,
};

/**
 * A Delay's expression (a `System.TimeSpan`, or a `System.DateTime` to wait until) as TypeScript computing the
 * milliseconds to wait from the step's context.
 */
export function durationOf(source: string, translator: ExpressionTranslator): string {
  const text = source.replace(/\s+/g, ' ').trim().replace(/;$/, '');
  const timeSpan = timeSpanOf(text, translator);
  if (timeSpan !== undefined) return timeSpan;
  const date =
    /^(?:System\.)?DateTime\.(Now|UtcNow|Today)((?: ?\. ?Add(?:Days|Hours|Minutes|Seconds|Milliseconds) ?\(.*?\))*)$/.exec(
      text,
    );
  if (date) {
    const adds = [...date[2]!.matchAll(/Add(Days|Hours|Minutes|Seconds|Milliseconds) ?\((.*?)\)(?= ?\.|$)/g)].map((m) =>
      scaled(number(m[2]!, translator), UNIT_MS[m[1]!]!),
    );
    // Today is midnight (UTC here): what is added counts from then.
    const base = date[1] === 'Today' ? ['(Math.floor(ctx.now / 86_400_000) * 86_400_000 - ctx.now)'] : [];
    const terms = [...base, ...adds];
    return terms.length === 0 ? '0' : terms.join(' + ');
  }
  const value = translator.expression(text);
  // A TimeSpan variable holds milliseconds; a DateTime one an ISO string: the time until it.
  if (value.type === 'number') return value.ts;
  if (value.type === 'string') return `Date.parse(${value.ts}) - ctx.now`;
  throw new Untranslatable(`"${text}" is neither a TimeSpan nor a DateTime Baton can compute`);
}

/** `new System.TimeSpan(…)` or `System.TimeSpan.FromMinutes(…)` in milliseconds, or undefined when it is neither. */
export function timeSpanOf(text: string, translator: ExpressionTranslator): string | undefined {
  const created = /^new (?:System\.)?TimeSpan ?\((.*)\)$/.exec(text);
  if (created) {
    const args = splitArguments(created[1]!).map((a) => number(a, translator));
    const units: Record<number, number[]> = {
      1: [0.0001],
      3: [3_600_000, 60_000, 1_000],
      4: [86_400_000, 3_600_000, 60_000, 1_000],
      5: [86_400_000, 3_600_000, 60_000, 1_000, 1],
    };
    const scale = units[args.length];
    if (!scale) throw new Untranslatable(`a TimeSpan of ${args.length} arguments`);
    const terms = args.map((a, i) => scaled(a, scale[i]!)).filter((t) => t !== '0');
    return terms.length === 0 ? '0' : terms.join(' + ');
  }
  const from = /^(?:System\.)?TimeSpan\.From(Days|Hours|Minutes|Seconds|Milliseconds) ?\((.*)\)$/.exec(text);
  if (from) return scaled(number(from[2]!, translator), UNIT_MS[from[1]!]!);
  return undefined;
}

function number(source: string, translator: ExpressionTranslator): string {
  const value = translator.expression(source);
  if (value.type !== 'number') throw new Untranslatable(`"${source}" is not a number`);
  return value.ts;
}

function scaled(ts: string, unit: number): string {
  if (/^-?[0-9.]+$/.test(ts)) return String(Number(ts) * unit);
  if (unit === 1) return ts;
  return /^[\w$.]+$/.test(ts) || enclosed(ts) ? `${ts} * ${unit}` : `(${ts}) * ${unit}`;
}
