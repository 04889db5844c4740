/**
 * The operator's commands, the web console's twins: what is suspended and what runs (`suspended`, `instances`), what
 * to do about it (`resume`, `terminate`, `resubmit`, `discard`), and what was done (`audit`).
 */
import { dynamoDbDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { DynamoDbInstanceStore } from '../../functions/adapters/DynamoDbInstanceStore.ts';
import { s3ClaimCheck } from '../../functions/adapters/S3PayloadStore.ts';
import { InstanceStatus } from '../../functions/core/instance.ts';
import { invocation } from './commands.ts';
import { bodyOf } from './queues.ts';
import type { CommandInput } from './target.ts';
import { fail } from './values.ts';

export async function suspended({ options, at }: CommandInput): Promise<void> {
  const json = options.json === true;
  const store = storeOf(await at.addresses());
  // The JSON has every body whole; the text shows the start of those kept in the item, and no more of the others.
  // The last received first, as the console lists them.
  const messages = (await store.listSuspendedMessages(undefined, { bodies: json })).sort(
    (a, b) => b.receivedAt - a.receivedAt,
  );
  const instances = await store.listInstances(InstanceStatus.Suspended);
  if (json) {
    console.log(JSON.stringify({ messages, instances }, null, 2));
    return;
  }
  console.log(`Suspended messages (${messages.length}): could not become an instance`);
  for (const m of messages) {
    // A schema mismatch lists its issues one per line, each with its path in the body.
    const type = m.attributes.MessageType ?? 'the message';
    const issues = m.issues?.map((i) => `\n      ${i.path || '(body)'}: ${i.message}`).join('');
    const reason = m.issues?.length ? `${type} does not match its schema:${issues}` : m.reason;
    console.log(`  ${new Date(m.receivedAt).toISOString()}  ${m.messageId}  ${reason}`);
    const body = m.bodyRef
      ? `(large: kept in the claim check as ${m.bodyRef}; --json or the console shows it)`
      : m.body.length > 160
        ? `${m.body.slice(0, 160)}…`
        : m.body;
    console.log(`      body: ${body}`);
  }
  console.log(`Suspended instances (${instances.length}): resumable`);
  for (const s of instances)
    console.log(`  ${s.instanceId}  ${s.orchestration}@${s.version}  ${s.error?.reason ?? ''}`);
}

/** The cluster's MessageBox, large states and bodies read back from its claim check. */
function storeOf(d: {
  endpoint?: string;
  region?: string;
  tableName: string;
  claimCheckBucket?: string;
}): DynamoDbInstanceStore {
  const where = { endpoint: d.endpoint, region: d.region };
  return new DynamoDbInstanceStore(dynamoDbDocumentClient(where), d.tableName, {
    claimCheck: s3ClaimCheck(d.claimCheckBucket, where),
  });
}

export async function instances({ options, at }: CommandInput): Promise<void> {
  const status = options.status as InstanceStatus;
  const list = await storeOf(await at.addresses()).listInstances(status);
  console.log(`${list.length} ${status} instance(s)`);
  for (const s of list) {
    const at = s.cursor.threads.map((t) => t.at).join(',');
    const lease = s.lease ? `${s.lease.owner} until ${new Date(s.lease.expiresAt).toISOString()}` : '-';
    console.log(`  ${s.instanceId}  ${s.orchestration}@${s.version}  rev=${s.revision}  at=${at}  lease=${lease}`);
  }
}

/** The options `resume` and `terminate` declare. */
interface ActOptions {
  readonly reason?: string;
  readonly status?: string;
  readonly orchestration?: string;
  readonly query?: string;
  readonly messageType?: string;
  readonly orchestrations?: string;
  readonly yes?: boolean;
}

/**
 * The instances a command acts on: the ids given, or every instance a query matches (then only with --yes; without
 * it, they are listed and the command exits 3). None matching is said, and the command ends there.
 */
async function targets(action: 'resume' | 'terminate', { args, options, at }: CommandInput): Promise<string[]> {
  if (args.length > 0) return [...args];
  const o = options as ActOptions;
  if (!o.status && !o.orchestration && !o.query && !o.messageType)
    fail(
      `${action} needs instance ids, or a query (--status, --orchestration, --query, --message-type) and --yes; ` +
        `see ${invocation(action)} --help`,
    );
  const ids = await (await at.operations()).searchAll({
    status: o.status,
    orchestration: o.orchestration,
    text: o.query,
    messageType: o.messageType,
  });
  if (ids.length === 0) {
    console.log(`0 instance(s) match: nothing to ${action}`);
    process.exit(0);
  }
  if (!o.yes) {
    console.log(`${ids.length} instance(s) match:`);
    for (const id of ids.slice(0, 50)) console.log(`  ${id}`);
    if (ids.length > 50) console.log(`  and ${ids.length - 50} more`);
    console.log(`nothing done: add --yes to ${action} them all`);
    process.exit(3);
  }
  return ids;
}

async function act(action: 'resume' | 'terminate', input: CommandInput): Promise<void> {
  const ids = await targets(action, input);
  const o = input.options as ActOptions;
  const reason = o.reason ?? '';
  if (action === 'terminate' && !reason.trim()) fail('a termination needs a reason: --reason "..."');
  const orchestrations = await input.at.orchestrations(o.orchestrations);
  const results = await (await input.at.operations(orchestrations)).act(action, ids, reason);
  for (const r of results)
    console.log(`${r.outcome.padEnd(8)} ${action} ${r.target}${r.detail ? `  ${r.detail}` : ''}`);
  if (results.some((r) => r.outcome !== 'done')) process.exit(1);
}

export const resume = (input: CommandInput) => act('resume', input);
export const terminate = (input: CommandInput) => act('terminate', input);

export async function resubmit({ args, options, at }: CommandInput): Promise<void> {
  const o = options as { body?: string; type?: string; again?: boolean };
  const messageId = args[0]!;
  if (o.again && (o.body !== undefined || o.type !== undefined))
    fail(
      '--again sends the resubmission its record names as it was: it takes no --body or --type; ' +
        `see ${invocation('resubmit')} --help`,
    );
  const body =
    o.body === undefined
      ? undefined
      : bodyOf(o.body, 'give the body to send, or leave --body out to send it as it was');
  const ops = await at.operations();
  const result = o.again
    ? await ops.sendAgain(messageId)
    : await ops.resubmit(messageId, { body, messageType: o.type });
  console.log(`${result.outcome} resubmit ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}

export async function discard({ args, options, at }: CommandInput): Promise<void> {
  const reason = (options.reason as string | undefined) ?? '';
  if (!reason.trim()) fail(`a discard needs a reason: --reason "..."; see ${invocation('discard')} --help`);
  const result = await (await at.operations()).discard(args[0]!, reason);
  console.log(`${result.outcome} discard ${result.target}${result.detail ? `  ${result.detail}` : ''}`);
  if (result.outcome !== 'done') process.exit(1);
}

export async function audit({ options, at }: CommandInput): Promise<void> {
  const entries = await (await at.operations()).auditTrail(options.limit as number);
  if (entries.length === 0) console.log('no operator action yet');
  for (const e of entries)
    console.log(
      `  ${new Date(e.at).toISOString()}  ${e.who}  ${e.action} ${e.target}  ${e.outcome}` +
        (e.detail ? `  ${e.detail}` : ''),
    );
}
