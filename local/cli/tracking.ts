/**
 * What happened, read back: an instance's tracked `history`, the message `flow` of an order, and one order's `trace`
 * (the spans `start --trace` recorded).
 */
import { resolve } from 'node:path';
import type { TrackedEvent } from '../../functions/core/tracking.ts';
import { HISTORY } from '../../functions/settings.ts';
import { shownStatus } from '../../console/operations/status.ts';
import type { Story } from '../../console/operations/story.ts';
import { invocation } from './commands.ts';
import { type CommandInput, WORK_DIR } from './target.ts';
import { fail } from './values.ts';

/** One tracked event on one line: time, kind, where, with what. */
function eventLine(e: TrackedEvent, subject = false): string {
  const parts = [
    new Date(e.at).toISOString(),
    e.kind.padEnd(17),
    subject ? e.subject : '',
    e.fromShape && e.shape && e.fromShape !== e.shape ? `${e.fromShape} → ${e.shape}` : (e.shape ?? ''),
    e.messageType ? `${e.messageType}${e.messageId ? ` ${e.messageId}` : ''}` : (e.messageId ?? ''),
    e.port ? `to ${e.port}` : '',
    e.related ? `(${e.related})` : '',
    e.host ? `on ${e.host}` : '',
    e.detail ?? '',
  ];
  return `  ${parts.filter(Boolean).join('  ')}`;
}

export async function history({ args, options, at }: CommandInput): Promise<void> {
  const { limit, after, json } = options as { limit: number; after?: string; json?: boolean };
  const instanceId = args[0]!;
  const page = await (await at.operations()).history(instanceId, after, limit);
  if (json) {
    console.log(JSON.stringify(page, null, 2));
    return;
  }
  if (page.events.length === 0 && !after)
    console.log(
      `no tracked history for ${instanceId} (is the id right? history is kept ${HISTORY.defaultRetentionDays} days)`,
    );
  for (const e of page.events) console.log(eventLine(e));
  if (page.next) console.log(`more: ${invocation('history')} ${instanceId} --after ${page.next}${at.stackOptions()}`);
}

export async function flow({ args, options, at }: CommandInput): Promise<void> {
  const subject = args[0]!;
  const found = await (await at.operations()).flow(subject, { maxSubjects: 100, maxEventsPerSubject: 2_000 });
  if (options.json) {
    console.log(JSON.stringify(found, null, 2));
    return;
  }
  if (found.subjects.length === 0) {
    console.log(
      `nothing tracked for "${subject}": not a correlation value, message id or instance id seen in the last ` +
        `${HISTORY.defaultRetentionDays} days`,
    );
    return;
  }
  console.log(
    `${found.subjects.length} instance(s) and message(s), ${found.events.length} event(s)` +
      (found.truncated ? ' (truncated)' : ''),
  );
  printStory(found, at);
  console.log('events:');
  for (const e of found.events)
    console.log(
      `${eventLine(e, true)}${e.sincePreviousMs > 1_000 ? `  (+${(e.sincePreviousMs / 1000).toFixed(1)} s)` : ''}`,
    );
}

/** A key's instances (status as said: a failed branch failed) and its suspended messages, each resubmittable. */
function printStory(found: Story, at: CommandInput['at']): void {
  for (const subject of found.subjects.filter((s) => !s.startsWith('message:'))) {
    const s = found.instances[subject];
    const keys = s ? Object.entries(s.correlations).map(([set, value]) => `${set}=${value}`) : [];
    const branch = s?.branchOf ? `branch ${s.branchOf.branch} of ${s.branchOf.instanceId}` : '';
    const what = s
      ? `${s.orchestration}@${s.version}  ${shownStatus(s)}  ${[...keys, branch].join(' ')}`
      : '(no longer in the MessageBox)';
    console.log(`  instance  ${subject}  ${what}`);
  }
  // Its suspended messages: held because no instance had the key yet, refused or unreadable; each resubmittable.
  for (const m of found.messages) {
    const r = m.resolution;
    const state = r ? `${r.kind}${r.resubmittedAs ? ` as ${r.resubmittedAs}` : ''} by ${r.by}` : 'unresolved';
    console.log(`  suspended message  ${m.messageId}  ${m.attributes.MessageType ?? ''}  ${state}  ${m.reason}`);
    if (!r)
      console.log(
        `      resubmit: ${invocation('resubmit')} ${m.messageId}${at.stackOptions()} [--body '...'] ` +
          `(or the console's /messages/${encodeURIComponent(m.messageId)})`,
      );
  }
}

/**
 * `baton trace <message id | trace id>`: one business transaction's spans, as `start --trace` recorded them, in the
 * order they started: the message's receive, each step on whichever host instance, the sends.
 */
export async function trace({ args }: CommandInput): Promise<void> {
  const wanted = args[0]!;
  const { readExportedSpans } = await import('../trace-export.ts');
  const spans = readExportedSpans(resolve(WORK_DIR, 'traces'));
  if (spans.length === 0)
    fail(`no spans in ${resolve(WORK_DIR, 'traces')}: start the cluster with ${invocation('start')} --trace`);
  const traceId = /^[0-9a-f]{32}$/.test(wanted)
    ? wanted
    : spans.find((s) => s.attributes['messaging.message.id'] === wanted && s.name.startsWith('receive'))?.traceId;
  const own = spans
    .filter((s) => s.traceId === traceId)
    .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  if (own.length === 0)
    fail(`no recorded trace for ${wanted} (a message id the receive host took, or a 32-hex trace id)`);
  const start = BigInt(own[0]!.startTimeUnixNano);
  const ms = (ns: bigint) => Number(ns / 1_000_000n);
  console.log(`trace ${traceId}: ${own.length} spans`);
  for (const s of own) {
    const a = s.attributes;
    const detail = [
      a['baton.instance.id'] && `instance ${a['baton.instance.id']}`,
      a['baton.instance.revision'] !== undefined && `rev ${a['baton.instance.revision']}`,
      a['baton.instance.status'],
      a['baton.result'],
      a['messaging.destination.name'] && `to ${a['messaging.destination.name']}`,
    ]
      .filter(Boolean)
      .join(', ');
    const since = String(ms(BigInt(s.startTimeUnixNano) - start)).padStart(6);
    const took = String(ms(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano))).padStart(5);
    console.log(`  +${since} ms  ${took} ms  ${s.service.padEnd(10)}  ${s.name}${detail ? `  (${detail})` : ''}`);
  }
}
