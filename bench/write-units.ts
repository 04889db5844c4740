/**
 * Write units a MessageBox change cost, read from the change itself (the stream's old and new images), by
 * DynamoDB's published rules. The table's units are what the service reports per request (the request meter);
 * the emulator does not report its indexes' units, so they are counted here from the images of every change:
 * what was written, not an estimate of it.
 *
 * The rules (DynamoDB Developer Guide, "Provisioned throughput considerations for Global Secondary Indexes";
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations):
 *   - an item that enters an index (its key attributes now defined) costs one index write;
 *   - an item that leaves it (a key attribute removed, or the item deleted) costs one;
 *   - a change of an index key's value costs two (delete the old entry, put the new one);
 *   - a change of a projected non-key attribute, keys unchanged, costs one;
 *   - an item in neither image's index, or whose keys and projected attributes did not change, costs nothing.
 * Each index write is ceil(index entry size / 1 KB) units; entries here are keys and a short projected attribute,
 * well under 1 KB, so one unit each.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { MESSAGEBOX } from '../functions/settings.ts';

type Image = Record<string, AttributeValue>;

export interface IndexShape {
  readonly name: string;
  readonly keys: readonly string[];
  /** Non-key attributes the index projects (INCLUDE); none for KEYS_ONLY. */
  readonly projected: readonly string[];
}

/** The MessageBox's indexes, as provisioned (functions/settings.ts). */
export const MESSAGEBOX_INDEXES: readonly IndexShape[] = [
  {
    name: MESSAGEBOX.statusIndex.name,
    keys: [MESSAGEBOX.statusIndex.partitionKey, MESSAGEBOX.statusIndex.sortKey],
    projected: [],
  },
  {
    name: MESSAGEBOX.dueIndex.name,
    keys: [MESSAGEBOX.dueIndex.partitionKey, MESSAGEBOX.dueIndex.sortKey],
    projected: [...MESSAGEBOX.dueIndex.projected],
  },
];

const same = (a: AttributeValue | undefined, b: AttributeValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** Index writes one change of an item made, by index name. */
export function indexWrites(
  before: Image | undefined,
  after: Image | undefined,
  indexes: readonly IndexShape[] = MESSAGEBOX_INDEXES,
): Record<string, number> {
  const writes: Record<string, number> = {};
  for (const index of indexes) {
    const inBefore = before !== undefined && index.keys.every((k) => before[k] !== undefined);
    const inAfter = after !== undefined && index.keys.every((k) => after[k] !== undefined);
    let n = 0;
    if (inBefore && inAfter) {
      if (!index.keys.every((k) => same(before[k], after[k]))) n = 2;
      else if (!index.projected.every((k) => same(before[k], after[k]))) n = 1;
    } else if (inBefore || inAfter) n = 1;
    writes[index.name] = n;
  }
  return writes;
}

/** DynamoDB's size of an item (attribute names plus values, UTF-8), the basis of its capacity units. */
export function itemBytes(item: Image): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  // Numbers: about one byte per two significant digits, plus one (the guide's approximation).
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (value.B !== undefined) return (value.B as Uint8Array).length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.M)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  return 0;
}
