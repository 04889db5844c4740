/**
 * WCP-21 Structured Loop
 *
 * Definition: The ability to execute a task or sub-process repeatedly. The loop has a single entry and exit point.
 * Rating: supported
 * Reason: Loop (`loop`): its body runs while its condition, checked before each pass, holds (a post-tested loop is
 * the same with a flag set before the first pass). A run persists and goes on after 1,000 shapes, so a long loop
 * holds no host.
 * BPEL: +
 */
import { code, loop, orchestration, receive, send } from '../../functions/builders.ts';

/** One invoice line a pass, as many as the order has. */
export const structuredLoop = orchestration('Wcp21StructuredLoop', 1, [
  receive('receiveOrder', 'InvoiceOrder', { into: 'order' }),
  code('firstLine', (ctx) => {
    ctx.vars.line = 0;
  }),
  loop('eachLine', (ctx) => (ctx.vars.line as number) < (ctx.message('order').body as { lines: number }).lines, [
    send('invoiceLine', 'send', 'LineInvoiced', (ctx) => ({ line: ctx.vars.line })),
    code('nextLine', (ctx) => {
      ctx.vars.line = (ctx.vars.line as number) + 1;
    }),
  ]),
  send('total', 'send', 'InvoiceTotalled', (ctx) => ({ lines: ctx.vars.line })),
]);
