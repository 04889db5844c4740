import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readMap } from '../../local/import/btm-map.ts';
import { SUPPORT_MODULE } from '../../local/import/support-module.ts';

/** A .btm as the mapper writes it: UTF-16 with its byte order mark. */
const btm = (links: string, functoids = '') =>
  Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(
      `<?xml version="1.0" encoding="utf-16"?><mapsource Name="BizTalk Map" Version="2"><SrcTree RootNode_Name="Order"/><TrgTree RootNode_Name="Invoice"/><Pages><Page Name="Page 1"><Links>${links}</Links><Functoids>${functoids}</Functoids></Page></Pages></mapsource>`,
      'utf16le',
    ),
  ]);
const path = (...steps: string[]) => steps.map((s) => `/*[local-name()='${s}']`).join('');
const link = (id: number, from: string, to: string) =>
  `<Link LinkID="${id}" LinkFrom="${from.replaceAll('<', '&lt;').replaceAll('>', '&gt;')}" LinkTo="${to.replaceAll('<', '&lt;').replaceAll('>', '&gt;')}"/>`;

describe('BizTalk maps (.btm)', () => {
  it('ports a map whose links copy fields, a link between repeating records left to their fields', () => {
    const map = readMap(
      btm(
        link(1, path('<Schema>', 'Order', 'Id'), path('<Schema>', 'Invoice', 'OrderId')) +
          link(2, path('<Schema>', 'Order', 'Lines'), path('<Schema>', 'Invoice', 'Items')) +
          link(3, path('<Schema>', 'Order', 'Lines', 'Sku'), path('<Schema>', 'Invoice', 'Items', 'Code')),
      ),
      'OrderToInvoice.btm',
    );
    expect(map).toEqual({
      ported: true,
      file: 'OrderToInvoice.btm',
      links: [
        { input: 0, from: ['Id'], to: ['OrderId'] },
        { input: 0, from: ['Lines', 'Sku'], to: ['Items', 'Code'] },
      ],
      constants: [],
    });
  });

  it("reads a multi-input map's inputs by their part", () => {
    const map = readMap(
      btm(
        link(
          1,
          path('<Schema>', 'Root', 'InputMessagePart_1', 'Discount', 'Rate'),
          path('<Schema>', 'SalesOrder', 'Rate'),
        ),
      ),
      'm.btm',
    );
    expect(map).toMatchObject({ ported: true, links: [{ input: 1, from: ['Rate'], to: ['Rate'] }] });
  });

  it('leaves a map with functoids, or one that is not a map, as a stub, saying why', () => {
    const concat =
      '<Functoid FunctoidID="107" X-Cell="50" Y-Cell="20"><Input-Parameters><Parameter Type="link" Value="1"/></Input-Parameters></Functoid>';
    expect(readMap(btm(link(1, path('<Schema>', 'Order', 'Id'), '1'), concat), 'x.btm')).toEqual({
      ported: false,
      file: 'x.btm',
      why: 'x.btm has 1 functoid to port',
    });
    expect(readMap(Buffer.from('<notamap/>'), 'y.btm')).toMatchObject({
      ported: false,
      why: 'y.btm is not a BizTalk map (no <mapsource>)',
    });
    expect(readMap(Buffer.from('<mapsource><Pages'), 'z.btm')).toMatchObject({
      ported: false,
      why: expect.stringMatching(/not well-formed XML/),
    });
  });

  describe("support.ts's copyField, which the ported links call", () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-support-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const load = async () => {
      writeFileSync(join(dir, 'support.ts'), SUPPORT_MODULE);
      return (await import(pathToFileURL(join(dir, 'support.ts')).href)) as {
        copyField: (out: Record<string, unknown>, to: string[], input: unknown, from: string[]) => void;
      };
    };

    it('copies a field, and a repeating record item by item into the target record', async () => {
      const { copyField } = await load();
      const order = {
        Id: 'o-1',
        Lines: [
          { Sku: 'A', Qty: 2 },
          { Sku: 'B', Qty: 1 },
        ],
        Note: undefined,
      };
      const out: Record<string, unknown> = {};
      copyField(out, ['OrderId'], order, ['Id']);
      copyField(out, ['Items', 'Code'], order, ['Lines', 'Sku']);
      copyField(out, ['Items', 'Count'], order, ['Lines', 'Qty']);
      copyField(out, ['Header', 'Note'], order, ['Note']);
      expect(out).toEqual({
        OrderId: 'o-1',
        Items: [
          { Code: 'A', Count: 2 },
          { Code: 'B', Count: 1 },
        ],
      });
    });
  });
});
