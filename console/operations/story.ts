/**
 * The whole story of a business key, a message or an instance: every instance and every suspended message its
 * tracked history links (a message held because no instance had the key yet, then suspended, is linked by the key it
 * carries: core/tracking.ts), and, for one instance, the message that created it and the branch instances it forked.
 */
import type { InstanceState, SuspendedMessage } from '../../functions/core/instance.ts';
import { bodyLeft, type InboundMessage, type InboxEntry } from '../../functions/core/message.ts';
import { messageFlow, type FlowLimits, type MessageFlow } from '../../functions/core/message-flow.ts';
import { instanceKey } from '../../functions/core/tracking.ts';
import { load, suspendedMessages } from './search.ts';
import type { ConsoleDeps } from './types.ts';

export interface Story extends MessageFlow {
  /** The instances among its subjects the MessageBox still has, by id (a finished one is kept 7 days). */
  readonly instances: Readonly<Record<string, InstanceState>>;
  /** Its suspended messages (refused, unreadable, or uncorrelated: no instance had the key), newest first. */
  readonly messages: readonly SuspendedMessage[];
}

const MESSAGE = 'message:';

/** The flow from one or more ways into it (a business key, a message id, an instance id), with what each subject is. */
export async function story(deps: ConsoleDeps, query: string | readonly string[], limits: FlowLimits): Promise<Story> {
  const flow = await messageFlow(deps.history, query, limits);
  const [states, messages] = await Promise.all([
    load(
      deps,
      flow.subjects.filter((s) => !s.startsWith(MESSAGE)),
    ),
    suspendedMessages(
      deps,
      flow.subjects.filter((s) => s.startsWith(MESSAGE)).map((s) => s.slice(MESSAGE.length)),
    ),
  ]);
  return { ...flow, instances: Object.fromEntries(states.map((s) => [s.instanceId, s])), messages };
}

/** The message that created an instance: its id always, the message itself while the instance holds it. */
export interface ActivatingMessage {
  readonly messageId: string;
  readonly message?: InboundMessage;
}

/** A branch instance an instance forked: as the MessageBox has it, or only its id once it expired. */
export interface Branch {
  readonly instanceId: string;
  readonly state?: InstanceState;
}

/**
 * The message that created the instance. An orchestration's first receive takes it (its first consumed message); a
 * branch instance was made by its orchestration's step, which the message that drove that step names.
 */
export function activatingMessage(state: InstanceState, inbox: readonly InboxEntry[]): ActivatingMessage {
  const messageId = state.branchOf ? state.causationId : (state.consumed[0] ?? state.causationId);
  const bound = Object.values(state.messages ?? {}).find((m) => m.messageId === messageId);
  const delivered = inbox.find((m): m is InboundMessage => m.messageId === messageId && !bodyLeft(m));
  const message = bound ?? delivered;
  return message ? { messageId, message } : { messageId };
}

/** The branch instances it forked, in the order of their ids (fork, then branch), as their history links them. */
export async function branchesOf(deps: ConsoleDeps, instanceId: string): Promise<Branch[]> {
  const ids = (await deps.history.linked(instanceKey(instanceId), 500))
    .filter((s) => s.startsWith(`${instanceId}~`))
    .sort();
  const states = await Promise.all(ids.map((id) => deps.store.load(id)));
  return ids
    .map((id, i) => ({ instanceId: id, state: states[i] }))
    .filter((b) => b.state === undefined || b.state.branchOf?.instanceId === instanceId)
    .map((b) => (b.state ? b : { instanceId: b.instanceId }));
}
