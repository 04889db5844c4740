/**
 * The search: instances by what a text names (a business key, a message id, an instance id), by status, by the hour
 * they were activated or ended; a text search names the suspended messages that carry the key too.
 */
import type { InstanceState, InstanceStatus, SuspendedMessage } from '../../functions/core/instance.ts';
import {
  activatedKey,
  endedKey,
  hourOf,
  instanceKey,
  messageKey,
  subjectOfMessage,
  valueKey,
} from '../../functions/core/tracking.ts';
import {
  ACTIVE_STATUSES,
  type ConsoleDeps,
  MAX_CANDIDATES,
  PAGE_SIZE,
  type SearchPage,
  type SearchQuery,
} from './types.ts';

/** What a search found before it was ordered and paged. */
interface Candidates {
  readonly states: InstanceState[];
  readonly basis: string;
  readonly truncated: boolean;
  readonly messages?: SuspendedMessage[];
}

/** Instances matching a query, newest first, a page at a time. The query names where its candidates come from. */
export async function search(deps: ConsoleDeps, now: number, query: SearchQuery): Promise<SearchPage> {
  const from = query.from ?? now - 24 * 3_600_000;
  const to = query.to ?? now;
  const text = query.text?.trim();
  const found = text
    ? await byText(deps, text)
    : query.status && (ACTIVE_STATUSES as readonly string[]).includes(query.status)
      ? await byStatus(deps, query.status as InstanceStatus)
      : await byHour(deps, query.status, from, to);
  const rows = found.states
    .filter((s) => matches(s, query, from, to))
    .sort((a, b) => b.updatedAt - a.updatedAt || a.instanceId.localeCompare(b.instanceId));
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, query.page ?? 1), pages);
  return {
    rows: rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    total: rows.length,
    page,
    pages,
    basis: found.basis,
    truncated: found.truncated,
    ...(found.messages ? { messages: found.messages } : {}),
  };
}

/** What the text names: the instances that have it as a key, took it as a message, or are it; and held messages. */
async function byText(deps: ConsoleDeps, text: string): Promise<Candidates> {
  const subjects = new Set<string>();
  for (const key of [valueKey(text), messageKey(text), instanceKey(text)])
    for (const s of await deps.history.linked(key, MAX_CANDIDATES)) subjects.add(s);
  subjects.add(text);
  const messageIds = [...subjects].filter((s) => s.startsWith('message:')).map((s) => s.slice('message:'.length));
  // A suspended message's own id finds it too, tracked or not yet.
  if (!subjects.has(subjectOfMessage(text))) messageIds.push(text);
  return {
    states: await load(
      deps,
      [...subjects].filter((s) => !s.startsWith('message:')),
    ),
    basis: `instances "${text}" names (a business key, a message id or an instance id)`,
    truncated: false,
    messages: await suspendedMessages(deps, messageIds),
  };
}

async function byStatus(deps: ConsoleDeps, status: InstanceStatus): Promise<Candidates> {
  const states = await deps.store.listInstances(status, MAX_CANDIDATES);
  return { states, basis: `${status} instances (the status index)`, truncated: states.length >= MAX_CANDIDATES };
}

async function byHour(deps: ConsoleDeps, status: string | undefined, from: number, to: number): Promise<Candidates> {
  const keys = hoursBetween(from, to).map((hour) =>
    status ? endedKey(status, Date.parse(`${hour}:00:00Z`)) : activatedKey(Date.parse(`${hour}:00:00Z`)),
  );
  const subjects: string[] = [];
  let truncated = false;
  for (const key of keys.reverse()) {
    subjects.push(...(await deps.history.linked(key, MAX_CANDIDATES - subjects.length)));
    if (subjects.length >= MAX_CANDIDATES) {
      truncated = true;
      break;
    }
  }
  return {
    states: await load(deps, subjects),
    basis: status
      ? `instances ${status} between ${iso(from)} and ${iso(to)} (tracked)`
      : `instances activated between ${iso(from)} and ${iso(to)} (tracked)`,
    truncated,
  };
}

/** Every instance id a query matches (for a bulk action over a search result). */
export async function searchAll(deps: ConsoleDeps, now: number, query: SearchQuery): Promise<string[]> {
  const first = await search(deps, now, { ...query, page: 1 });
  const ids = first.rows.map((r) => r.instanceId);
  for (let page = 2; page <= first.pages; page++)
    ids.push(...(await search(deps, now, { ...query, page })).rows.map((r) => r.instanceId));
  return ids;
}

/** The instances of these ids the MessageBox still has. */
export async function load(deps: ConsoleDeps, ids: readonly string[]): Promise<InstanceState[]> {
  const loaded = await Promise.all(ids.slice(0, MAX_CANDIDATES).map((id) => deps.store.load(id)));
  return loaded.filter((s): s is InstanceState => s !== undefined);
}

/** The suspended messages of these ids the MessageBox has (bodies left in the claim check unread), newest first. */
export async function suspendedMessages(deps: ConsoleDeps, ids: readonly string[]): Promise<SuspendedMessage[]> {
  const found = await Promise.all(
    [...new Set(ids)].slice(0, 200).map((id) => deps.store.suspendedMessage(id, { bodies: false })),
  );
  return newestFirst(found.filter((m): m is SuspendedMessage => m !== undefined));
}

/** Suspended messages, the last received first. */
export function newestFirst(messages: readonly SuspendedMessage[]): SuspendedMessage[] {
  return [...messages].sort((a, b) => b.receivedAt - a.receivedAt || a.messageId.localeCompare(b.messageId));
}

function matches(state: InstanceState, query: SearchQuery, from: number, to: number): boolean {
  if (query.status && state.status !== query.status) return false;
  if (query.orchestration) {
    const [name, version] = query.orchestration.split('@');
    if (state.orchestration !== name || (version !== undefined && String(state.version) !== version)) return false;
  }
  if (query.messageType && !Object.values(state.messages).some((m) => m.messageType === query.messageType))
    return false;
  // A text search finds what it names, whenever it was; the others keep to the time range.
  if (!query.text && (state.updatedAt < from || state.createdAt > to)) return false;
  return true;
}

function hoursBetween(from: number, to: number): string[] {
  const hours: string[] = [];
  for (let t = Math.floor(from / 3_600_000) * 3_600_000; t <= to && hours.length < 24 * 31; t += 3_600_000)
    hours.push(hourOf(t));
  return hours;
}

function iso(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}
