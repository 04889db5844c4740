import { describe, expect, it } from 'vitest';
import { hostsFromHistory, recentHosts } from '../../console/hosts.ts';
import { activatedKey, endedKey, TrackedKind, type TrackedEvent } from '../../functions/core/tracking.ts';
import { MemoryHistory } from '../helpers/memory-history.ts';

const NOW = Date.parse('2026-12-01T10:20:00Z');
const A = 'Baton-ProcessingHostInstanceeuwest1a-Fn/2026/12/01/[$LATEST]aaaa';
const B = 'Baton-ProcessingHostInstanceeuwest1b-Fn/2026/12/01/[$LATEST]bbbb';
const RECEIVE = 'Baton-ReceiveHost-Fn/2026/12/01/[$LATEST]rrrr';
const ZONES = {
  'Baton-ProcessingHostInstanceeuwest1a-Fn': 'eu-west-1a',
  'Baton-ProcessingHostInstanceeuwest1b-Fn': 'eu-west-1b',
  'Baton-Regional-Fn': 'regional',
};

let origin = 0;
/** One instance's history as the tracking function writes it, and the link the hour's search reads. */
async function instance(
  history: MemoryHistory,
  subject: string,
  events: Omit<TrackedEvent, 'subject'>[],
  links: string[],
) {
  await history.record(
    {
      events: events.map((e) => ({ subject, ...e })),
      links: links.map((key) => ({ key, subject, at: events[0]!.at })),
    },
    String(++origin),
  );
}

describe('host instances on Lambda, from the tracked history', () => {
  it('lists each host instance seen in the last hour: last heartbeat, persistence points, completions, zone', async () => {
    const history = new MemoryHistory();
    // Activated by a receive host instance, stepped by two processing host instances, one in each zone.
    await instance(
      history,
      'i-1',
      [
        { at: NOW - 600_000, kind: TrackedKind.Activated, host: RECEIVE },
        { at: NOW - 590_000, kind: TrackedKind.Claimed, host: A },
        { at: NOW - 589_000, kind: TrackedKind.Persisted, host: A },
        { at: NOW - 30_000, kind: TrackedKind.Persisted, host: B },
        { at: NOW - 30_000, kind: TrackedKind.Completed, host: B },
      ],
      [activatedKey(NOW - 600_000), endedKey('completed', NOW - 30_000)],
    );
    // Activated last hour (before 10:00): found through the previous hour's key.
    await instance(
      history,
      'i-2',
      [
        { at: NOW - 3_000_000, kind: TrackedKind.Activated, host: RECEIVE },
        { at: NOW - 2_999_000, kind: TrackedKind.Persisted, host: A },
      ],
      [activatedKey(NOW - 3_000_000)],
    );
    // An operator's actions are not a host instance's.
    await instance(
      history,
      'i-3',
      [
        { at: NOW - 100_000, kind: TrackedKind.Activated, host: RECEIVE },
        { at: NOW - 50_000, kind: TrackedKind.Terminated, host: 'console:arn:aws:iam::1:user/ada' },
      ],
      [activatedKey(NOW - 100_000), endedKey('terminated', NOW - 50_000)],
    );
    // Seen only more than an hour ago: not listed.
    await instance(
      history,
      'i-old',
      [{ at: NOW - 5_000_000, kind: TrackedKind.Persisted, host: 'Baton-Old-Fn/x' }],
      [activatedKey(NOW - 5_000_000)],
    );

    const { hosts, basis } = await recentHosts(history, { zones: ZONES, now: () => NOW });
    expect(hosts).toEqual([
      { name: B, status: 'active', lastHeartbeat: NOW - 30_000, workItems: 1, completed: 1, zone: 'eu-west-1b' },
      { name: RECEIVE, status: 'idle', lastHeartbeat: NOW - 100_000, workItems: 3, completed: 0 },
      { name: A, status: 'idle', lastHeartbeat: NOW - 589_000, workItems: 2, completed: 0, zone: 'eu-west-1a' },
    ]);
    expect(basis).toMatch(
      /^Host instances are Lambda execution environments\. Seen in the tracked history of the 3 instance\(s\) activated or ended in the last 60 minutes/,
    );
  });

  it('reads a bounded sample, and says so', async () => {
    const history = new MemoryHistory();
    // Each activated and completed in this hour: linked from two keys, one instance each.
    for (let i = 0; i < 30; i++)
      await instance(
        history,
        `i-${String(i).padStart(2, '0')}`,
        [{ at: NOW - 1_000, kind: TrackedKind.Activated, host: RECEIVE }],
        [activatedKey(NOW - 1_000), endedKey('completed', NOW - 1_000)],
      );
    const read: string[] = [];
    const counting = {
      linked: history.linked.bind(history),
      history: (subject: string, page?: { limit?: number; newestFirst?: boolean }) => {
        read.push(subject);
        return history.history(subject, page);
      },
    };
    const { hosts, basis } = await recentHosts(counting, { maxInstances: 10, now: () => NOW });
    expect(read).toHaveLength(10);
    expect(hosts).toEqual([
      { name: RECEIVE, status: 'active', lastHeartbeat: NOW - 1_000, workItems: 10, completed: 0 },
    ]);
    expect(basis).toContain('the first 10 of the instances activated or ended in the last 60 minutes');
    expect((await recentHosts(history, { maxInstances: 30, now: () => NOW })).basis).toContain(
      'the 30 instance(s) activated or ended',
    );
  });

  it('reads the history again at most every 30 s, and says a failure instead of failing the overview', async () => {
    let now = NOW;
    let reads = 0;
    let broken = false;
    const history = {
      linked: async () => {
        reads++;
        if (broken) throw new Error('throttled');
        return [];
      },
      history: async () => ({ events: [] }),
    };
    const source = hostsFromHistory(history, { now: () => now });
    await source();
    now += 10_000;
    await source();
    const afterTwo = reads;
    now += 30_000;
    broken = true;
    expect(await source()).toEqual({
      hosts: [],
      basis: 'The host instances could not be read from the tracked history: throttled',
    });
    expect(reads).toBeGreaterThan(afterTwo);
    broken = false;
    expect((await source()).basis).toMatch(/None seen\./);
  });
});
