import { describe, expect, it } from 'vitest';
import { UNREFERENCED_OBJECT_BOUND_MS, unaccountedObjects } from '../../functions/adapters/claim-check.ts';

describe("the claim check's objects, accounted for", () => {
  const now = Date.UTC(2026, 11, 2);
  const old = now - UNREFERENCED_OBJECT_BOUND_MS - 1;

  it("finds an object of the MessageBox's prefixes that no item refers to past the bound: a leak", () => {
    const objects = [
      { key: 'state/i-1/3-abc', at: old },
      { key: 'inbox/i-1/m-1-def', at: old },
      { key: 'suspended/m-2-123', at: old },
    ];
    const { leaked, dangling } = unaccountedObjects(objects, new Set(['state/i-1/3-abc']), { now });
    expect(leaked.map((o) => o.key)).toEqual(['inbox/i-1/m-1-def', 'suspended/m-2-123']);
    expect(dangling).toEqual([]);
  });

  it("leaves alone an object younger than the bound (its item may be on its way) and those of inbound/ and outbound/, which expire by the bucket's lifecycle", () => {
    const objects = [
      { key: 'state/i-1/4-abc', at: now - 1_000 },
      { key: 'outbound/m-3', at: old },
      { key: 'inbound/sender/m-4', at: old },
    ];
    expect(unaccountedObjects(objects, new Set(), { now })).toEqual({ leaked: [], dangling: [] });
    expect(unaccountedObjects(objects, new Set(), { now, boundMs: 0 }).leaked.map((o) => o.key)).toEqual([
      'state/i-1/4-abc',
    ]);
  });

  it('finds a key an item refers to with no object behind it: dangling', () => {
    expect(
      unaccountedObjects([{ key: 'state/i-1/3-abc', at: old }], new Set(['state/i-1/3-abc', 'inbox/i-2/m-5-fff']), {
        now,
      }).dangling,
    ).toEqual(['inbox/i-2/m-5-fff']);
  });
});
