import { compile } from './compile/compile.ts';
import type { OrchestrationDefinition } from './definition.ts';
import type { CompiledOrchestration, MessageSchemas } from './program.ts';
import { DefinitionError } from './errors.ts';
import type { InboundMessage } from './message.ts';
import type { Schema } from './schema.ts';

/**
 * The deployed orchestrations, all versions side by side. Subscriptions come from the newest version of
 * each orchestration (new activations), while running instances keep the version they started with.
 */
export class OrchestrationRegistry implements MessageSchemas {
  readonly #byName = new Map<string, Map<number, CompiledOrchestration>>();
  readonly #schemas = new Map<string, { schema: Schema; declaredBy: string }>();

  constructor(definitions: readonly OrchestrationDefinition[]) {
    for (const definition of definitions) {
      const compiled = compile(definition);
      const versions = this.#byName.get(compiled.name) ?? new Map<number, CompiledOrchestration>();
      if (versions.has(compiled.version)) {
        throw new DefinitionError(`${compiled.name}@${compiled.version}`, ['this version is registered twice']);
      }
      versions.set(compiled.version, compiled);
      this.#byName.set(compiled.name, versions);
      // One message type, one schema, whichever orchestration receives or sends it: the receive host
      // validates a message before it knows which orchestrations will take it.
      for (const [type, schema] of compiled.schemas) {
        const known = this.#schemas.get(type);
        if (known && known.schema !== schema) {
          throw new DefinitionError(`${compiled.name}@${compiled.version}`, [
            `message type "${type}" has a schema other than the one ${known.declaredBy} declares; declare it once (messageType(...)) and share it`,
          ]);
        }
        this.#schemas.set(type, { schema, declaredBy: `${compiled.name}@${compiled.version}` });
      }
    }
    // A Start shape's target must be here: its activation is dispatched by this host after a commit.
    for (const versions of this.#byName.values()) {
      for (const compiled of versions.values()) {
        const missing = [...compiled.starts].filter((name) => !this.#byName.has(name));
        if (missing.length > 0)
          throw new DefinitionError(
            `${compiled.name}@${compiled.version}`,
            missing.map((name) => `starts orchestration "${name}", which is not deployed with it`),
          );
      }
    }
  }

  /** The schema bodies of this message type must match, if any orchestration declared one. */
  schemaOf(messageType: string): Schema | undefined {
    return this.#schemas.get(messageType)?.schema;
  }

  /** The message type that activates the newest version of an orchestration (what a Start shape sends it). */
  activationTypeOf(orchestration: string): string | undefined {
    return this.latest(orchestration)?.activation.messageType;
  }

  /** Every send port the deployed orchestrations send to. */
  ports(): Set<string> {
    return new Set(
      [...this.#byName.values()].flatMap((versions) => [...versions.values()].flatMap((o) => [...o.ports])),
    );
  }

  /** Name and version of every deployed orchestration. */
  list(): { name: string; version: number }[] {
    return [...this.#byName.values()].flatMap((versions) =>
      [...versions.values()].map(({ name, version }) => ({ name, version })),
    );
  }

  /** One version of an orchestration, compiled; undefined when it is not deployed. */
  get(name: string, version: number): CompiledOrchestration | undefined {
    return this.#byName.get(name)?.get(version);
  }

  /** The newest version of an orchestration, compiled; undefined when it is not deployed. */
  latest(name: string): CompiledOrchestration | undefined {
    const versions = this.#byName.get(name);
    if (!versions) return undefined;
    return versions.get(Math.max(...versions.keys()));
  }

  /** Activating subscriptions: one per orchestration, from its newest version. */
  subscriptions(): CompiledOrchestration[] {
    return [...this.#byName.keys()].map((name) => this.latest(name)!);
  }

  /**
   * Orchestrations with a later receive for this message type, one entry per orchestration (the newest
   * version that has one): the message may belong to one of their running instances.
   */
  followers(messageType: string): CompiledOrchestration[] {
    const found: CompiledOrchestration[] = [];
    for (const versions of this.#byName.values()) {
      const withFollower = [...versions.values()]
        .filter((o) => o.followers.has(messageType))
        .sort((a, b) => b.version - a.version);
      if (withFollower[0]) found.push(withFollower[0]);
    }
    return found;
  }

  /** Orchestrations a message activates (publish/subscribe: there may be several, or none). */
  route(message: InboundMessage): CompiledOrchestration[] {
    return this.subscriptions().filter(
      ({ activation }) =>
        activation.messageType === message.messageType &&
        (activation.filter ?? []).every((f) => message.properties[f.property] === f.equals),
    );
  }
}
