import { endedBuckets, type HoldLedger, liveHeld } from '../../checkout-session-cache.holds.js';
import type { LedgerChange } from './dynamodb-checkout-session.commands.js';

/**
 * What one call does to its price's ledger (docs/holds.md). The ledger keeps `held` (by bucket), `sold`, the `stock`
 * when set, and `free` = (stock or 0) − held − sold, kept by every write so that a condition can test the stock.
 * - `hold`: a create; held +quantity in `bucket`, within `maxHeld` when given and within the stock when set;
 * - `release`: a cancel, delete or an expired session's end; held −quantity from `bucket`, which must still be there;
 * - `sell`: a completion; its tickets move from `bucket` (which must still be there) to sold;
 * - `resell`: a late completion whose bucket was released: sold +quantity, within the stock when set;
 * - `move`: a hold extended; its tickets move from `bucket` (which must still be there) to `to`;
 * - `return`: sold −quantity, only while at least that many are sold;
 * - `stock`: sets the stock to `total`, conditioned on it being `previous` (`null`: never set).
 */
export type LedgerEntry =
  | { readonly kind: 'hold'; readonly quantity: number; readonly bucket: number; readonly maxHeld?: number }
  | { readonly kind: 'release' | 'sell'; readonly quantity: number; readonly bucket: number }
  | { readonly kind: 'resell' | 'return'; readonly quantity: number }
  | { readonly kind: 'move'; readonly quantity: number; readonly bucket: number; readonly to: number }
  | { readonly kind: 'stock'; readonly total: number; readonly previous: number | null };

/** Whether an entry takes tickets from the stock (and so is decided in call order, after the entries that free some). */
export const takesTickets = (entry: LedgerEntry): boolean => entry.kind === 'hold' || entry.kind === 'resell';

/** What an entry changes: held, sold, free, per bucket, and the bucket it needs to still be there. */
function effectOf(entry: LedgerEntry): { held: number; sold: number; free: number; buckets: [number, number][]; needs?: number } {
  switch (entry.kind) {
    case 'hold':
      return { held: entry.quantity, sold: 0, free: -entry.quantity, buckets: [[entry.bucket, entry.quantity]] };
    case 'release':
      return { held: -entry.quantity, sold: 0, free: entry.quantity, buckets: [[entry.bucket, -entry.quantity]], needs: entry.bucket };
    case 'sell':
      return { held: -entry.quantity, sold: entry.quantity, free: 0, buckets: [[entry.bucket, -entry.quantity]], needs: entry.bucket };
    case 'resell':
      return { held: 0, sold: entry.quantity, free: -entry.quantity, buckets: [] };
    case 'move':
      return { held: 0, sold: 0, free: 0, buckets: [[entry.bucket, -entry.quantity], [entry.to, entry.quantity]], needs: entry.bucket };
    case 'return':
      return { held: 0, sold: -entry.quantity, free: entry.quantity, buckets: [] };
    case 'stock':
      return { held: 0, sold: 0, free: entry.total - (entry.previous ?? 0), buckets: [] };
  }
}

/**
 * A ledger of an earlier version (`held` without `free`) adopted by this write: `free` is set from `held` as read,
 * conditioned on it, since that version had neither stock nor sold.
 */
export interface LedgerAdoption {
  readonly held: number;
}

/**
 * The ledger change of one transaction of `entries` in this order (the entries that free tickets before those that
 * take some, so these get the room those free), releasing the `ended` buckets in the same write. Each limit is decided
 * as if the entries were applied one by one: a hold i with `maxHeld` fits when `held − ended + (held changes before i)
 * + quantity_i ≤ maxHeld_i`, and an entry i that takes tickets when `free + ended + (free changes before i) ≥
 * quantity_i`; conditions cannot add, so the write is conditioned on `held` being at most the smallest bound and `free`
 * at least the largest need. Returns are decided likewise against `sold`.
 */
export function ledgerChange(
  entries: readonly LedgerEntry[],
  ended: readonly (readonly [number, number])[] = [],
  adopt?: LedgerAdoption,
): LedgerChange {
  const deltas = new Map<number, number>();
  const mustExist = new Set<number>();
  const endedTotal = ended.reduce((sum, [, tickets]) => sum + tickets, 0);
  let held = 0;
  let sold = 0;
  let free = 0;
  let minSold: number | undefined;
  let limit: number | undefined;
  let need: number | undefined;
  let stock: LedgerChange['stock'];
  for (const entry of entries) {
    const effect = effectOf(entry);
    if (entry.kind === 'hold' && entry.maxHeld !== undefined) limit = Math.min(limit ?? Infinity, entry.maxHeld - entry.quantity - held + endedTotal);
    if (takesTickets(entry)) need = Math.max(need ?? -Infinity, -effect.free - free - endedTotal);
    // A return fits when what is sold before the write, with the changes of sold before it, covers it.
    if (entry.kind === 'return') minSold = Math.max(minSold ?? -Infinity, entry.quantity - sold);
    if (entry.kind === 'stock') stock = { total: entry.total, previous: entry.previous };
    for (const [bucket, delta] of effect.buckets) deltas.set(bucket, (deltas.get(bucket) ?? 0) + delta);
    if (effect.needs !== undefined) mustExist.add(effect.needs);
    held += effect.held;
    sold += effect.sold;
    free += effect.free;
  }
  return {
    deltas,
    mustExist: [...mustExist],
    ended,
    held,
    sold,
    free,
    ...(limit !== undefined && { limit }),
    ...(need !== undefined && { need }),
    ...(minSold !== undefined && { minSold }),
    ...(stock !== undefined && { stock }),
    ...(adopt !== undefined && { adopt }),
  };
}

/** What the ledger returned with a failed condition says of one entry. */
export type LedgerVerdict =
  /** It fits after the entries before it that go: send it again. */
  | { readonly verdict: 'go' }
  /** It fits on its own but not after the entries before it that take tickets: decide it in the next transaction. */
  | { readonly verdict: 'defer' }
  /** It takes tickets that are not there whatever the others do: refused, with the room there is. */
  | { readonly verdict: 'soldOut'; readonly available: number }
  /** It needs a bucket that was released already: by the ledger's clock its hold has lapsed. */
  | { readonly verdict: 'bucketReleased' }
  /** A return of more than is sold. */
  | { readonly verdict: 'notSold'; readonly sold: number }
  /** A stock change made from a stale read: the stock is now `stock`. */
  | { readonly verdict: 'stale'; readonly stock: number | null };

/** A ledger as read: with `free` when this version wrote it, and whether the item exists at all. */
export type StoredLedger = HoldLedger & { readonly free?: number; readonly exists: boolean };

/** The ledger as planned on: `free` as this version keeps it (set from `held` for an earlier version's ledger). */
const freeOf = (ledger: StoredLedger): number => ledger.free ?? (ledger.stock ?? 0) - ledger.held - ledger.sold;

/**
 * Reads the ledger DynamoDB returned with a transaction's failed condition: which ended buckets to release in the next
 * write, whether to adopt a ledger of an earlier version, and a verdict per entry (in the given order). An entry that
 * takes tickets is refused only when it does not fit even with every entry of the batch that frees some (so only in a
 * state that existed: before those); one that fits on its own but not after those ahead of it waits for the next
 * transaction instead, since those may yet fail, and so does every one after it: they are decided in call order, as
 * the memory driver decides them.
 */
export function replanLedger(
  ledger: StoredLedger,
  entries: readonly LedgerEntry[],
  now: number,
): { ended: [bucket: number, tickets: number][]; adopt?: LedgerAdoption; verdicts: LedgerVerdict[] } {
  const ended = endedBuckets(ledger, now);
  const endedSet = new Set(ended.map(([bucket]) => bucket));
  const held = liveHeld(ledger, now);
  const free = freeOf(ledger) + (ledger.held - held);
  const releasable = (bucket: number) => ledger.buckets.has(bucket) && !endedSet.has(bucket);
  const stockSet = ledger.stock !== undefined;
  // What the entries that go and free tickets give back, to hold and to free, before any entry that takes some.
  let sold = ledger.sold;
  let heldBack = 0;
  let freeBack = 0;
  const early = entries.map((entry): LedgerVerdict | undefined => {
    switch (entry.kind) {
      case 'stock':
        if ((ledger.stock ?? null) !== entry.previous) return { verdict: 'stale', stock: ledger.stock ?? null };
        freeBack += entry.total - (entry.previous ?? 0);
        return { verdict: 'go' };
      case 'return':
        if (sold < entry.quantity) return { verdict: 'notSold', sold };
        sold -= entry.quantity;
        freeBack += entry.quantity;
        return { verdict: 'go' };
      case 'release':
      case 'sell':
      case 'move':
        if (!releasable(entry.bucket)) return { verdict: 'bucketReleased' };
        if (entry.kind === 'sell') sold += entry.quantity;
        if (entry.kind !== 'move') heldBack += entry.quantity;
        if (entry.kind === 'release') freeBack += entry.quantity;
        return { verdict: 'go' };
      default:
        return undefined;
    }
  });
  let runningHeld = held - heldBack;
  let runningFree = free + freeBack;
  const withStock = stockSet || entries.some((entry) => entry.kind === 'stock');
  let waiting = false;
  const verdicts = entries.map((entry, i): LedgerVerdict => {
    if (early[i] !== undefined) return early[i];
    if (entry.kind !== 'hold' && entry.kind !== 'resell') return { verdict: 'go' };
    const maxHeld = entry.kind === 'hold' ? entry.maxHeld : undefined;
    const fitsAlone =
      (maxHeld === undefined || held - heldBack + entry.quantity <= maxHeld) && (!withStock || free + freeBack >= entry.quantity);
    if (!fitsAlone && !waiting) {
      const rooms = [...(maxHeld === undefined ? [] : [maxHeld - held]), ...(withStock ? [free] : [])];
      return { verdict: 'soldOut', available: Math.max(0, Math.min(...rooms)) };
    }
    const fits = (maxHeld === undefined || runningHeld + entry.quantity <= maxHeld) && (!withStock || runningFree >= entry.quantity);
    if (waiting || !fits) {
      waiting = true;
      return { verdict: 'defer' };
    }
    if (entry.kind === 'hold') runningHeld += entry.quantity;
    runningFree -= entry.quantity;
    return { verdict: 'go' };
  });
  const adopt = ledger.exists && ledger.free === undefined ? { held: ledger.held } : undefined;
  return { ended, verdicts, ...(adopt !== undefined && { adopt }) };
}
