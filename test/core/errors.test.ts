import { describe, expect, it } from 'vitest';
import { MAX_REASON_CHARS, boundReason } from '../../functions/core/errors.ts';

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
