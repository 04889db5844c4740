import { REPLY_SET } from '../correlation.ts';
import { END, NAME_PATTERN, type OrchestrationDefinition, type ReceiveShape } from '../definition.ts';
import type { CompiledOrchestration } from '../program.ts';
import { DefinitionError } from '../errors.ts';
import { SHAPE_CHECKS } from './checks.ts';
import { Compiler } from './compiler.ts';

/**
 * Checks a definition and compiles it: every shape keyed and linked to what runs after it, markers for scope ends,
 * compensations, parallel joins, until-loops' checks and state machines' state ends, called orchestrations compiled in. Every problem is collected and reported at once.
 *
 * @throws DefinitionError when the definition is malformed.
 */
export function compile(definition: OrchestrationDefinition): CompiledOrchestration {
  const c = new Compiler(definition, SHAPE_CHECKS);
  if (!NAME_PATTERN.test(definition.name)) c.problems.push(`name "${definition.name}" must match ${NAME_PATTERN}`);
  if (!Number.isInteger(definition.version) || definition.version < 1)
    c.problems.push('version must be a positive integer');
  const first = c.visit(definition.steps, END, 'steps', '', [definition.name]);
  for (const check of c.after) check();
  const activation = definition.steps[0];
  if (activation?.kind !== 'receive') c.problems.push('the first step must be an activating receive');
  for (const follower of c.followers.values()) {
    // A reply follows the instance that sent its request, whatever the activation initializes; a set a send
    // initializes is followed as the activation's is.
    if (
      activation?.kind === 'receive' &&
      follower.correlation !== activation.correlation &&
      follower.correlation !== REPLY_SET &&
      !c.sendInitialized.has(follower.correlation ?? '')
    ) {
      c.problems.push(
        `receive "${follower.id}" follows "${follower.correlation}", but the activating receive initializes ${activation.correlation ? `"${activation.correlation}"` : 'no correlation set'}, and no send initializes it`,
      );
    }
  }
  if (c.problems.length > 0) throw new DefinitionError(`${definition.name}@${definition.version}`, c.problems);
  return {
    name: definition.name,
    version: definition.version,
    activation: activation as ReceiveShape,
    shapes: c.shapes,
    next: c.next,
    branchEntry: c.branchEntry,
    first,
    correlationSets: definition.correlationSets ?? {},
    followers: c.followers,
    starts: c.starts,
    schemas: c.schemas,
    ports: c.ports,
  };
}
