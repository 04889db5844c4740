import { expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { structuredLoop } from './wcp-21-structured-loop.ts';

it('WCP-21 Structured Loop: the body repeats while the condition holds, then the single exit', async () => {
  const w = patternWorld([structuredLoop]);
  await w.send('InvoiceOrder', { lines: 3 });
  await w.send('InvoiceOrder', { lines: 0 });
  await w.run();
  expect(w.bodies('LineInvoiced').map((b) => b.line)).toEqual([0, 1, 2]);
  expect(
    w
      .bodies('InvoiceTotalled')
      .map((b) => b.lines)
      .sort(),
  ).toEqual([0, 3]);
});
