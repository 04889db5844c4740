/**
 * Host instances on Lambda, from the tracked history. On Lambda a host instance is an execution environment (its id
 * is `<function name>/<log stream>`, see functions/handlers/config.ts); there is no process list to ask, and
 * nothing writes a heartbeat. What the history has is each event's host: so the console reads the newest events of
 * the instances that started or ended lately and tells, per host instance, when it was last seen and what it did.
 *
 * The history has no index by host, so this is a sample, and says so: the instances linked from the last hour's
 * `activated:<hour>` and `ended:<status>:<hour>` keys (at most `maxInstances` of them), each read once, newest
 * events first. A host instance that only worked on older instances in that hour (a step of an order that waited
 * a day) is not seen. Bounded: a few link queries and `maxInstances` one-page queries, at most every `cacheMs`.
 */
import type { HistoryStore } from '../functions/core/ports.ts';
import { activatedKey, endedKey, TrackedKind } from '../functions/core/tracking.ts';
import { InstanceStatus } from '../functions/core/instance.ts';
import type { HostList, HostSource, HostView } from './operations.ts';

/** What the host list reads of the history: its flow links, and a subject's newest events. */
export type RecentHistory = Pick<HistoryStore, 'linked' | 'history'>;

export interface HistoryHostsOptions {
  /** How far back a host instance counts as seen. @defaultValue one hour */
  readonly windowMs?: number;
  /** Instances whose history is read, at most. @defaultValue 100 */
  readonly maxInstances?: number;
  /** Newest events read of each. @defaultValue 50 */
  readonly eventsPerInstance?: number;
  /** Processing host function name → its zone, or "regional" (the stack's ProcessingHostZones output). */
  readonly zones?: Readonly<Record<string, string>>;
  /** A host instance last seen longer ago than this is "idle". @defaultValue one minute */
  readonly activeMs?: number;
  readonly now?: () => number;
}

/** Events a host wrote (an operator's resubmit or discard names the operator, and the console acts as `console:…`). */
const OPERATOR_KINDS: ReadonlySet<string> = new Set([TrackedKind.MessageResubmitted, TrackedKind.MessageDiscarded]);
/** A persistence point: one step's commit (an instance's first is its activation). */
const COMMITS: ReadonlySet<string> = new Set([TrackedKind.Activated, TrackedKind.Persisted]);

/** The host instances seen in the recent history, most recently seen first. */
export async function recentHosts(history: RecentHistory, options: HistoryHostsOptions = {}): Promise<HostList> {
  const { windowMs = 3_600_000, maxInstances = 100, eventsPerInstance = 50, activeMs = 60_000 } = options;
  const now = options.now?.() ?? Date.now();
  const from = now - windowMs;
  const keys: string[] = [];
  for (let hour = Math.floor(now / 3_600_000) * 3_600_000; hour + 3_600_000 > from; hour -= 3_600_000) {
    keys.push(activatedKey(hour), endedKey(InstanceStatus.Completed, hour), endedKey(InstanceStatus.Terminated, hour));
  }
  const instances = new Set<string>();
  let truncated = false;
  for (const key of keys) {
    // The keys overlap (an instance activated and completed in the hour is linked from both): read each whole, up
    // to one more than the sample holds (a key with more has instances the sample cannot hold).
    const linked = await history.linked(key, maxInstances + 1);
    if (linked.length > maxInstances) truncated = true;
    for (const subject of linked) {
      if (subject.startsWith('message:') || instances.has(subject)) continue;
      if (instances.size >= maxInstances) {
        truncated = true;
        break;
      }
      instances.add(subject);
    }
  }

  const byHost = new Map<string, { last: number; commits: number; completed: number }>();
  const subjects = [...instances];
  for (let i = 0; i < subjects.length; i += 20) {
    const pages = await Promise.all(
      subjects
        .slice(i, i + 20)
        .map((subject) => history.history(subject, { limit: eventsPerInstance, newestFirst: true })),
    );
    for (const event of pages.flatMap((page) => page.events)) {
      if (
        !event.host ||
        event.host.startsWith('console:') ||
        OPERATOR_KINDS.has(event.kind) ||
        event.at < from ||
        event.at > now + 60_000
      )
        continue;
      const seen = byHost.get(event.host) ?? { last: 0, commits: 0, completed: 0 };
      seen.last = Math.max(seen.last, event.at);
      if (COMMITS.has(event.kind)) seen.commits++;
      // A branch that failed into its orchestration's handler completed all the same.
      if (event.kind === TrackedKind.Completed || event.kind === TrackedKind.Failed) seen.completed++;
      byHost.set(event.host, seen);
    }
  }

  const hosts: HostView[] = [...byHost]
    .map(([name, seen]) => {
      const zone = options.zones?.[name.split('/')[0]!];
      return {
        name,
        status: now - seen.last <= activeMs ? 'active' : 'idle',
        lastHeartbeat: seen.last,
        workItems: seen.commits,
        completed: seen.completed,
        ...(zone && zone !== 'regional' ? { zone } : {}),
      };
    })
    .sort((a, b) => b.lastHeartbeat! - a.lastHeartbeat! || a.name.localeCompare(b.name));
  const minutes = Math.round(windowMs / 60_000);
  const sample = truncated ? `the first ${instances.size} of the instances` : `the ${instances.size} instance(s)`;
  return {
    hosts,
    basis:
      `Host instances are Lambda execution environments. Seen in the tracked history of ${sample} activated or ended in the last ${minutes} minutes` +
      ` (last heartbeat: the newest event each wrote; work items: the persistence points it wrote; completed: the instances it completed; active: seen in the last ${Math.round(activeMs / 1000)} s).` +
      `${hosts.length === 0 ? ' None seen.' : ''} Read at ${new Date(now).toISOString().slice(11, 19)} UTC.`,
  };
}

/**
 * The overview's host source over a deployed stack's history: `recentHosts`, read again at most every `cacheMs`
 * (the overview refreshes every 5 s), and a failure said in the basis rather than failing the whole overview.
 */
export function hostsFromHistory(
  history: RecentHistory,
  options: HistoryHostsOptions & { readonly cacheMs?: number } = {},
): HostSource {
  const cacheMs = options.cacheMs ?? 30_000;
  let cached: { at: number; list: Promise<HostList> } | undefined;
  return () => {
    const now = options.now?.() ?? Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const list = recentHosts(history, options).catch((error: Error): HostList => {
        cached = undefined;
        return { hosts: [], basis: `The host instances could not be read from the tracked history: ${error.message}` };
      });
      cached = { at: now, list };
    }
    return cached.list;
  };
}
