import type { OrchestrationDefinition } from './definition.ts';

/** Settings the hosts pass to an orchestrations module: their environment (Lambda's, or the local cluster's). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * A module of orchestrations, as the Baton construct bundles it into the hosts and the local cluster loads it:
 * it exports `orchestrations`, the definitions to deploy, or a function of the hosts' environment returning
 * them (for settings the deployment passes in).
 *
 * @example
 * A list:
 * ```ts
 * export const orchestrations = [hello];
 * ```
 *
 * @example
 * A function of the environment (`environment` of the Baton construct, or of the local cluster):
 * ```ts
 * import type { Environment } from 'baton';
 *
 * export const orchestrations = (env: Environment) => [orderFlow({ threshold: Number(env.THRESHOLD ?? 100) })];
 * ```
 */
export interface OrchestrationsModule {
  /** The definitions to deploy, or a function of the environment returning them; a non-empty list either way. */
  readonly orchestrations?:
    | readonly OrchestrationDefinition[]
    | ((env: Environment) => readonly OrchestrationDefinition[]);
}

/**
 * The definitions a loaded module exports. They are checked when the registry compiles them.
 *
 * @throws Error naming the module when it exports no orchestrations.
 */
export function definitionsOf(module: unknown, env: Environment, name: string): OrchestrationDefinition[] {
  const exported =
    typeof module === 'object' && module !== null && 'orchestrations' in module ? module.orchestrations : undefined;
  const value = typeof exported === 'function' ? exported(env) : exported;
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(
      `${name} must export "orchestrations": a non-empty array of orchestration definitions, or a function of the environment returning one`,
    );
  }
  return [...value];
}
