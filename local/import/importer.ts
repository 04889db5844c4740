import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { MapFinder } from './btm-map.ts';
import { checkLoads } from './loads.ts';
import { MessageTypes, messagesModule } from './message-types.ts';
import {
  batonOrchestrationName,
  DESIGNER_SHAPES,
  fullNameOf,
  identOf,
  type ImportContext,
  ModuleWriter,
  type ServiceRef,
  type WrittenModule,
} from './module-writer.ts';
import { OdxError, type OdxFile, parseOdx, statementOf, walk } from './odx-file.ts';
import { type OdxModule, readModule, type Service } from './orchestration-model.ts';
import { SUPPORT_MODULE } from './support-module.ts';

/**
 * `baton import`: BizTalk orchestrations (.odx) to Baton modules. Every file is read first (a Call or Start
 * Orchestration in one names a callable in another), then each orchestration is written as a module in the typed
 * designer, with one messages.ts and one support.ts for all of them and an index.ts that deploys them all; then each
 * module is checked as written: type-checked by `tsc`, and its definitions compiled by the registry.
 */
export interface ReportEntry {
  readonly file: string;
  /** The orchestration's full name (null: the file could not be read). */
  readonly orchestration: string | null;
  /** The module written for it, in the output directory. */
  readonly module: string | null;
  readonly shapes: number;
  readonly mapped: number;
  readonly stubbed: number;
  readonly loads: boolean;
  readonly notes: readonly string[];
}

export interface ImportReport {
  readonly files: readonly ReportEntry[];
  readonly totals: {
    readonly files: number;
    readonly filesRead: number;
    readonly orchestrations: number;
    readonly loading: number;
    readonly shapes: number;
    readonly mapped: number;
    readonly stubbed: number;
    /** mapped / shapes, in percent, one decimal. */
    readonly mappedPercent: number;
  };
}

export interface ImportOptions {
  /** Type-check and compile what is written (default true). */
  readonly check?: boolean;
}

interface Parsed {
  readonly file: string;
  readonly odx: OdxFile;
  readonly module: OdxModule;
}

export async function importOrchestrations(
  files: readonly string[],
  outDir: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const entries: ReportEntry[] = [];
  const parsed: Parsed[] = [];
  for (const file of files) {
    try {
      const odx = parseOdx(readFileSync(file, 'utf8'));
      const module = readModule(odx);
      if (module.services.length === 0) throw new OdxError('the module declares no orchestration (ServiceDeclaration)');
      parsed.push({ file, odx, module });
    } catch (error) {
      const reason = error instanceof OdxError ? error.message : `could not be read: ${(error as Error).message}`;
      entries.push({
        file,
        orchestration: null,
        module: null,
        shapes: 0,
        mapped: 0,
        stubbed: 0,
        loads: false,
        notes: [reason],
      });
    }
  }

  const context = contextOf(parsed);
  const written: { entry: Omit<ReportEntry, 'loads'>; module: WrittenModule }[] = [];
  for (const { file, odx, module } of parsed) {
    for (const service of module.services) {
      const ref = context.refs.get(service)!;
      try {
        const result = new ModuleWriter(odx, module, service, context, ref.file, basename(file)).write();
        written.push({
          module: result,
          entry: {
            file,
            orchestration: result.orchestration,
            module: `${ref.file}.ts`,
            shapes: result.shapes,
            mapped: result.mapped,
            stubbed: result.stubbed,
            notes: result.notes,
          },
        });
      } catch (error) {
        entries.push({
          file,
          orchestration: fullNameOf(module, service),
          module: null,
          shapes: 0,
          mapped: 0,
          stubbed: 0,
          loads: false,
          notes: [`the importer failed on it: ${(error as Error).stack ?? error}`],
        });
      }
    }
  }

  writeFileSync(join(out, 'messages.ts'), messagesModule(context.types));
  writeFileSync(join(out, 'support.ts'), SUPPORT_MODULE);
  for (const { module } of written) writeFileSync(join(out, `${module.file}.ts`), module.text);
  const deployed = written.filter(({ module }) => module.definitions.length > 0);
  writeFileSync(
    join(out, 'index.ts'),
    [
      '// Written by `baton import`: every imported orchestration, as the Baton construct and the local cluster load them.',
      ...deployed.map(({ module }, i) => `import { orchestrations as m${i} } from './${module.file}.ts';`),
      '',
      `export const orchestrations = [${deployed.map((_, i) => `...m${i}`).join(', ')}];`,
      '',
    ].join('\n'),
  );

  const loads =
    options.check === false
      ? new Map<string, { loads: boolean; problems: string[] }>()
      : await checkLoads(
          out,
          written.map(({ module }) => module.file),
        );
  for (const { entry, module } of written) {
    const checked = loads.get(module.file);
    entries.push({
      ...entry,
      loads: checked?.loads ?? false,
      notes: [...entry.notes, ...(checked ? checked.problems : ['not checked (--no-check)'])],
    });
  }
  const order = new Map(files.map((f, i) => [f, i]));
  entries.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
  const report = { files: entries, totals: totalsOf(files.length, parsed.length, entries) };
  writeFileSync(join(out, 'import-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function totalsOf(files: number, filesRead: number, entries: readonly ReportEntry[]): ImportReport['totals'] {
  const orchestrations = entries.filter((e) => e.orchestration !== null);
  const sum = (pick: (e: ReportEntry) => number) => entries.reduce((total, e) => total + pick(e), 0);
  const shapes = sum((e) => e.shapes);
  const mapped = sum((e) => e.mapped);
  return {
    files,
    filesRead,
    orchestrations: orchestrations.length,
    loading: orchestrations.filter((e) => e.loads).length,
    shapes,
    mapped,
    stubbed: sum((e) => e.stubbed),
    mappedPercent: shapes === 0 ? 100 : Math.round((mapped / shapes) * 1000) / 10,
  };
}

/** Every service of the import, named for Call and Exec, each with a module file name of its own. */
function contextOf(parsed: readonly Parsed[]): ImportContext & { refs: Map<Service, ServiceRef> } {
  const refs = new Map<Service, ServiceRef>();
  const services = new Map<string, ServiceRef>();
  const shortNames = new Map<string, number>();
  const files = new Set<string>(['messages', 'support', 'index']);
  for (const { module } of parsed)
    for (const service of module.services) shortNames.set(service.name, (shortNames.get(service.name) ?? 0) + 1);
  for (const { module } of parsed)
    for (const service of module.services) {
      const fullName = fullNameOf(module, service);
      let file = service.name.replace(/[^A-Za-z0-9_.-]/g, '_');
      if (files.has(file)) file = batonOrchestrationName(fullName).replace(/\./g, '_');
      for (let n = 2; files.has(file); n++) file = `${service.name}_${n}`;
      files.add(file);
      let ident = identOf(service.name);
      if (RESERVED.has(ident)) ident = `${ident}Orchestration`;
      const ref = {
        fullName,
        file,
        callable: ident,
        started: `${ident}Started`,
        parameters: service.parameters,
        invokable: service.invokable,
      };
      refs.set(service, ref);
      services.set(fullName, ref);
      if (shortNames.get(service.name) === 1) services.set(service.name, ref);
    }
  const started = new Set<string>();
  const called = new Set<string>();
  for (const { odx, module } of parsed)
    for (const service of module.services)
      for (const element of service.body.flatMap((e) => [...walk(e)]))
        if (element.type === 'Call') {
          const callee =
            element.props.Invokee ?? /^call\s+([\w.]+)/.exec(statementOf(odx, element)?.trim() ?? '')?.[1] ?? '';
          const ref = services.get(callee) ?? services.get(callee.split('.').pop()!);
          if (ref) called.add(ref.fullName);
        } else if (element.type === 'Exec') {
          const callee =
            /^exec\s+([\w.]+)/.exec(statementOf(odx, element)?.trim() ?? '')?.[1] ?? element.props.Invokee ?? '';
          const ref = services.get(callee) ?? services.get(callee.split('.').pop()!);
          if (ref) started.add(ref.fullName);
        }
  return {
    types: new MessageTypes(),
    services,
    started,
    called,
    refs,
    versions: new Map(),
    maps: new MapFinder(MapFinder.rootsOf(parsed.map((p) => resolve(p.file)))),
    from: process.cwd(),
  };
}

/** Names a module's own code declares: an orchestration's export must not be one of them. */
const RESERVED = new Set<string>([
  ...DESIGNER_SHAPES,
  'messages',
  'correlationSets',
  'orchestrations',
  'designer',
  'ctx',
]);

export const reportName = 'import-report.json';
export const fileLabel = (file: string) => basename(file);
