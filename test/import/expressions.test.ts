import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../local/import/csharp-text.ts';
import { durationOf } from '../../local/import/durations.ts';
import { ExpressionTranslator, type Scope, Untranslatable } from '../../local/import/expressions.ts';
import { MessageTypes } from '../../local/import/message-types.ts';
import { translateStatement } from '../../local/import/statements.ts';
import { xmlTemplate, xpathPath } from '../../local/import/xpath.ts';

/** An orchestration with a received Order, a constructed Invoice and two variables, as the module writer sees it. */
function scope(types = new MessageTypes()): Scope {
  return {
    message: (name) =>
      name === 'msgOrder'
        ? { body: "ctx.message('msgOrder').body", messageType: 'Contoso.Order', received: true }
        : name === 'msgInvoice'
          ? { body: 'ctx.vars.msgInvoice!', messageType: 'Contoso.Invoice', received: false }
          : undefined,
    variable: (name) =>
      name === 'count'
        ? { ts: '(ctx.vars.count ?? 0)', type: 'number' }
        : name === 'note'
          ? { ts: "(ctx.vars.note ?? '')", type: 'string' }
          : undefined,
    field: (messageType, path, type) => types.field(messageType, path, type),
  };
}

const target = (name: string) => {
  const [root = '', ...path] = name.split('.');
  if (root === 'msgInvoice')
    return path.length === 0
      ? { ts: 'ctx.vars.msgInvoice', type: 'unknown' as const }
      : {
          ts: 'ctx.vars.msgInvoice',
          type: 'unknown' as const,
          field: { messageType: 'Contoso.Invoice', message: root, path },
        };
  if (root === 'count' || root === 'note')
    return { ts: `ctx.vars.${root}`, type: root === 'count' ? ('number' as const) : ('string' as const) };
  throw new Untranslatable(`assigns to ${name}`);
};

describe('C# expressions of XLANG/s, as TypeScript over the step context', () => {
  it("translates conditions on distinguished fields, promoted properties and variables, learning the fields' types", () => {
    const types = new MessageTypes();
    const t = new ExpressionTranslator(scope(types));
    expect(t.condition('msgOrder.Header.Total > 1000 && count != 0')).toBe(
      "ctx.message('msgOrder').body.Header.Total > 1000 && (ctx.vars.count ?? 0) !== 0",
    );
    expect(types.field('Contoso.Order', ['Header', 'Total'], 'unknown')).toBe('number');
    expect(t.condition('msgOrder(Contoso.PropertySchema.Priority) == "High"')).toBe(
      `(promoted(ctx.message("msgOrder"), "Priority") ?? '') === "High"`,
    );
    expect(t.condition('System.String.IsNullOrEmpty(note) || !msgOrder.IsVip')).toBe(
      "((ctx.vars.note ?? '') || '') === '' || !ctx.message('msgOrder').body.IsVip",
    );
    expect(t.expression('System.Convert.ToInt32(msgOrder.Lines) + 1m').ts).toBe(
      "Number(ctx.message('msgOrder').body.Lines) + 1",
    );
    expect(t.expression('"Order " + msgOrder.Id.Trim().ToUpper()').type).toBe('string');
  });

  it('says what stops it: a .NET object, a helper class, a condition that is not boolean', () => {
    const t = new ExpressionTranslator(scope());
    expect(() => t.expression('helper.Check(msgOrder)')).toThrow(/"helper.Check" is not a message, a variable/);
    expect(() => t.expression('new Contoso.Helper()')).toThrow(/a new .NET object/);
    expect(() => t.condition('count + 1')).toThrow(/not a boolean expression/);
    expect(() => t.condition('count == "x"')).toThrow(/compares a number with a string/);
    expect(() => t.expression('msgOrder.Total +')).toThrow(Untranslatable);
  });

  it('keeps a DateTime as ISO text and a TimeSpan as milliseconds, with their arithmetic and members', () => {
    const t = new ExpressionTranslator(scope());
    expect(t.expression('(System.DateTime.UtcNow - System.Convert.ToDateTime(msgOrder.Placed)).Days').ts).toBe(
      "Math.trunc((Date.parse(new Date(ctx.now).toISOString()) - Date.parse(new Date(String(ctx.message('msgOrder').body.Placed)).toISOString())) / 86400000)",
    );
    expect(t.expression('System.DateTime.UtcNow.ToString("yyyyMMdd")').ts).toBe(
      'formatDate(new Date(ctx.now).toISOString(), "yyyyMMdd")',
    );
    expect(t.expression('System.DateTime.UtcNow.AddDays(2)').ts).toBe(
      'new Date(Date.parse(new Date(ctx.now).toISOString()) + 2 * 86400000).toISOString()',
    );
  });

  it('computes a Delay from a TimeSpan or a DateTime', () => {
    const t = new ExpressionTranslator(scope());
    expect(durationOf('new System.TimeSpan(0, 0, 30, 0)', t)).toBe('1800000');
    expect(durationOf('new System.TimeSpan(2,0,0,0);', t)).toBe('172800000');
    expect(durationOf('System.TimeSpan.FromMinutes(count)', t)).toBe('(ctx.vars.count ?? 0) * 60000');
    expect(durationOf('System.DateTime.UtcNow.AddHours(2)', t)).toBe('7200000');
    expect(() => durationOf('helper.NextBusinessDay()', t)).toThrow(Untranslatable);
  });

  it('translates assignments, promoted properties, XPath and XML templates, and refuses adapter properties', () => {
    const t = new ExpressionTranslator(scope());
    const run = (source: string) => splitStatements(source).flatMap((s) => translateStatement(s, t, scope(), target));
    expect(run('msgInvoice = msgOrder;\r\nmsgInvoice.Status = "Open";\ncount++;')).toEqual([
      "ctx.vars.msgInvoice = structuredClone(ctx.message('msgOrder').body) as unknown as typeof ctx.vars.msgInvoice;",
      'ctx.vars.msgInvoice = withField(ctx.vars.msgInvoice, ["Status"], "Open");',
      'ctx.vars.count = (ctx.vars.count ?? 0) + 1;',
    ]);
    expect(run('msgInvoice(Contoso.PropertySchema.OrderId) = msgOrder(Contoso.PropertySchema.OrderId);')).toEqual([
      'ctx.vars.msgInvoice = withPromoted(ctx.vars.msgInvoice, "OrderId", promoted(ctx.message("msgOrder"), "OrderId"));',
    ]);
    expect(() => run('msgInvoice(FILE.ReceivedFileName) = "x.xml";')).toThrow(/adapter's property/);
    expect(run('System.Diagnostics.Trace.WriteLine("count: " + count.ToString());')).toEqual([
      'console.log("count: " + String((ctx.vars.count ?? 0)));',
    ]);
    expect(
      xpathPath(
        "string(/*[local-name()='Order' and namespace-uri()='urn:o']/*[local-name()='Header']/*[local-name()='Id'])",
      ),
    ).toEqual(['Header', 'Id']);
    expect(() => xpathPath("//*[local-name()='Id']")).toThrow(Untranslatable);
    expect(JSON.parse(xmlTemplate("<ns0:Rma xmlns:ns0='urn:r'><Number/><Order><Id>1</Id></Order></ns0:Rma>"))).toEqual({
      Number: '',
      Order: { Id: '1' },
    });
  });
});
