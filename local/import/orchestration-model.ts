import { type OdxElement, type OdxFile, walk } from './odx-file.ts';

/**
 * What an `.odx` declares, read from the designer's tree: its port types and their operations, correlation types,
 * multi-part message types, and each orchestration (a `ServiceDeclaration`) with its messages, variables, ports,
 * correlation sets, parameters and body.
 */
export interface OdxModule {
  readonly name: string;
  readonly portTypes: ReadonlyMap<string, PortType>;
  readonly correlationTypes: ReadonlyMap<string, readonly string[]>;
  /** Multi-part message types: name → the type of their body part (or of their first part). */
  readonly multipartTypes: ReadonlyMap<string, string>;
  readonly services: readonly Service[];
}

export type OperationKind = 'OneWay' | 'RequestResponse' | 'SolicitResponse' | 'Notification';

export interface Operation {
  readonly name: string;
  readonly kind: OperationKind;
  readonly request?: string;
  readonly response?: string;
}

export interface PortType {
  readonly name: string;
  readonly operations: ReadonlyMap<string, Operation>;
}

export interface Port {
  readonly name: string;
  readonly type: string;
  /** `Implements`: messages come in on it (a receive port; a request-response one answers on it). `Uses`: out. */
  readonly modifier: string;
}

export interface Parameter {
  readonly name: string;
  /** `message` for a message parameter, else the .NET type. */
  readonly type: string;
  readonly message: boolean;
  readonly direction: 'in' | 'out' | 'ref';
}

export interface Service {
  readonly name: string;
  /** Called or started by others (a callable orchestration): no activating receive. */
  readonly invokable: boolean;
  /** Message variables: name → message type. */
  readonly messages: ReadonlyMap<string, string>;
  /** Variables: name → .NET type. */
  readonly variables: ReadonlyMap<string, string>;
  /** Correlation sets: name → correlation type. */
  readonly correlations: ReadonlyMap<string, string>;
  readonly ports: ReadonlyMap<string, Port>;
  readonly parameters: readonly Parameter[];
  readonly body: readonly OdxElement[];
  readonly element: OdxElement;
  /** By Send or Receive OID: the correlation sets it initializes and those it follows. */
  readonly correlationUse: ReadonlyMap<string, { readonly initializes: string[]; readonly follows: string[] }>;
  /** Variables' initial values (the designer's InitialValue), as C#. */
  readonly initialValues: ReadonlyMap<string, string>;
}

const named = (elements: readonly OdxElement[], type: string) => elements.filter((e) => e.type === type);
const nameOf = (element: OdxElement) => element.props.Name ?? '';

export function readModule(file: OdxFile): OdxModule {
  const module = file.module;
  const portTypes = new Map<string, PortType>();
  const correlationTypes = new Map<string, string[]>();
  const multipartTypes = new Map<string, string>();
  for (const element of walk(module)) {
    if (element.type === 'PortType') {
      const operations = new Map<string, Operation>();
      for (const op of named(element.children, 'OperationDeclaration')) {
        const refs = named(op.children, 'MessageRef');
        const ref = (link: string) => refs.find((r) => r.parentLink.endsWith(link))?.props.Ref;
        operations.set(nameOf(op), {
          name: nameOf(op),
          kind: (op.props.OperationType as OperationKind) ?? 'OneWay',
          request: ref('RequestMessageRef') ?? refs[0]?.props.Ref,
          response: ref('ResponseMessageRef'),
        });
      }
      portTypes.set(nameOf(element), { name: nameOf(element), operations });
    } else if (element.type === 'CorrelationType') {
      correlationTypes.set(
        nameOf(element),
        element.children.map((c) => c.props.Ref ?? c.props.Name ?? '').filter((ref) => ref !== ''),
      );
    } else if (element.type === 'MultipartMessageType') {
      const parts = named(element.children, 'PartDeclaration');
      const body = parts.find((p) => p.props.IsBodyPart === 'True') ?? parts[0];
      multipartTypes.set(nameOf(element), body?.props.ClassName ?? body?.props.Type ?? 'System.Xml.XmlDocument');
    }
  }
  const services = named(module.children, 'ServiceDeclaration').map((service) => readService(file, service));
  return { name: module.props.Name ?? '', portTypes, correlationTypes, multipartTypes, services };
}

function readService(file: OdxFile, element: OdxElement): Service {
  // Declarations of the service, of its scopes (Scope_VariableDeclaration...) and its parameters (ServiceBody_Declaration).
  const serviceBody = named(element.children, 'ServiceBody')[0];
  const declarations = [
    ...element.children,
    ...(serviceBody
      ? [...walk(serviceBody)].filter((e) =>
          /_(Declaration|VariableDeclaration|MessageDeclaration|CorrelationDeclaration)$/.test(e.parentLink),
        )
      : []),
  ];
  const byName = (type: string, value: (e: OdxElement) => string) =>
    new Map(named(declarations, type).map((e) => [nameOf(e), value(e)] as const));
  const correlationUse = new Map<string, { initializes: string[]; follows: string[] }>();
  for (const declaration of named(declarations, 'CorrelationDeclaration'))
    for (const ref of named(declaration.children, 'StatementRef')) {
      const oid = (ref.props.Ref ?? '').toLowerCase();
      const use = correlationUse.get(oid) ?? { initializes: [], follows: [] };
      (ref.props.Initializes === 'True' ? use.initializes : use.follows).push(nameOf(declaration));
      correlationUse.set(oid, use);
    }
  const initialValues = new Map(
    named(declarations, 'VariableDeclaration')
      .filter((e) => e.props.InitialValue !== undefined && e.props.InitialValue.trim() !== '')
      .map((e) => [nameOf(e), e.props.InitialValue!.trim().replace(/;$/, '')] as const),
  );
  const declaredParameters = (serviceBody?.children ?? [])
    .filter(
      (e) =>
        e.parentLink === 'ServiceBody_Declaration' &&
        (e.type === 'MessageDeclaration' || e.type === 'VariableDeclaration'),
    )
    .map((e) => ({
      name: nameOf(e),
      type: e.props.Type ?? 'System.Object',
      message: e.type === 'MessageDeclaration',
      direction:
        ({ Out: 'out', Ref: 'ref' } as Record<string, 'out' | 'ref'>)[e.props.ParamDirection ?? ''] ?? ('in' as const),
    }));
  const ports = new Map(
    named(element.children, 'PortDeclaration').map((e) => [
      nameOf(e),
      { name: nameOf(e), type: e.props.Type ?? '', modifier: e.props.PortModifier ?? 'Uses' },
    ]),
  );
  const body = named(element.children, 'ServiceBody')[0]?.children ?? [];
  return {
    name: nameOf(element),
    invokable: element.props.IsInvokable === 'True',
    messages: byName('MessageDeclaration', (e) => e.props.Type ?? 'System.Xml.XmlDocument'),
    variables: byName('VariableDeclaration', (e) => e.props.Type ?? 'System.Object'),
    correlations: byName('CorrelationDeclaration', (e) => e.props.Type ?? ''),
    ports,
    parameters: declaredParameters.length > 0 ? declaredParameters : parametersOf(file.xlang, nameOf(element)),
    body,
    element,
    correlationUse,
    initialValues,
  };
}

/** The parameters of a service, from its `body (…)` in the program (the designer's tree does not mark them). */
export function parametersOf(xlang: string, service: string): Parameter[] {
  const at = new RegExp(`\\bservice\\s+(?:longrunning\\s+|atomic\\s+)?${escapeRegExp(service)}\\b`).exec(xlang);
  if (!at) return [];
  const signature = /\bbody\s*\(([^)]*)\)/.exec(xlang.slice(at.index));
  if (!signature?.[1]?.trim()) return [];
  return signature[1].split(',').flatMap((raw) => {
    const words = raw.trim().split(/\s+/);
    const name = words.pop();
    if (!name) return [];
    let direction: Parameter['direction'] = 'in';
    if (words[0] === 'out' || words[0] === 'ref') direction = words.shift() as 'out' | 'ref';
    const message = words[0] === 'message';
    if (message) words.shift();
    // A port or correlation parameter passes an object Baton has no value for: kept as `unknown`.
    if (words[0] === 'port' || words[0] === 'correlation') words.shift();
    return [{ name, type: words.join(' ') || 'System.Object', message, direction }];
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
