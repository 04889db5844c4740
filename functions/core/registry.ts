import { compile, type CompiledOrchestration, type OrchestrationDefinition } from './definition.ts';
import { DefinitionError } from './errors.ts';
import type { InboundMessage } from './message.ts';

/**
 * The deployed orchestrations, all versions side by side. Subscriptions come from the newest version of
 * each orchestration (new activations), while running instances keep the version they started with.
 */
export class OrchestrationRegistry {
  readonly #byName = new Map<string, Map<number, CompiledOrchestration>>();

  constructor(definitions: readonly OrchestrationDefinition[]) {
    for (const definition of definitions) {
      const compiled = compile(definition);
      const versions = this.#byName.get(compiled.name) ?? new Map<number, CompiledOrchestration>();
      if (versions.has(compiled.version)) {
        throw new DefinitionError(`${compiled.name}@${compiled.version}`, ['this version is registered twice']);
      }
      versions.set(compiled.version, compiled);
      this.#byName.set(compiled.name, versions);
    }
    // A Start shape's target must be here: its activation is dispatched by this host after a commit.
    for (const versions of this.#byName.values()) {
      for (const compiled of versions.values()) {
        const missing = [...compiled.starts].filter((name) => !this.#byName.has(name));
        if (missing.length > 0) throw new DefinitionError(`${compiled.name}@${compiled.version}`, missing.map((name) => `starts orchestration "${name}", which is not deployed with it`));
      }
    }
  }

  get(name: string, version: number): CompiledOrchestration | undefined {
    return this.#byName.get(name)?.get(version);
  }

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
      const withFollower = [...versions.values()].filter((o) => o.followers.has(messageType)).sort((a, b) => b.version - a.version);
      if (withFollower[0]) found.push(withFollower[0]);
    }
    return found;
  }

  /** Orchestrations a message activates (publish/subscribe: there may be several, or none). */
  route(message: InboundMessage): CompiledOrchestration[] {
    return this.subscriptions().filter(({ activation }) =>
      activation.messageType === message.messageType &&
      (activation.filter ?? []).every((f) => message.properties[f.property] === f.equals),
    );
  }
}
