import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../local/import/importer.ts';
import { SHAPE_KINDS } from '../../local/import/module-writer.ts';

/**
 * `baton import` on the project's own corpus (test/import/fixtures: orchestrations as BizTalk's designer writes them,
 * every shape of the toolbox among them), run as a user runs it: the command, in its own process, which type-checks
 * and compiles what it wrote.
 */
const FIXTURES = 'test/import/fixtures';
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.odx'));

function batonImport(args: string[]) {
  const run = spawnSync(process.execPath, ['local/cli.ts', 'import', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** How many elements of the shape kinds a file holds, counted from its text. */
function shapesIn(file: string): number {
  const types = [...readFileSync(file, 'utf8').matchAll(/<om:Element Type="(\w+)"/g)].map((m) => m[1]!);
  return types.filter((t) => SHAPE_KINDS.has(t)).length;
}

describe("baton import on the project's corpus", () => {
  let out: string;
  let report: ImportReport;
  let status: number | null;
  let output: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'baton-import-'));
    ({ status, output } = batonImport([FIXTURES, '--out', out]));
    report = JSON.parse(readFileSync(join(out, 'import-report.json'), 'utf8'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes a module per orchestration that type-checks and compiles into a deployment, and says so', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    expect(report.files.map((f) => f.file.split('/').pop()).sort()).toEqual(fixtures.sort());
    const failing = report.files.filter((f) => !f.loads).map((f) => `${f.file}: ${f.notes.join('; ')}`);
    expect(failing).toEqual([]);
    expect(status).toBe(0);
    expect(output).toMatch(/15 files \(15 read\), 15 orchestrations, 15 load/);
    for (const entry of report.files) expect(readdirSync(out)).toContain(entry.module);
    expect(readdirSync(out)).toEqual(
      expect.arrayContaining(['messages.ts', 'support.ts', 'index.ts', 'import-report.json']),
    );
  });

  it('counts every shape of a file, and a stub never as mapped', () => {
    for (const entry of report.files) {
      expect(entry.shapes, entry.file).toBe(shapesIn(entry.file));
      expect(entry.mapped + entry.stubbed, entry.file).toBeLessThanOrEqual(entry.shapes);
      const module = readFileSync(join(out, entry.module!), 'utf8');
      // Each stub says so where a person looks for it.
      if (entry.stubbed > 0) expect(module, entry.file).toMatch(/TODO\(baton import\)/);
    }
    const { shapes, mapped, stubbed } = report.totals;
    expect(report.totals.mappedPercent).toBe(Math.round((mapped / shapes) * 1000) / 10);
    expect(mapped + stubbed).toBeLessThanOrEqual(shapes);
    // What the corpus maps today, as a floor: a change that maps less fails here.
    expect(report.totals.mappedPercent).toBeGreaterThanOrEqual(90);
  });

  it('maps the shapes of OrderApproval to their Baton shapes, and ports its map as a named stub', () => {
    const entry = report.files.find((f) => f.orchestration === 'Contoso.Orchestrations.OrderApproval')!;
    const module = readFileSync(join(out, entry.module!), 'utf8');
    expect(module).toMatch(/receive\("Receive_Order", Order, \{ into: "msgOrder", correlation: "corrOrderId" \}\)/);
    expect(module).toMatch(/when\("LargeOrder", \(ctx\) => ctx\.message\("msgOrder"\)\.body\.total > 1000/);
    expect(module).toMatch(/onMessage\("ApprovalReceived", receiveCorrelated\("Receive_Approval", Approval/);
    expect(module).toMatch(/onTimeout\("ApprovalTimeout", "Wait_2_Days", \(ctx\) => 172800000/);
    expect(module).toMatch(
      /function mapOrderToInvoice\(msgOrder: OrderBody\): InvoiceBody \{\n {2}return notPorted\("the map Contoso\.Maps\.OrderToInvoice"/,
    );
    expect(entry.stubbed).toBe(2); // the map, in both Constructs that use it
  });

  it('reports a file it cannot read with the reason, and imports the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-import-bad-'));
    try {
      copyFileSync(join(FIXTURES, 'OrderApproval.odx'), join(dir, 'OrderApproval.odx'));
      writeFileSync(join(dir, 'Broken.odx'), '#if __DESIGNER_DATA\n<om:MetaModel><om:Element Type="Module">\n');
      writeFileSync(join(dir, 'Notes.odx'), 'not an orchestration at all');
      const run = batonImport([dir, '--out', join(dir, 'out')]);
      const bad: ImportReport = JSON.parse(readFileSync(join(dir, 'out', 'import-report.json'), 'utf8'));
      const byFile = (name: string) => bad.files.find((f) => f.file.endsWith(name))!;
      expect(byFile('Broken.odx')).toMatchObject({
        orchestration: null,
        loads: false,
        notes: [expect.stringMatching(/no designer data/)],
      });
      expect(byFile('Notes.odx').notes[0]).toMatch(/no designer data \(an <om:MetaModel> element\)/);
      expect(byFile('OrderApproval.odx')).toMatchObject({
        orchestration: 'Contoso.Orchestrations.OrderApproval',
        loads: true,
      });
      // A file that did not load makes the command fail, after writing everything it could.
      expect(run.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes OrderApproval as test/import/filled holds it, but for the map a person filled in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-import-one-'));
    try {
      expect(batonImport([join(FIXTURES, 'OrderApproval.odx'), '--out', dir]).status).toBe(0);
      // The filled copy imports Baton from the checkout (its tests run without a build of the package).
      const normal = (text: string) =>
        text
          .replaceAll("from '../../../functions/index.ts'", "from 'baton'")
          .replace(/(function mapOrderToInvoice\([^)]*\): \w+ \{\n)[\s\S]*?\n\}\n/, '$1  (the map)\n}\n')
          .replace('import { correlationKey, notPorted, promoted,', 'import { correlationKey, promoted,');
      for (const file of ['OrderApproval.ts', 'messages.ts', 'support.ts'])
        expect(normal(readFileSync(join('test/import/filled', file), 'utf8')), file).toBe(
          normal(readFileSync(join(dir, file), 'utf8')),
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains itself and its report in --help', () => {
    const help = spawnSync(process.execPath, ['local/cli.ts', 'import', '--help'], { encoding: 'utf8' }).stdout;
    for (const word of [
      '--out',
      'import-report.json',
      'shapes',
      'mapped',
      'stubbed',
      'loads',
      'notes',
      'TODO(baton import)',
      '.btm',
    ])
      expect(help).toContain(word);
  });
});
