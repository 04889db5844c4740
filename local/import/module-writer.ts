import { ExpressionTranslator, type Scope, type Translated, tsTypeOf, Untranslatable } from './expressions.ts';
import type { MapFinder } from './btm-map.ts';
import { durationOf } from './durations.ts';
import type { MessageTypes } from './message-types.ts';
import { type OdxElement, type OdxFile, statementOf, walk } from './odx-file.ts';
import type { OdxModule, Operation, Parameter, Service } from './orchestration-model.ts';
import { splitArguments, splitStatements } from './csharp-text.ts';
import { translateStatement } from './statements.ts';

/**
 * Writes one orchestration (a ServiceDeclaration) as a TypeScript module in the typed designer, shape by shape, and
 * counts what it made of each shape: mapped (a Baton shape, or typed code doing what the XLANG/s said), stubbed (a
 * marked step that carries the XLANG/s for a person), or approximated (a Baton shape that does nearly what it said,
 * with a note saying where it differs).
 */

/** The element types the report counts as shapes (the designer's toolbox, with a Construct's parts). */
export const SHAPE_KINDS = new Set([
  'Receive',
  'Send',
  'Construct',
  'Transform',
  'MessageAssignment',
  'VariableAssignment',
  'Decision',
  'DecisionBranch',
  'Listen',
  'ListenBranch',
  'Parallel',
  'ParallelBranch',
  'Scope',
  'LongRunningTransaction',
  'AtomicTransaction',
  'Catch',
  'Compensation',
  'Compensate',
  'Delay',
  'While',
  'Throw',
  'Call',
  'Exec',
  'Terminate',
  'Suspend',
  'CallRules',
  'Group',
  'Task',
]);

/** The designer's shape functions a written module may call (and destructures from `designer(...)`). */
export const DESIGNER_SHAPES = [
  'orchestration',
  'receive',
  'receiveCorrelated',
  'receiveReply',
  'code',
  'decide',
  'when',
  'send',
  'listen',
  'onMessage',
  'onTimeout',
  'parallel',
  'branch',
  'scope',
  'compensate',
  'delay',
  'loop',
  'throwError',
  'terminate',
  'suspend',
  'call',
  'callable',
  'start',
] as const;

/** The statement shapes (what a body holds, in order). */
const STATEMENTS = new Set(
  [...SHAPE_KINDS].filter(
    (k) => !/Branch$|Transaction$|^Catch$|^Compensation$|^Transform$|^MessageAssignment$/.test(k),
  ),
);

/** An orchestration or callable another file's Call or Exec names. */
export interface ServiceRef {
  readonly fullName: string;
  /** The module it is written to, without `.ts`. */
  readonly file: string;
  /** The export of its callable (`callable(...)`). */
  readonly callable: string;
  /** The export of the orchestration an Exec starts (its parameters as the activation message). */
  readonly started: string;
  readonly parameters: readonly Parameter[];
  readonly invokable: boolean;
}

export interface ImportContext {
  readonly types: MessageTypes;
  /** Every service of the import, by full name and by short name (when that is unambiguous). */
  readonly services: ReadonlyMap<string, ServiceRef>;
  /** Full names of the services some Exec starts. */
  readonly started: ReadonlySet<string>;
  /** Full names of the services some Call calls. */
  readonly called: ReadonlySet<string>;
  /** The maps (.btm) near the imported files, to port those that only copy fields. */
  readonly maps?: MapFinder;
  /** Where the maps' paths in notes are relative to. */
  readonly from?: string;
  /** The versions given so far, by orchestration name: a second file with an orchestration of one name is its next version. */
  readonly versions: Map<string, number>;
}

export interface WrittenModule {
  readonly file: string;
  readonly text: string;
  readonly orchestration: string;
  /** The exported definitions to deploy (the orchestration, or a callable's started twin). */
  readonly definitions: readonly string[];
  readonly shapes: number;
  readonly mapped: number;
  readonly stubbed: number;
  readonly notes: readonly string[];
}

type Outcome = 'mapped' | 'stubbed' | 'approximated';

interface Catching {
  readonly variable: string;
}

export function fullNameOf(module: OdxModule, service: Service): string {
  return module.name ? `${module.name}.${service.name}` : service.name;
}

/** The orchestration's name in Baton: its full .NET name when Baton's pattern takes it, else its own name. */
export function batonOrchestrationName(fullName: string): string {
  const clean = fullName.replace(/[^A-Za-z0-9_.-]/g, '_');
  const name = clean.length <= 80 ? clean : clean.split('.').pop()!.slice(0, 80);
  return /^[A-Za-z]/.test(name) ? name : `O${name}`.slice(0, 80);
}

export const identOf = (name: string) => {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const ident = words
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
  return /^[A-Za-z_]/.test(ident) ? ident : `_${ident}`;
};

export class ModuleWriter implements Scope {
  readonly #counts: Record<Outcome, number> = { mapped: 0, stubbed: 0, approximated: 0 };
  readonly #notes: string[] = [];
  readonly #ids = new Set<string>();
  readonly #stubs: string[] = [];
  readonly #imports = new Map<string, Set<string>>();
  readonly #received = new Set<string>();
  readonly #constructed = new Set<string>();
  readonly #catching: Catching[] = [];
  readonly #translator = new ExpressionTranslator(this);
  #activationSets: readonly string[] = [];
  readonly #followedSets = new Map<string, Set<string>>();
  readonly #extraVariables = new Map<string, string>();
  /** Correlation sets a send initializes (found before the body is written: a receive after it follows them). */
  readonly #sendInitialized = new Set<string>();
  /** Send ports whose responses come back as replies (solicit-response). */
  readonly #replyPorts = new Set<string>();

  readonly file: OdxFile;
  readonly module: OdxModule;
  readonly service: Service;
  readonly context: ImportContext;
  readonly moduleFile: string;
  /** The .odx file's name, for the module's first line. */
  readonly source: string;

  constructor(
    file: OdxFile,
    module: OdxModule,
    service: Service,
    context: ImportContext,
    moduleFile: string,
    source = moduleFile,
  ) {
    this.source = source;
    this.file = file;
    this.module = module;
    this.service = service;
    this.context = context;
    this.moduleFile = moduleFile;
    for (const element of service.body.flatMap((e) => [...walk(e)]))
      if (element.type === 'Receive' && element.props.MessageName) this.#received.add(element.props.MessageName);
    for (const p of service.parameters) if (p.message) this.#constructed.add(p.name);
    // A message a Construct builds is kept in a variable, received as well or not.
    for (const element of service.body.flatMap((e) => [...walk(e)]))
      if (element.type === 'Construct')
        for (const ref of element.children.filter((c) => c.parentLink === 'Construct_MessageRef'))
          if (ref.props.Ref) this.#constructed.add(ref.props.Ref);
    for (const element of service.body.flatMap((e) => [...walk(e)]))
      if (element.type === 'Send')
        for (const set of service.correlationUse.get(element.oid.toLowerCase())?.initializes ?? [])
          this.#sendInitialized.add(set);
    for (const name of service.messages.keys()) if (!this.#received.has(name)) this.#constructed.add(name);
  }

  /**
   * Written as a callable (BizTalk's Call runs it, inline): a service that is invokable and called. One only started
   * (Exec) is an orchestration of its own, activated by its parameters, and receives as one.
   */
  get #callable(): boolean {
    const fullName = fullNameOf(this.module, this.service);
    return this.service.invokable && !(this.context.started.has(fullName) && !this.context.called.has(fullName));
  }

  // --- Scope: what names in expressions stand for -------------------------------------------------------------

  message(name: string): { body: string; messageType: string; received: boolean } | undefined {
    const type = this.#messageTypeOfVariable(name);
    if (type === undefined) return undefined;
    return {
      body: this.#bodyOf(name),
      messageType: type,
      received: this.#received.has(name) && !this.#constructed.has(name),
    };
  }

  variable(name: string): Translated | undefined {
    const caught = this.#catching.find((c) => c.variable === name);
    if (caught) return { ts: "String(ctx.vars.lastError ?? '')", type: 'string' };
    const type = this.service.variables.get(name) ?? this.#parameter(name, false)?.type;
    if (type === undefined) return undefined;
    // A variable is empty until a step sets it; C# gives it its type's default, and so does the code read here.
    const ts = tsTypeOf(type);
    const fallback = { number: '0', string: "''", boolean: 'false', unknown: undefined }[ts];
    // A DateTime is kept as its ISO text, a TimeSpan as milliseconds: their members and arithmetic follow.
    const clr = /^(System\.)?DateTime$/.test(type) ? 'date' : /^(System\.)?TimeSpan$/.test(type) ? 'span' : undefined;
    return {
      ts: fallback === undefined ? `ctx.vars.${name}` : `(ctx.vars.${name} ?? ${fallback})`,
      type: ts,
      ...(clr ? { clr } : {}),
    };
  }

  field(messageType: string, path: readonly string[], type: Translated['type']) {
    return this.context.types.field(messageType, path, type);
  }

  #parameter(name: string, message: boolean): Parameter | undefined {
    return this.service.parameters.find((p) => p.name === name && p.message === message);
  }

  #messageTypeOfVariable(name: string): string | undefined {
    const declared = this.service.messages.get(name) ?? this.#parameter(name, true)?.type;
    if (declared === undefined) return undefined;
    return this.module.multipartTypes.has(declared) || this.module.multipartTypes.has(`${this.module.name}.${declared}`)
      ? `${declared.includes('.') ? declared : `${this.module.name}.${declared}`}`
      : declared;
  }

  #bodyOf(name: string): string {
    if (!this.#constructed.has(name)) return `ctx.message(${JSON.stringify(name)}).body`;
    if (this.#received.has(name)) return `(ctx.vars.${name} ?? ctx.message(${JSON.stringify(name)}).body)`;
    return `ctx.vars.${name}!`;
  }

  #typeIdent(messageType: string): string {
    const entry = this.context.types.of(messageType);
    this.#use('./messages.ts', entry.ident);
    return entry.ident;
  }

  #use(from: string, name: string) {
    if (from === `./${this.moduleFile}.ts`) return;
    let names = this.#imports.get(from);
    if (!names) this.#imports.set(from, (names = new Set()));
    names.add(name);
  }

  // --- counting ------------------------------------------------------------------------------------------------

  /** Each shape is counted once (an activating Listen writes what follows it once per branch). */
  readonly #counted = new WeakSet<OdxElement>();

  #count(element: OdxElement, outcome: Outcome) {
    if (!SHAPE_KINDS.has(element.type) || this.#counted.has(element)) return;
    this.#counted.add(element);
    this.#counts[outcome]++;
  }

  /** A stubbed compound: it and every shape in it. */
  #countAll(element: OdxElement, outcome: Outcome) {
    for (const e of walk(element)) this.#count(e, outcome);
  }

  #note(element: OdxElement, text: string) {
    this.#notes.push(`${element.type} "${element.props.Name ?? element.oid}": ${text}`);
  }

  /** The ids given, by shape: a Compensate names its scope's. */
  readonly #given = new Map<OdxElement, string>();

  #id(element: OdxElement, fallback = element.type): string {
    const given = this.#given.get(element);
    if (given !== undefined && element.oid !== '') return given;
    const id = this.#freshId(element, fallback);
    if (element.oid !== '') this.#given.set(element, id);
    return id;
  }

  #freshId(element: OdxElement, fallback: string): string {
    let base = (element.props.Name ?? fallback).replace(/[^A-Za-z0-9_-]/g, '_');
    if (!/^[A-Za-z]/.test(base)) base = `s${base}`;
    base = base.slice(0, 60);
    let id = base;
    for (let n = 2; this.#ids.has(id); n++) id = `${base}_${n}`;
    this.#ids.add(id);
    return id;
  }

  #xlang(element: OdxElement): string {
    return statementOf(this.file, element) ?? element.props.Expression ?? element.props.Name ?? element.type;
  }

  /** A step that fails saying what to port, with the XLANG/s it came from above it. */
  #stub(element: OdxElement, what: string, why?: string): string {
    this.#countAll(element, 'stubbed');
    if (why) this.#note(element, why);
    const xlang = this.#xlang(element);
    this.#use('./support.ts', 'notPorted');
    return [
      `// TODO(baton import): ${what}${why ? ` (${why})` : ''}. The XLANG/s:`,
      ...xlang.split('\n').map((line) => `//   ${line.trimEnd()}`),
      `code(${JSON.stringify(this.#id(element))}, () => notPorted(${JSON.stringify(what)}, ${JSON.stringify(oneLine(xlang))}))`,
    ].join('\n');
  }

  // --- the module ---------------------------------------------------------------------------------------------------

  write(): WrittenModule {
    const service = this.service;
    const fullName = fullNameOf(this.module, service);
    const name = batonOrchestrationName(fullName);
    const ident = this.context.services.get(fullName)?.callable ?? identOf(service.name);
    const definitions: string[] = [];
    const parts: string[] = [];
    const first = service.body.find((e) => STATEMENTS.has(e.type));
    if (service.invokable && !this.#callable) {
      // Only started (Exec): an orchestration activated by its parameters as a message, its body its own.
      const params = this.#paramsType(fullName);
      this.#extraMessage('parameters', params);
      const steps = this.#block(service.body);
      parts.push(
        `/** ${fullName}, as Start Orchestration runs it: activated by its parameters as a message. */`,
        `export const ${ident} = orchestration(${JSON.stringify(name)}, ${this.#version(name)}, ${list(
          [
            `receive('activate', ${params}, { into: 'parameters' })`,
            `code('takeParameters', (ctx) => {\n  Object.assign(ctx.vars, ctx.message('parameters').body);\n})`,
            ...steps,
          ],
          '',
        )}, { correlationSets: correlationSets() });`,
        '',
        this.#correlationSets(),
      );
      definitions.push(ident);
    } else if (service.invokable || !first) {
      const steps = this.#block(service.body);
      parts.push(
        `/** ${fullName}: a callable orchestration (BizTalk's Call and Start Orchestration run it). */`,
        `export const ${ident} = callable(${JSON.stringify(`${name}.Body`.slice(-80).replace(/^[^A-Za-z]+/, ''))}, ${list(steps, '')});`,
      );
      if (this.context.started.has(fullName)) {
        const params = this.#paramsType(fullName);
        parts.push(
          '',
          `/** ${fullName} as Start Orchestration runs it: activated by its parameters as a message. */`,
          `export const ${ident}Started = orchestration(${JSON.stringify(name)}, ${this.#version(name)}, [`,
          `  receive('activate', ${params}, { into: 'parameters' }),`,
          `  code('takeParameters', (ctx) => { Object.assign(ctx.vars, ctx.message('parameters').body); }),`,
          `  call('run', ${ident}),`,
          ']);',
        );
        definitions.push(`${ident}Started`);
        this.#extraMessage('parameters', params);
      }
    } else {
      const activations = this.#activatingListen(first);
      if (activations) {
        for (const [branchName, steps] of activations) {
          const branchIdent = `${ident}${capitalize(identOf(branchName))}`;
          parts.push(
            `/** ${fullName}, activated by its Listen's branch "${branchName}" (one orchestration per activating branch). */`,
            `export const ${branchIdent} = orchestration(${JSON.stringify(`${name}.${branchName}`.slice(0, 80))}, ${this.#version(`${name}.${branchName}`.slice(0, 80))}, ${list(steps, '')}, { correlationSets: correlationSets() });`,
          );
          definitions.push(branchIdent);
        }
      } else {
        const hoisted = this.#nestedActivation(first);
        if (hoisted) {
          this.#hoisted = hoisted;
          this.#note(
            hoisted,
            'activates inside a scope: Baton activates at the first step, so it comes before the scope',
          );
        }
        const steps = [...(hoisted ? [this.#receive(hoisted)] : []), ...this.#block(service.body)];
        parts.push(
          `/** ${fullName}, imported from BizTalk. */`,
          `export const ${ident} = orchestration(${JSON.stringify(name)}, ${this.#version(name)}, ${list(steps, '')}, { correlationSets: correlationSets() });`,
        );
        definitions.push(ident);
      }
      parts.push('', this.#correlationSets());
    }
    if (this.#replyPorts.size > 0)
      this.#notes.push(
        `solicit-response port(s) ${[...this.#replyPorts].join(', ')}: the service that answers sends its response to the receive queue with the request's InstanceId attribute (receiveReply)`,
      );
    // The orchestration's own transaction: Baton's orchestrations are long-running; an atomic one is noted.
    for (const transaction of service.element.children.filter(
      (c) => c.parentLink === 'ServiceDeclaration_Transaction',
    )) {
      this.#count(transaction, 'mapped');
      if (transaction.type === 'AtomicTransaction')
        this.#notes.push(
          'the orchestration is an atomic transaction: Baton persists it at each persistence point, and does not roll back',
        );
    }
    const text = this.#module(fullName, parts, definitions);
    // Every shape of the orchestration counts, whether or not something was made of it.
    const shapes = [...walk(service.element)].filter((e) => SHAPE_KINDS.has(e.type)).length;
    return {
      file: this.moduleFile,
      text,
      orchestration: fullName,
      definitions,
      shapes,
      mapped: this.#counts.mapped,
      stubbed: this.#counts.stubbed,
      notes: this.#notes,
    };
  }

  /** 1, or the next version when another file of the import has an orchestration of this name (a copy, or a revision). */
  #version(name: string): number {
    const version = (this.context.versions.get(name) ?? 0) + 1;
    this.context.versions.set(name, version);
    if (version > 1)
      this.#notes.push(`another imported file has an orchestration named ${name}: this one is its version ${version}`);
    return version;
  }

  #extraMessage(variable: string, ident: string) {
    this.#extraVariables.set(variable, ident);
  }

  #paramsType(fullName: string): string {
    const entry = this.context.types.of(
      `${batonOrchestrationName(fullName)}.Parameters`,
      `the parameters of ${fullName}`,
    );
    for (const p of this.service.parameters) {
      if (p.direction === 'out') continue;
      const tree = this.context.types.field(entry.name, [p.name], p.message ? 'unknown' : tsTypeOf(p.type));
      void tree;
    }
    this.#use('./messages.ts', entry.ident);
    return entry.ident;
  }

  /** An activating Listen: each branch's steps, then what follows the Listen (its first shape is the activation). */
  #activatingListen(first: OdxElement): [string, string[]][] | undefined {
    if (first.type !== 'Listen') return undefined;
    const branches = first.children.filter((c) => c.type === 'ListenBranch');
    const triggerOf = (b: OdxElement) =>
      b.children.find((c) => c.parentLink === 'ListenBranch_Statement') ??
      b.children.find((c) => STATEMENTS.has(c.type));
    const activating = branches.map(triggerOf);
    if (!activating.every((r) => r?.type === 'Receive' && r.props.Activate === 'True')) return undefined;
    this.#count(first, 'mapped');
    this.#note(first, "activating Listen: one orchestration per branch, each activated by its branch's receive");
    const rest = this.service.body.slice(1);
    return branches.map((branch) => {
      this.#count(branch, 'mapped');
      this.#ids.clear();
      this.#given.clear();
      const first = triggerOf(branch)!;
      const steps = this.#block([
        first,
        ...branch.children.filter((c) => c !== first && STATEMENTS.has(c.type)),
        ...rest,
      ]);
      return [branch.props.Name ?? `branch${branches.indexOf(branch) + 1}`, steps];
    });
  }

  #correlationSets(): string {
    const sets: string[] = [];
    const initialized = [
      ...new Set([
        ...this.#activationSets,
        ...[...this.#followedSets.keys()].filter((s) => this.#sendInitialized.has(s)),
      ]),
    ];
    for (const set of initialized) {
      const type = this.service.correlations.get(set);
      const properties =
        (type
          ? (this.module.correlationTypes.get(type) ?? this.module.correlationTypes.get(type.split('.').pop()!))
          : undefined) ?? [];
      const names = properties.map((p) => p.split('.').pop()!);
      const readers = [...(this.#followedSets.get(set) ?? [])].map(
        (messageType) =>
          `    ${JSON.stringify(this.context.types.of(messageType).name)}: (m: InboundMessage) => correlationKey(m, ${JSON.stringify(names)}),`,
      );
      this.#use('./support.ts', 'correlationKey');
      sets.push(
        `    // ${set}: ${type ?? '?'} (${properties.join(', ') || 'no properties found'}). TODO(baton import): check each key reads the field the property schema promotes.`,
        `    ${JSON.stringify(set)}: {`,
        ...readers.map((r) => `  ${r}`),
        '    },',
      );
    }
    return [
      '/** The correlation sets: by set, how each message type that takes part in it gives its key. */',
      'function correlationSets() {',
      `  return {\n${sets.join('\n')}\n  };`,
      '}',
    ].join('\n');
  }

  #module(fullName: string, parts: string[], definitions: string[]): string {
    const service = this.service;
    const messages = [...new Set([...this.#received].filter((m) => this.#messageTypeOfVariable(m) !== undefined))].map(
      (m) => `  ${m}: ${this.#typeIdent(this.#messageTypeOfVariable(m)!)},`,
    );
    for (const [variable, ident] of this.#extraVariables) messages.push(`  ${variable}: ${ident},`);
    const variables: string[] = [];
    for (const [name, type] of service.variables)
      if (!service.messages.has(name)) variables.push(`  ${name}?: ${this.#tsOfDotnet(type)}; // ${type}`);
    for (const p of service.parameters.filter((p) => p.message || !service.variables.has(p.name)))
      variables.push(
        p.message
          ? `  ${p.name}?: ${this.#typeIdent(this.#messageTypeOfVariable(p.name) ?? p.type)}Body; // message parameter (${p.direction})`
          : `  ${p.name}?: ${this.#tsOfDotnet(p.type)}; // parameter (${p.direction}) ${p.type}`,
      );
    for (const name of this.#constructed) {
      if (this.#parameter(name, true) || service.variables.has(name)) continue;
      const type = this.#messageTypeOfVariable(name);
      if (type) variables.push(`  ${name}?: ${this.#typeIdent(type)}Body; // a message the orchestration constructs`);
    }
    if (!service.variables.has('lastError'))
      variables.push(
        "  /** Set by Baton when a scope's error handler runs: the error's message. */",
        '  lastError?: string;',
      );
    this.#use('baton', 'designer');
    const everything = `${variables.join('\n')}\n${parts.join('\n')}\n${this.#stubs.join('\n')}`;
    for (const [from, names] of this.#imports)
      if (from === './messages.ts')
        for (const n of [...names]) if (everything.includes(`${n}Body`)) names.add(`type ${n}Body`);
    if (everything.includes('(m: InboundMessage)')) this.#use('baton', 'type InboundMessage');
    const body = parts.join('\n');
    for (const helper of [
      'promoted',
      'withField',
      'withPromoted',
      'textAt',
      'countAt',
      'firstTextOf',
      'copyField',
      'formatDate',
      'errorIs',
      'correlationKey',
      'notPorted',
    ])
      if (new RegExp(`\\b${helper}\\(`).test(body + this.#stubs.join('\n'))) this.#use('./support.ts', helper);
    const used = DESIGNER_SHAPES.filter((s) => new RegExp(`\\b${s}\\(`).test(body));
    const importLines = [...this.#imports]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([from, names]) =>
          `import { ${[...names].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', ''))).join(', ')} } from '${from}';`,
      );
    return [
      `// Written by \`baton import\` from ${this.source}: the BizTalk orchestration ${fullName}.`,
      '// Shapes it could not map are steps marked TODO(baton import) that fail saying what to port, the XLANG/s above them.',
      ...importLines,
      '',
      `const messages = {\n${messages.join('\n')}\n};`,
      '',
      `interface Variables {\n${variables.join('\n')}\n}`,
      '',
      `const { ${used.join(', ')} } = designer(messages).withVariables<Variables>();`,
      '',
      body,
      '',
      `/** What to deploy of this module. */`,
      `export const orchestrations = [${definitions.join(', ')}];`,
      ...(this.#stubs.length > 0 ? ['', ...this.#stubs] : []),
      '',
    ].join('\n');
  }

  #tsOfDotnet(type: string): string {
    const ts = tsTypeOf(type);
    return ts === 'unknown' ? 'unknown' : ts;
  }

  // --- shapes ---------------------------------------------------------------------------------------------------

  #hoisted: OdxElement | undefined;

  /** An activating receive first in a (nested) scope: the first shape BizTalk runs, though not the first in the body. */
  #nestedActivation(first: OdxElement): OdxElement | undefined {
    let at: OdxElement | undefined = first;
    while (at?.type === 'Scope') at = at.children.find((c) => STATEMENTS.has(c.type));
    return at !== first && at?.type === 'Receive' && at.props.Activate === 'True' ? at : undefined;
  }

  #block(elements: readonly OdxElement[]): string[] {
    return elements.filter((e) => STATEMENTS.has(e.type) && e !== this.#hoisted).flatMap((e) => this.#shape(e));
  }

  #shape(e: OdxElement): string[] {
    switch (e.type) {
      case 'Receive':
        return [this.#receive(e)];
      case 'Send':
        return [this.#send(e)];
      case 'Construct':
        return [this.#construct(e)];
      case 'VariableAssignment':
        return [this.#expressionShape(e)];
      case 'Decision':
        return [this.#decision(e)];
      case 'Listen':
        return [this.#listen(e)];
      case 'Parallel':
        return this.#parallel(e);
      case 'Scope':
        return [this.#scope(e)];
      case 'Compensate':
        return [this.#compensate(e)];
      case 'Delay':
        return [this.#delay(e)];
      case 'While':
        return [this.#while(e)];
      case 'Throw':
        return [this.#throw(e)];
      case 'Call':
      case 'Exec':
        return this.#invoke(e);
      case 'Terminate':
      case 'Suspend':
        return [this.#end(e)];
      case 'CallRules':
        return [
          this.#stub(
            e,
            `call the Business Rules policy ${e.props.PolicyName ?? ''}`.trim(),
            'Baton has no rules engine: call yours from this step',
          ),
        ];
      case 'Group':
      case 'Task':
        this.#count(e, 'mapped');
        return [`// Group: ${e.props.Name ?? ''}`, ...this.#block(e.children)];
      default:
        return [this.#stub(e, `the ${e.type} shape`, `Baton has no ${e.type} shape`)];
    }
  }

  #receiveParts(e: OdxElement): {
    port: string;
    operation: string;
    message: string;
    initializes: string[];
    follows: string[];
  } {
    const statement = this.#xlang(e);
    const inner = /receive\s*\(([\s\S]*)\)\s*;?\s*$/.exec(statement)?.[1] ?? '';
    const args = inner
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const [portOp = '', message = e.props.MessageName ?? '', ...sets] = args;
    // The designer keeps which sets a receive initializes or follows on the sets (StatementRef); the program says it too.
    const use = this.service.correlationUse.get(e.oid.toLowerCase());
    return {
      port: e.props.PortName ?? portOp.split('.')[0] ?? '',
      operation: e.props.OperationName ?? portOp.split('.')[1] ?? '',
      message: e.props.MessageName ?? message,
      initializes:
        use?.initializes ??
        sets.filter((s) => s.startsWith('initialize ')).map((s) => s.slice('initialize '.length).trim()),
      follows: use?.follows ?? sets.filter((s) => !s.startsWith('initialize ')),
    };
  }

  #operation(portName: string, operationName: string): { operation?: Operation; uses: boolean } {
    const port = this.service.ports.get(portName);
    if (!port) return { uses: false };
    const type = this.module.portTypes.get(port.type) ?? this.module.portTypes.get(port.type.split('.').pop()!);
    return { operation: type?.operations.get(operationName), uses: port.modifier === 'Uses' };
  }

  #receive(e: OdxElement): string {
    const r = this.#receiveParts(e);
    const type = this.#messageTypeOfVariable(r.message);
    if (!type) return this.#stub(e, `receive ${r.message}`, `message "${r.message}" is not declared`);
    const ident = this.#typeIdent(type);
    const id = JSON.stringify(this.#id(e));
    if (e.props.Activate === 'True') {
      this.#activationSets = r.initializes;
      for (const set of r.initializes) this.#follow(set, type);
      if (r.initializes.length > 1)
        this.#note(
          e,
          `initializes ${r.initializes.length} correlation sets; Baton's receives follow one set, "${r.initializes[0]}"`,
        );
      this.#count(e, 'mapped');
      const correlation = r.initializes[0] ? `, correlation: ${JSON.stringify(r.initializes[0])}` : '';
      return `receive(${id}, ${ident}, { into: ${JSON.stringify(r.message)}${correlation} })`;
    }
    const why = this.#unreceivable(e);
    if (why) return this.#stub(e, `receive ${r.message} on ${r.port}`, why);
    const { uses } = this.#operation(r.port, r.operation);
    if (uses) {
      // A receive on a port the orchestration uses (sends on) is the response of a solicit-response operation.
      this.#count(e, 'mapped');
      this.#replyPorts.add(portId(r.port));
      return `receiveReply(${id}, ${ident}, { into: ${JSON.stringify(r.message)} })`;
    }
    const set = r.follows[0];
    if (set !== undefined && !this.#activationSets.includes(set) && this.#sendInitialized.has(set) && this.#callable) {
      // In a called orchestration (which receives only replies in Baton), the answer to a send that initializes a set
      // is taken as a reply: its sender must echo the InstanceId attribute.
      this.#count(e, 'approximated');
      this.#note(
        e,
        `follows "${set}", which a send initializes, in a called orchestration: taken as a reply (receiveReply), so its sender must answer with the InstanceId attribute the request went out with`,
      );
      return `receiveReply(${id}, ${ident}, { into: ${JSON.stringify(r.message)} })`;
    }
    this.#follow(set!, type);
    this.#count(e, 'mapped');
    return `receiveCorrelated(${id}, ${ident}, { into: ${JSON.stringify(r.message)}, correlation: ${JSON.stringify(set)} })`;
  }

  /**
   * A receive written as a reply: on a port the orchestration uses (the response of a solicit-response operation), or
   * following a set a send initializes (a Listen of replies may then be anywhere a reply may).
   */
  #isReply(e: OdxElement): boolean {
    const r = this.#receiveParts(e);
    if (e.props.Activate === 'True') return false;
    const follows = r.follows[0] ?? '';
    return (
      this.#operation(r.port, r.operation).uses ||
      (this.#callable && !this.#activationSets.includes(follows) && this.#sendInitialized.has(follows))
    );
  }

  /** The correlation each message type's receives follow: Baton routes a message type by one. */
  readonly #typeCorrelation = new Map<string, string>();

  /** Why a later receive cannot be written as Baton's (a stub's reason), or undefined when it can. */
  #unreceivable(e: OdxElement): string | undefined {
    const r = this.#receiveParts(e);
    const type = this.#messageTypeOfVariable(r.message);
    if (!type) return `message "${r.message}" is not declared`;
    const correlation = this.#isReply(e) ? '$reply' : (r.follows[0] ?? '');
    const known = this.#typeCorrelation.get(type);
    if (known !== undefined && known !== correlation)
      return `another receive of ${type} follows ${known === '$reply' ? 'its replies' : `"${known}"`}, and Baton routes a message type by one correlation`;
    this.#typeCorrelation.set(type, correlation);
    if (this.#isReply(e)) return undefined;
    if (this.#callable)
      return 'a called orchestration cannot receive but a reply in Baton: its caller receives, and passes the message in';
    const set = r.follows[0];
    if (set === undefined)
      return 'it follows no correlation set, and Baton delivers a later message to an instance by its correlation set';
    if (!this.#activationSets.includes(set) && !this.#sendInitialized.has(set))
      return `it follows "${set}", which neither the activating receive nor a send initializes`;
    return undefined;
  }

  #follow(set: string, messageType: string) {
    let types = this.#followedSets.get(set);
    if (!types) this.#followedSets.set(set, (types = new Set()));
    types.add(messageType);
  }

  #send(e: OdxElement): string {
    const statement = this.#xlang(e);
    const inner = /send\s*\(([\s\S]*)\)\s*;?\s*$/.exec(statement)?.[1] ?? '';
    const args = inner.split(',').map((a) => a.trim());
    const portName = e.props.PortName ?? args[0]?.split('.')[0] ?? 'send';
    const message = e.props.MessageName ?? args[1] ?? '';
    const type = this.#messageTypeOfVariable(message);
    if (!type) return this.#stub(e, `send ${message}`, `message "${message}" is not declared`);
    const initializes =
      this.service.correlationUse.get(e.oid.toLowerCase())?.initializes ??
      args
        .slice(2)
        .filter((a) => a.startsWith('initialize '))
        .map((a) => a.slice('initialize '.length).trim());
    // A called orchestration takes the answers as replies (see #receive): its sends initialize nothing in Baton.
    const initialized = this.#callable ? undefined : initializes[0];
    if (initialized !== undefined) this.#follow(initialized, type);
    if (initializes.length > (initialized === undefined ? 0 : 1))
      this.#note(
        e,
        `initializes ${initializes.join(', ')}: a Baton send initializes one set${initialized ? `, "${initialized}"` : ''}${this.#callable ? ' (none in a called orchestration, whose answers are replies)' : ''}`,
      );
    const { operation } = this.#operation(portName, e.props.OperationName ?? args[0]?.split('.')[1] ?? '');
    const port = this.service.ports.get(portName);
    if (operation?.kind === 'RequestResponse' && port?.modifier !== 'Uses')
      this.#note(
        e,
        `answers request-response port ${portName}: the response goes to send port "${portId(portName)}" (Baton has no synchronous reply)`,
      );
    this.#count(e, 'mapped');
    const options = initialized === undefined ? '' : `, { initializes: ${JSON.stringify(initialized)} }`;
    return `send(${JSON.stringify(this.#id(e))}, ${JSON.stringify(portId(portName))}, ${this.#typeIdent(type)}, (ctx) => ${this.#bodyOf(message)}${options})`;
  }

  #construct(e: OdxElement): string {
    this.#count(e, 'mapped');
    const lines: string[] = [];
    for (const part of e.children) {
      if (part.type === 'Transform') lines.push(...this.#transform(part));
      else if (part.type === 'MessageAssignment') lines.push(...this.#assignment(part));
    }
    return `code(${JSON.stringify(this.#id(e))}, (ctx) => {\n${indent(lines.join('\n'))}\n})`;
  }

  #transform(e: OdxElement): string[] {
    const statement = this.#xlang(e);
    const match = /transform\s*\(([^)]*)\)\s*=\s*([\w.]+)\s*\(([^)]*)\)/.exec(statement);
    // A multi-part message's part (`msg.Part`) is the message here: Baton's message has one body.
    const names = (text: string) => [
      ...new Set(
        text
          .split(',')
          .map((s) => s.trim().split('.')[0]!)
          .filter((s) => s !== ''),
      ),
    ];
    const outputs = names(match?.[1] ?? '');
    const map = match?.[2] ?? e.props.ClassName ?? 'an unknown map';
    const inputs = names(match?.[3] ?? '');
    const fn = `map${capitalize(identOf(map.split('.').pop()!))}`;
    const params = inputs.map((i) => {
      const type = this.#messageTypeOfVariable(i);
      return `${identOf(i)}: ${type ? `${this.#typeIdent(type)}Body` : 'unknown'}`;
    });
    const out = outputs.map((o) => {
      const type = this.#messageTypeOfVariable(o);
      return type ? `${this.#typeIdent(type)}Body` : 'unknown';
    });
    const result = out.length === 1 ? out[0]! : `[${out.join(', ')}]`;
    // The map's .btm, when it is near the orchestration: one that only copies fields is ported.
    const found = this.context.maps?.find(map, this.context.from ?? '.');
    const ported =
      found?.ported && outputs.length === 1 && found.links.every((l) => l.input < inputs.length) ? found : undefined;
    const call = `${fn}(${inputs.map((i) => (this.#messageTypeOfVariable(i) ? this.#bodyOf(i) : 'undefined')).join(', ')})`;
    const defined = this.#stubs.some((s) => s.includes(`function ${fn}(`));
    if (ported) {
      this.#count(e, 'mapped');
      this.#note(e, `the map ${map} is ported from ${ported.file}: ${ported.links.length} links, each copying a field`);
      if (!defined)
        this.#stubs.push(
          [
            '/**',
            ` * The map ${map}, ported by \`baton import\` from ${ported.file}: each of its ${ported.links.length} links copies a field (one`,
            ` * in a repeating record to the same item of the target's record)${ported.constants.length > 0 ? ', after its constant values' : ''}. Check it against the map's tests.`,
            ' */',
            `function ${fn}(${params.join(', ')}): ${result} {`,
            '  const out: Record<string, unknown> = {};',
            ...ported.constants.map(
              (c) => `  copyField(out, ${JSON.stringify(c.to)}, ${JSON.stringify(c.value)}, []);`,
            ),
            ...ported.links.map(
              (l) =>
                `  copyField(out, ${JSON.stringify(l.to)}, ${identOf(inputs[l.input]!)}, ${JSON.stringify(l.from)});`,
            ),
            `  return out as unknown as ${result};`,
            '}',
          ].join('\n'),
        );
      return [`ctx.vars.${outputs[0]} = ${call};`];
    }
    this.#count(e, 'stubbed');
    if (found && !found.ported) this.#note(e, `the map ${map} is not ported: ${found.why}`);
    this.#use('./support.ts', 'notPorted');
    if (!defined) {
      this.#stubs.push(
        [
          `/**`,
          ` * TODO(baton import): port the map ${map} (${found ? found.file : 'its .btm'}) to TypeScript: from ${inputs.join(', ') || 'nothing'} to ${outputs.join(', ')}.`,
          ` * The XLANG/s: ${oneLine(statement)}`,
          ' */',
          `function ${fn}(${params.join(', ')}): ${result} {`,
          `  return notPorted(${JSON.stringify(`the map ${map}`)}, ${JSON.stringify(oneLine(statement))});`,
          '}',
        ].join('\n'),
      );
    }
    if (outputs.length === 1)
      return [`// TODO(baton import): the map ${map} is a stub`, `ctx.vars.${outputs[0]} = ${call};`];
    return [
      `// TODO(baton import): the map ${map} is a stub`,
      `[${outputs.map((o) => `ctx.vars.${o}`).join(', ')}] = ${call};`,
    ];
  }

  #assignment(e: OdxElement): string[] {
    const source = e.props.Expression ?? this.#xlang(e);
    const translated = this.#statements(source);
    if (translated.ok) {
      this.#count(e, 'mapped');
      return translated.lines;
    }
    this.#count(e, 'stubbed');
    this.#note(e, `not translated: ${translated.why}`);
    return [this.#stubFunction(e, 'the message assignment', source)];
  }

  #statements(source: string): { ok: true; lines: string[] } | { ok: false; why: string } {
    const lines: string[] = [];
    try {
      for (const statement of splitStatements(source))
        lines.push(...translateStatement(statement, this.#translator, this, this.#assignTarget));
      return { ok: true, lines };
    } catch (error) {
      if (error instanceof Untranslatable) return { ok: false, why: error.message };
      throw error;
    }
  }

  /** Where an assignment's left side writes: a variable, a constructed message, or one's distinguished field. */
  readonly #assignTarget = (
    target: string,
  ): { ts: string; type: Translated['type']; field?: { messageType: string; message: string; path: string[] } } => {
    const [root = '', ...path] = target.split('.');
    const messageType = this.#messageTypeOfVariable(root);
    if (messageType) {
      if (!this.#constructed.has(root)) this.#constructed.add(root);
      if (path.length === 0) return { ts: `ctx.vars.${root}`, type: 'unknown' };
      return {
        ts: `ctx.vars.${root}`,
        type: this.field(messageType, path, 'unknown'),
        field: { messageType, message: root, path },
      };
    }
    if (path.length > 0) throw new Untranslatable(`assigns to "${target}", a member of a .NET object`);
    const variable = this.variable(root);
    if (!variable || variable.ts.startsWith('String('))
      throw new Untranslatable(`assigns to "${target}", which is not declared`);
    return { ts: `ctx.vars.${root}`, type: variable.type };
  };

  /** A step's code that cannot be translated: a typed function of the step's context, a stub a person fills in. */
  #stubFunction(e: OdxElement, what: string, source: string): string {
    const fn = this.#stubName(identOf(e.props.Name ?? e.type));
    this.#use('./support.ts', 'notPorted');
    this.#use('baton', 'type StepContext');
    this.#use('baton', 'type BodiesOf');
    this.#stubs.push(
      [
        '/**',
        ` * TODO(baton import): port ${what} "${e.props.Name ?? ''}". The XLANG/s:`,
        ...source.split('\n').map((line) => ` *   ${line.trimEnd()}`),
        ' */',
        `function ${fn}(ctx: StepContext<BodiesOf<typeof messages>, Variables>): void {`,
        '  void ctx;',
        `  notPorted(${JSON.stringify(`${what} ${e.props.Name ?? ''}`.trim())}, ${JSON.stringify(oneLine(source))});`,
        '}',
      ].join('\n'),
    );
    return `${fn}(ctx); // TODO(baton import): a stub`;
  }

  readonly #stubNames = new Set<string>();
  #stubName(base: string): string {
    let name = `todo${capitalize(base)}`;
    for (let n = 2; this.#stubNames.has(name); n++) name = `todo${capitalize(base)}${n}`;
    this.#stubNames.add(name);
    return name;
  }

  #expressionShape(e: OdxElement): string {
    const source = e.props.Expression ?? this.#xlang(e);
    const translated = this.#statements(source);
    const id = JSON.stringify(this.#id(e));
    if (translated.ok) {
      this.#count(e, 'mapped');
      return `code(${id}, (ctx) => {\n${indent(translated.lines.join('\n'))}\n})`;
    }
    this.#count(e, 'stubbed');
    this.#note(e, `not translated: ${translated.why}`);
    return `code(${id}, (ctx) => {\n${indent(this.#stubFunction(e, 'the expression', source))}\n})`;
  }

  #condition(e: OdxElement, source: string): string {
    try {
      const ts = this.#translator.condition(source);
      this.#count(e, 'mapped');
      return `(ctx) => ${ts}`;
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      this.#count(e, 'stubbed');
      this.#note(e, `condition not translated: ${error.message}`);
      const fn = this.#stubName(`${identOf(e.props.Name ?? e.type)}Holds`);
      this.#use('./support.ts', 'notPorted');
      this.#use('baton', 'type StepContext');
      this.#use('baton', 'type BodiesOf');
      this.#stubs.push(
        [
          '/**',
          ` * TODO(baton import): port the condition of "${e.props.Name ?? ''}": ${oneLine(source)}`,
          ' */',
          `function ${fn}(ctx: StepContext<BodiesOf<typeof messages>, Variables>): boolean {`,
          '  void ctx;',
          `  return notPorted(${JSON.stringify(`the condition of ${e.props.Name ?? e.type}`)}, ${JSON.stringify(oneLine(source))});`,
          '}',
        ].join('\n'),
      );
      return `(ctx) => ${fn}(ctx)`;
    }
  }

  #decision(e: OdxElement): string {
    this.#count(e, 'mapped');
    const branches = e.children.filter((c) => c.type === 'DecisionBranch');
    const whens: string[] = [];
    let otherwise: string[] | undefined;
    for (const branch of branches) {
      const expression = branch.props.Expression?.trim();
      if (!expression) {
        this.#count(branch, 'mapped');
        otherwise = this.#block(branch.children);
        continue;
      }
      const condition = this.#condition(branch, expression);
      const name = this.#id(branch, 'branch');
      whens.push(`when(${JSON.stringify(name)}, ${condition}, ${list(this.#block(branch.children), '')})`);
    }
    const id = JSON.stringify(this.#id(e));
    return `decide(${id}, ${list(whens, '')}${otherwise ? `, ${list(otherwise, '')}` : ''})`;
  }

  #listen(e: OdxElement): string {
    const branches = e.children.filter((c) => c.type === 'ListenBranch');
    const trigger = (branch: OdxElement) =>
      branch.children.find((c) => c.parentLink === 'ListenBranch_Statement') ??
      branch.children.find((c) => STATEMENTS.has(c.type));
    const rest = (branch: OdxElement) => branch.children.filter((c) => c !== trigger(branch));
    // Checked first: a branch Baton cannot listen for makes the whole Listen a stub.
    for (const branch of branches) {
      const first = trigger(branch);
      if (first?.type === 'Receive') {
        if (first.props.Activate === 'True')
          return this.#stub(e, 'the Listen', 'its branches activate, but the Listen is not the first shape');
        const why = this.#unreceivable(first);
        if (why) return this.#stub(e, 'the Listen', `its receive "${first.props.Name}": ${why}`);
      } else if (first?.type !== 'Delay')
        return this.#stub(e, 'the Listen', 'a branch starts with neither a receive nor a delay');
    }
    this.#count(e, 'mapped');
    const out = branches.map((branch) => {
      this.#count(branch, 'mapped');
      const first = trigger(branch)!;
      const name = JSON.stringify(this.#id(branch, 'branch'));
      if (first.type === 'Receive')
        return `onMessage(${name}, ${this.#receive(first)}, ${list(this.#block(rest(branch)), '')})`;
      const duration = this.#duration(first);
      return `onTimeout(${name}, ${JSON.stringify(this.#id(first))}, ${duration}, ${list(this.#block(rest(branch)), '')})`;
    });
    return `listen(${JSON.stringify(this.#id(e))}, ${list(out, '')})`;
  }

  #parallel(e: OdxElement): string[] {
    const branches = e.children.filter((c) => c.type === 'ParallelBranch');
    // A reply may be received in a branch (it is the branch instance's own); another message, a Listen or the end of
    // the orchestration may not.
    const blocked = branches.some((b) =>
      [...walk(b)].some((c) => (c.type === 'Receive' && !this.#isReply(c)) || c.type === 'Terminate'),
    );
    if (blocked) {
      this.#count(e, 'approximated');
      for (const b of branches) this.#count(b, 'approximated');
      this.#note(
        e,
        "its branches receive or terminate, which Baton's parallel branches cannot: they run one after the other, in order",
      );
      return branches.flatMap((b) => [
        `// Parallel branch ${b.props.Name ?? ''} (in sequence)`,
        ...this.#block(b.children),
      ]);
    }
    this.#count(e, 'mapped');
    const out = branches.map((b) => {
      this.#count(b, 'mapped');
      return `branch(${JSON.stringify(this.#id(b, 'branch'))}, ${list(this.#block(b.children), '')})`;
    });
    return [`parallel(${JSON.stringify(this.#id(e))}, ${list(out, '')})`];
  }

  #scope(e: OdxElement): string {
    // A synchronized scope that waits loses its synchronization (below): approximated.
    const loosened =
      e.props.IsSynchronized === 'True' &&
      [...walk(e)].some((c) => c !== e && (c.type === 'Receive' || c.type === 'Listen' || c.type === 'Delay'));
    this.#count(e, loosened ? 'approximated' : 'mapped');
    for (const t of e.children) if (t.type.endsWith('Transaction')) this.#count(t, 'mapped');
    if (e.children.some((t) => t.type === 'AtomicTransaction'))
      this.#note(
        e,
        'atomic: Baton persists at its end as BizTalk does, but does not roll back variables when it fails',
      );
    const id = JSON.stringify(this.#id(e));
    const steps = this.#block(e.children);
    const options: string[] = [];
    if (e.props.IsSynchronized === 'True') {
      // Baton holds a scope's lock while it runs, so a synchronized scope may not wait for a message or a timer.
      const waits = [...walk(e)].some(
        (c) => c !== e && (c.type === 'Receive' || c.type === 'Listen' || c.type === 'Delay'),
      );
      if (waits)
        this.#note(
          e,
          'synchronized, and it waits (a receive, a listen or a delay), which a synchronized scope may not in Baton: written as a plain scope',
        );
      else options.push('synchronized: true');
    }
    const catches = e.children.filter((c) => c.type === 'Catch');
    if (catches.length > 0) options.push(`onError: ${this.#catches(catches)}`);
    const compensation = [
      ...e.children,
      ...e.children.filter((c) => c.type.endsWith('Transaction')).flatMap((t) => t.children),
    ].find((c) => c.type === 'Compensation');
    if (compensation) {
      this.#count(compensation, 'mapped');
      options.push(`compensation: ${list(this.#block(compensation.children), '')}`);
    }
    return `scope(${id}, ${list(steps, '')}${options.length > 0 ? `, {\n${indent(options.join(',\n'))},\n}` : ''})`;
  }

  #catches(catches: OdxElement[]): string {
    const blocks = catches.map((c) => {
      this.#count(c, 'mapped');
      const variable = c.props.ExceptionName ?? '';
      const type = c.props.ExceptionType ?? '';
      this.#catching.push({ variable });
      const steps = this.#block(c.children);
      this.#catching.pop();
      return { type, steps, general: !type || /^(System\.Exception|General Exception)$/.test(type) };
    });
    if (blocks.length === 1) return list(blocks[0]!.steps, '');
    this.#use('./support.ts', 'errorIs');
    const specific = blocks.filter((b) => !b.general);
    const general = blocks.find((b) => b.general);
    const whens = specific.map(
      (b, i) =>
        `when(${JSON.stringify(`catch${i + 1}`)}, (ctx) => errorIs(ctx.vars.lastError, ${JSON.stringify(b.type)}), ${list(b.steps, '')})`,
    );
    return `[\n${indent(`decide(${JSON.stringify(this.#id({ type: 'Catch', oid: '', parentLink: '', props: {}, children: [] }, 'catches'))}, ${list(whens, '')}${general ? `, ${list(general.steps, '')}` : ''}),`)}\n]`;
  }

  #compensate(e: OdxElement): string {
    const statement = this.#xlang(e);
    const target = e.props.Invokee ?? /compensate\s+([\w.]+)/.exec(statement)?.[1];
    const enclosing = this.#enclosingScopes(e);
    // Named by its transaction (XLANG/s) or by its own name (the designer).
    const scope = [...this.service.body.flatMap((b) => [...walk(b)])].find(
      (el) =>
        el.type === 'Scope' &&
        (el.props.Name === target ||
          el.children.some((t) => t.type.endsWith('Transaction') && t.props.Name === target)),
    );
    const custom = scope?.children.some((c) => c.type === 'Compensation') ?? false;
    if (!target || target === this.service.name || enclosing.includes(target)) this.#count(e, 'mapped');
    else if (scope && custom) {
      this.#count(e, 'mapped');
      return `compensate(${JSON.stringify(this.#id(e))}, { scope: ${JSON.stringify(this.#id(scope))} })`;
    } else {
      this.#count(e, 'approximated');
      this.#note(
        e,
        `compensates scope ${target}, whose compensation is BizTalk's default (its nested scopes'): Baton's Compensate runs every completed scope's compensation, newest first`,
      );
    }
    return `compensate(${JSON.stringify(this.#id(e))})`;
  }

  #enclosingScopes(e: OdxElement): string[] {
    const path: string[] = [];
    const find = (elements: readonly OdxElement[], trail: string[]): boolean => {
      for (const el of elements) {
        if (el === e) {
          path.push(...trail);
          return true;
        }
        // A scope is named by its transaction in XLANG/s (compensate X), by its own name in the designer.
        const names =
          el.type === 'Scope'
            ? [
                el.props.Name ?? '',
                ...el.children.filter((c) => c.type.endsWith('Transaction')).map((t) => t.props.Name ?? ''),
              ]
            : [];
        if (find(el.children, [...trail, ...names])) return true;
      }
      return false;
    };
    find(this.service.body, []);
    return path;
  }

  #duration(e: OdxElement): string {
    const statement = this.#xlang(e);
    const source = (
      e.props.Timeout ??
      e.props.Expression ??
      /(?:delay|timeout)\s+([\s\S]*?);?\s*$/.exec(statement)?.[1] ??
      ''
    )
      .trim()
      .replace(/;+$/, '');
    try {
      const ms = durationOf(source, this.#translator);
      this.#count(e, 'mapped');
      return `(ctx) => ${ms}`;
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      this.#count(e, 'stubbed');
      this.#note(e, `duration not translated: ${error.message}`);
      this.#use('./support.ts', 'notPorted');
      return `() => notPorted(${JSON.stringify(`the duration of ${e.props.Name ?? 'a delay'}`)}, ${JSON.stringify(oneLine(source))})`;
    }
  }

  #delay(e: OdxElement): string {
    const duration = this.#duration(e);
    return `delay(${JSON.stringify(this.#id(e))}, ${duration})`;
  }

  #while(e: OdxElement): string {
    // The loop's own content is its condition: the While counts as its condition does.
    const condition = this.#condition(
      e,
      e.props.Expression ?? /while\s*\(([\s\S]*)\)\s*\{/.exec(this.#xlang(e))?.[1] ?? '',
    );
    return `loop(${JSON.stringify(this.#id(e))}, ${condition}, ${list(this.#block(e.children), '')})`;
  }

  #throw(e: OdxElement): string {
    const statement = this.#xlang(e);
    const reference = e.props.ThrownReference;
    if (reference === 'General Exception' || /^throw\s*;/.test(statement.trim())) {
      // A rethrow, in a catch: the error goes on with its message.
      this.#count(e, 'mapped');
      return `throwError(${JSON.stringify(this.#id(e))}, (ctx) => String(ctx.vars.lastError ?? 'rethrown'))`;
    }
    const thrown = reference ?? /throw\s+([\s\S]*?);?\s*$/.exec(statement)?.[1]?.trim() ?? '';
    const created = /^new\s+([\w.]+)\s*\(([\s\S]*)\)$/.exec(thrown);
    try {
      let message: string;
      if (created) {
        const argument = created[2]!.trim();
        const text = argument ? this.#translator.expression(argument).ts : "''";
        message = `\`${created[1]}: \${${text}}\``;
      } else {
        const variable = this.variable(thrown);
        if (!variable) throw new Untranslatable(`throws "${thrown}"`);
        message = variable.type === 'string' ? variable.ts : `String(${variable.ts} ?? ${JSON.stringify(thrown)})`;
      }
      this.#count(e, 'mapped');
      return `throwError(${JSON.stringify(this.#id(e))}, (ctx) => ${message})`;
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      return this.#stub(e, 'the Throw', error.message);
    }
  }

  #end(e: OdxElement): string {
    const statement = this.#xlang(e);
    const word = e.type === 'Terminate' ? 'terminate' : 'suspend';
    const source = (e.props.ErrorMessage ?? new RegExp(`${word}\\s+([\\s\\S]*?);*\\s*$`).exec(statement)?.[1] ?? '')
      .split(/;\s*(?:\n|$)/)[0]!
      .trim();
    let reason: string;
    try {
      const value = this.#translator.expression(source);
      reason = value.type === 'string' ? value.ts : `String(${value.ts})`;
    } catch {
      // The reason is what an operator reads: the XLANG/s expression itself says enough when it is not translated.
      reason = JSON.stringify(oneLine(source) || e.type);
      this.#note(e, `its reason is the XLANG/s expression as text: ${oneLine(source)}`);
    }
    this.#count(e, 'mapped');
    return `${word}(${JSON.stringify(this.#id(e))}, (ctx) => ${reason})`;
  }

  #invoke(e: OdxElement): string[] {
    const statement = this.#xlang(e);
    const match = /^(call|exec)\s+([\w.]+)\s*\(([\s\S]*)\)\s*;?$/.exec(statement.trim());
    const calleeName = e.props.Invokee ?? match?.[2] ?? '';
    const callee = this.context.services.get(calleeName) ?? this.context.services.get(calleeName.split('.').pop()!);
    const verb = e.type === 'Call' ? 'call' : 'start';
    if (!callee)
      return [this.#stub(e, `${verb} orchestration ${calleeName}`, `${calleeName} was not among the files imported`)];
    const args = match
      ? splitArguments(match[3]!)
      : e.children.filter((c) => c.type === 'Parameter').map((p) => p.props.Name ?? '');
    const params = callee.parameters;
    try {
      const assignments: string[] = [];
      const copyBack: string[] = [];
      params.forEach((p, i) => {
        const arg = (args[i] ?? '').replace(/^(out|ref)\s+/, '');
        if (p.direction !== 'in') {
          const target = this.#assignTarget(arg);
          copyBack.push(
            `${target.ts} = (ctx.vars as Record<string, unknown>)[${JSON.stringify(p.name)}] as typeof ${target.ts};`,
          );
        }
        if (p.direction === 'out') return;
        const value = p.message ? this.message(arg)?.body : this.#translator.expression(arg).ts;
        if (value === undefined) throw new Untranslatable(`the argument "${arg}"`);
        assignments.push(`${p.name}: ${value},`);
      });
      const id = this.#id(e);
      this.#count(e, 'mapped');
      if (e.type === 'Exec') {
        // By name: the started orchestration is deployed with this one (index.ts), whichever module it is in.
        return [
          `start(${JSON.stringify(id)}, ${JSON.stringify(batonOrchestrationName(callee.fullName))}, (ctx) => ({\n${indent(assignments.join('\n'))}\n}))`,
        ];
      }
      this.#use(`./${callee.file}.ts`, callee.callable);
      this.#note(e, `calls ${callee.fullName} inline: its parameters are copied into variables of their names`);
      const steps: string[] = [];
      if (assignments.length > 0)
        steps.push(
          `code(${JSON.stringify(`${id}Parameters`.slice(0, 64))}, (ctx) => {\n  Object.assign(ctx.vars, {\n${indent(indent(assignments.join('\n')))}\n  });\n})`,
        );
      steps.push(`call(${JSON.stringify(id)}, ${callee.callable})`);
      if (copyBack.length > 0)
        steps.push(
          `code(${JSON.stringify(`${id}Results`.slice(0, 64))}, (ctx) => {\n${indent(copyBack.join('\n'))}\n})`,
        );
      return steps;
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      return [this.#stub(e, `${verb} orchestration ${calleeName}`, error.message)];
    }
  }
}

export const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
const list = (items: string[], _: string) => (items.length === 0 ? '[]' : `[\n${indent(items.join(',\n'))},\n]`);

/** A port's name as a Baton send port's (letters, digits, `_` and `-`, 40 at most). */
export function portId(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z]/.test(id)) id = `p${id}`;
  return id.slice(0, 40);
}
