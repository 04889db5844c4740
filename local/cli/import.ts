/** `baton import FILE.odx... --out DIR`: BizTalk orchestrations to Baton modules (local/import/), and the report. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importOrchestrations } from '../import/importer.ts';
import type { CommandInput } from './target.ts';
import { fail } from './values.ts';

export async function importCommand({ args, options }: CommandInput): Promise<void> {
  const { out, check, json } = options as { out: string; check: boolean; json?: boolean };
  const files = args.flatMap((arg) => odxFiles(arg));
  if (files.length === 0) fail(`no .odx file in ${args.join(', ')}`);
  const report = await importOrchestrations(files, out, { check });
  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const entry of report.files) {
      const what = entry.orchestration ?? '(not read)';
      const counts = entry.orchestration
        ? `${entry.mapped}/${entry.shapes} mapped, ${entry.stubbed} stubbed`
        : entry.notes[0];
      console.log(`${entry.loads ? 'loads ' : 'FAILS '} ${relative(process.cwd(), entry.file)}  ${what}: ${counts}`);
    }
    const t = report.totals;
    console.log(
      `\n${t.files} files (${t.filesRead} read), ${t.orchestrations} orchestrations, ${t.loading} load; ` +
        `${t.mapped} of ${t.shapes} shapes mapped (${t.mappedPercent}%), ${t.stubbed} stubbed. ` +
        `Modules and import-report.json in ${out}`,
    );
  }
  if (report.files.some((e) => !e.loads)) process.exitCode = 1;
}

/** The .odx files an argument names: itself, or those under it when it is a directory. */
function odxFiles(path: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    fail(`${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.toLowerCase().endsWith('.odx'))
    .sort()
    .map((name) => join(path, name));
}
