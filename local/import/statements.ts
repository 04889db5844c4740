import { splitTop, stringLiteral } from './csharp-text.ts';
import { type ExpressionTranslator, type Translated, Untranslatable } from './expressions.ts';
import { xmlTemplate, xpathPath } from './xpath.ts';
import { timeSpanOf } from './durations.ts';
import type { Scope } from './expressions.ts';

/**
 * The statements of an Expression or Message Assignment shape, translated one by one: assignments to variables,
 * messages and distinguished fields, and the logging calls whose meaning is plain. One that is not translated makes
 * the whole shape a stub: half of a shape's code would do less than it said.
 */

export type AssignTarget = (target: string) => {
  ts: string;
  type: Translated['type'];
  field?: { messageType: string; message: string; path: string[] };
};

const LOGGING =
  /^(?:System\.Diagnostics\.)?(?:Trace|Debug)\.(?:WriteLine|Write|TraceInformation|TraceWarning|TraceError)$|^(?:System\.Diagnostics\.)?EventLog\.WriteEntry$/;

/** Properties of BizTalk's adapters and pipeline (`BTS.`, `FILE.`, `WCF.`...): a send port's settings, not business data. */
const ADAPTER_PROPERTY =
  /^(BTS|FILE|FTP|SFTP|WCF|SMTP|POP3|HTTP|SOAP|MSMQ|MQSeries|EDI|EdiOverride|ErrorReport|XMLNORM|MessageTracking|SQL|Microsoft\.BizTalk|LOB|WSS|AS2|BizTalk)\./;

export function translateStatement(
  statement: string,
  translator: ExpressionTranslator,
  scope: Scope,
  target: AssignTarget,
): string[] {
  // msg(Ns.PropertySchema.Prop) = value: a promoted property, carried in the body (Baton's messages have no other
  // context to carry it in), where promoted() reads it back.
  const property = /^(\w+)\s*\(\s*([\w.]+)\s*\)\s*=(?!=)\s*([\s\S]+)$/.exec(statement);
  if (property && scope.message(property[1]!)) {
    if (ADAPTER_PROPERTY.test(property[2]!))
      throw new Untranslatable(`sets ${property[2]}, an adapter's property: set it on the send port's binding`);
    const t = target(property[1]!);
    const value = translator.expression(property[3]!);
    return [`${t.ts} = withPromoted(${t.ts}, ${JSON.stringify(property[2]!.split('.').pop())}, ${value.ts});`];
  }
  // xpath(msg, "path") = value: the field the path names.
  const xpathSet = /^xpath\s*\(\s*(\w+)\s*,\s*("(?:[^"\\]|\\.)*"|@"(?:[^"]|"")*")\s*\)\s*=(?!=)\s*([\s\S]+)$/.exec(
    statement,
  );
  if (xpathSet && scope.message(xpathSet[1]!)) {
    const path = xpathPath(JSON.parse(stringLiteral(xpathSet[2]!)) as string);
    const t = target(xpathSet[1]!);
    const value = translator.expression(xpathSet[3]!);
    return [`${t.ts} = withField(${t.ts}, ${JSON.stringify(path)}, ${value.ts});`];
  }
  // doc.LoadXml("<Root><A/>...</Root>"): a message made from a template, as the object its elements make.
  const load = /^(\w+)\.LoadXml\s*\(\s*("(?:[^"\\]|\\.)*"|@"(?:[^"]|"")*")\s*\)$/.exec(statement);
  if (load) {
    const t = target(load[1]!);
    return [`${t.ts} = ${xmlTemplate(JSON.parse(stringLiteral(load[2]!)) as string)} as unknown as typeof ${t.ts};`];
  }
  // target++ / target--
  const step = /^([\w.]+)\s*(\+\+|--)$/.exec(statement);
  if (step) {
    const t = target(step[1]!);
    if (t.type !== 'number') throw new Untranslatable(`${step[2]} of a non-number`);
    return [`${t.ts} = (${t.ts} ?? 0) ${step[2] === '++' ? '+' : '-'} 1;`];
  }
  const assignment = /^([\w.]+)\s*([+\-*/]?=)(?!=)\s*([\s\S]+)$/.exec(statement);
  if (assignment) return assign(assignment[1]!, assignment[2]!, assignment[3]!, translator, scope, target);
  // msgB(*) = msgA(*): all of a message's context. Baton carries promoted properties in the body, copied with it.
  if (/^\w+\s*\(\s*\*\s*\)\s*=\s*\w+\s*\(\s*\*\s*\)$/.test(statement))
    return [`// ${oneLine(statement)}: the promoted properties travel in the body, copied with it`];
  // A logging call: Trace.WriteLine(x), EventLog.WriteEntry(source, text, ...).
  const call = /^([\w.]+)\s*\(([\s\S]*)\)$/.exec(statement);
  if (call && LOGGING.test(call[1]!)) {
    const args = splitTop(call[2]!);
    const text = call[1]!.endsWith('WriteEntry') ? args.slice(0, 2) : args.slice(0, 1);
    const parts = text.map((a) => translator.expression(a));
    return [`console.log(${parts.map((p) => (p.type === 'string' ? p.ts : `String(${p.ts})`)).join(', ')});`];
  }
  // A logger's call (log4net, a logging helper): logger.Info(properties, text). What it logs is the text it is given;
  // arguments that are not text (the logger's own settings objects) are left out.
  if (call && /^\w+\.(Debug|Info|Information|Warn|Warning|Error|Fatal|Trace|Verbose|Log)$/.test(call[1]!)) {
    const texts = splitTop(call[2]!).flatMap((a) => {
      try {
        const value = translator.expression(a);
        return value.type === 'string' || value.type === 'number' ? [value.ts] : [];
      } catch {
        return [];
      }
    });
    if (texts.length > 0) return [`console.log(${texts.join(', ')}); // ${call[1]}`];
  }
  throw new Untranslatable(`"${oneLine(statement)}" is not an assignment or a call Baton knows`);
}

function assign(
  left: string,
  op: string,
  right: string,
  translator: ExpressionTranslator,
  scope: Scope,
  target: AssignTarget,
): string[] {
  const t = target(left);
  const source = right.trim();
  // An XmlDocument made empty: an object, filled by what follows (LoadXml, field assignments).
  if (/^new\s+(System\.Xml\.)?XmlDocument\s*\(\s*\)$/.test(source)) return [`${t.ts} = {} as typeof ${t.ts};`];
  // A whole message: a copy of another message, of an XmlDocument variable, or of a message's part or field.
  if (!t.field && scope.message(left)) {
    const from = scope.message(source);
    const to = scope.message(left)!;
    if (from) {
      // Bodies are JSON in Baton whatever their .NET type: an XmlDocument or another schema's message is a copy too.
      const cast = from.messageType === to.messageType ? '' : ` as unknown as typeof ${t.ts}`;
      return [`${t.ts} = structuredClone(${from.body})${cast};`];
    }
    const value = translator.expression(source);
    if (!/^(ctx\.message\(|ctx\.vars\.|\(ctx\.vars\.)/.test(value.ts))
      throw new Untranslatable(`constructs ${left} from "${oneLine(source)}", not from a message or a variable`);
    return [`${t.ts} = structuredClone(${value.ts}) as unknown as typeof ${t.ts};`];
  }
  const span = timeSpanOf(source.replace(/\s+/g, ' '), translator);
  const value = span !== undefined ? { ts: span, type: 'number' as const } : translator.expressionAs(source, t.type);
  if (t.type !== 'unknown' && value.type !== 'unknown' && value.type !== t.type)
    throw new Untranslatable(`assigns a ${value.type} to ${left}, a ${t.type}`);
  const ts = op === '=' ? value.ts : `(${t.ts} ?? 0) ${op[0]} ${value.ts}`;
  if (t.field) {
    scope.field(t.field.messageType, t.field.path, value.type);
    return [`${t.ts} = withField(${t.ts}, ${JSON.stringify(t.field.path)}, ${ts});`];
  }
  return [`${t.ts} = ${ts};`];
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
