import { describe, expect, it } from 'vitest';
import {
  DefinitionCodeFailed,
  InstanceNotFound,
  InvalidMessage,
  OwnershipLost,
  PayloadMissing,
  RoutingFailure,
  SchemaMismatch,
  UncorrelatedMessage,
  MAX_REASON_CHARS,
  boundReason,
  remedyOf,
} from '../../functions/core/errors.ts';

describe('boundReason', () => {
  it('keeps a reason up to MAX_REASON_CHARS as it is, and cuts a longer one to that, saying it was cut and how long it was', () => {
    const fits = 'x'.repeat(MAX_REASON_CHARS);
    expect(boundReason(fits)).toBe(fits);
    const long = `step "price" failed after 3 attempt(s): Error: ${'y'.repeat(1_000_000)}`;
    const kept = boundReason(long);
    expect(kept).toHaveLength(MAX_REASON_CHARS);
    const head = 'step "price" failed after 3 attempt(s): Error: yyy';
    const tail = ` … [cut: ${long.length} characters in all]`;
    expect(kept.slice(0, head.length)).toBe(head);
    expect(kept.slice(-tail.length)).toBe(tail);
    // Cut once: cutting again changes nothing.
    expect(boundReason(kept)).toBe(kept);
  });

  it('never keeps half of a character that takes two UTF-16 units', () => {
    const kept = boundReason('😀'.repeat(MAX_REASON_CHARS), 101);
    expect(kept.length).toBeLessThanOrEqual(101);
    expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept);
    expect(kept).not.toContain('\uFFFD');
  });
});

describe('remedyOf', () => {
  it("says what each failure asks for: retry what may succeed as it is, suspend what would fail again, refuse an operator's request that does not apply", () => {
    const outage = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: {} });
    const cases: [unknown, string | undefined][] = [
      [new UncorrelatedMessage('Orders', 'order', 'o-1'), 'retry'],
      [new OwnershipLost('i-1', 3), 'retry'],
      [outage, 'retry'],
      [new Error('wrapped', { cause: outage }), 'retry'],
      [new InvalidMessage('no body'), 'suspend'],
      [new SchemaMismatch('Order', [{ path: '/total', message: 'must be a number' }]), 'suspend'],
      [new RoutingFailure('Mystery'), 'suspend'],
      [DefinitionCodeFailed.afterAttempts('charge', 3, new Error('card declined')), 'suspend'],
      // A race run twice, or an object lost for good: the hosts' retries, then a suspension.
      [new PayloadMissing('state/i-1/3/abc'), undefined],
      [new InstanceNotFound('i-9'), 'refuse'],
      // Neither Baton's nor an outage: retried a few times, then suspended (core/work-items.ts).
      [new TypeError('x is undefined'), undefined],
      ['a string', undefined],
    ];
    expect(cases.map(([error]) => remedyOf(error))).toEqual(cases.map(([, remedy]) => remedy));
  });

  it('names what a lost write collided with, when the store said', () => {
    const lost = new OwnershipLost('i-1', 3, {
      collided: { revision: 5, status: 'running', lease: { owner: 'h2/x', expiresAt: Date.UTC(2026, 11, 7, 12) } },
    });
    expect(lost.message).toBe(
      'instance i-1 is no longer at revision 3 or its lease is held by another host: it is running at revision 5, leased to h2/x until 2026-12-07T12:00:00.000Z',
    );
    expect(new OwnershipLost('i-1', 3).collided).toBeUndefined();
  });
});
