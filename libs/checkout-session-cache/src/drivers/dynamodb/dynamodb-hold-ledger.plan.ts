import { endedBuckets, type HoldLedger } from '../../checkout-session-cache.holds.js';
import type { LedgerChange } from './dynamodb-checkout-session.commands.js';

/** What one create or release does to its price's ledger. */
export interface LedgerEntry {
  /** Tickets added (a create, > 0) or taken (a release, < 0). */
  readonly delta: number;
  /** End of the bucket (epoch seconds) the tickets are added to or taken from. */
  readonly bucket: number;
  /** A create's `maxHeld`: it fits if the tickets held before it plus its own are at most this. */
  readonly maxHeld?: number;
}

/** What the ledger returned with a failed condition says of one entry. */
export type LedgerVerdict =
  /** It fits after the entries before it that go: send it again. */
  | { readonly verdict: 'go' }
  /** It fits on its own but not after the creates before it: decide it in the next transaction, once those are known. */
  | { readonly verdict: 'defer' }
  /** A create that does not fit whatever the others do: refused, with what its `maxHeld` leaves free. */
  | { readonly verdict: 'soldOut'; readonly available: number }
  /** A release whose bucket was released already: by the ledger's clock its session has expired. */
  | { readonly verdict: 'bucketReleased' };

/**
 * The ledger change of one transaction holding `entries` in this order (releases before creates, so the creates get
 * the room the releases free), releasing the `ended` buckets in the same write. Each create's own `maxHeld` is decided
 * as if the entries were applied one by one: create i fits when `held − ended + (deltas before i) + delta_i ≤ maxHeld_i`,
 * so the write is conditioned on `held` being at most the smallest of those bounds.
 */
export function ledgerChange(entries: readonly LedgerEntry[], ended: readonly (readonly [number, number])[] = []): LedgerChange {
  const deltas = new Map<number, number>();
  const mustExist = new Set<number>();
  const endedTotal = ended.reduce((sum, [, tickets]) => sum + tickets, 0);
  let before = 0;
  let limit: number | undefined;
  for (const { delta, bucket, maxHeld } of entries) {
    deltas.set(bucket, (deltas.get(bucket) ?? 0) + delta);
    if (delta < 0) mustExist.add(bucket);
    if (maxHeld !== undefined) limit = Math.min(limit ?? Infinity, maxHeld - delta - before + endedTotal);
    before += delta;
  }
  return { deltas, mustExist: [...mustExist], ended, ...(limit !== undefined && { limit }) };
}

/**
 * Reads the ledger DynamoDB returned with a transaction's failed ledger condition: which ended buckets to release in
 * the next write, and a verdict per entry (in the given order). A create is refused only when it does not fit even
 * with every release of the batch (so only in a state that existed: before those releases); one that fits on its own
 * but not after the creates ahead of it waits for the next transaction instead, since those may yet fail, and so does
 * every create after it: creates are decided in the order they were made, as the memory driver decides them.
 */
export function replanLedger(
  ledger: HoldLedger,
  entries: readonly LedgerEntry[],
  now: number,
  marginMs: number,
): { ended: [bucket: number, tickets: number][]; verdicts: LedgerVerdict[] } {
  const ended = endedBuckets(ledger, now, marginMs);
  const endedSet = new Set(ended.map(([bucket]) => bucket));
  const live = ended.reduce((held, [, tickets]) => held - tickets, ledger.held);
  const releasable = (entry: LedgerEntry) => ledger.buckets.has(entry.bucket) && !endedSet.has(entry.bucket);
  const released = entries.reduce((sum, entry) => sum + (entry.delta < 0 && releasable(entry) ? entry.delta : 0), 0);
  let running = live + released;
  // Creates are decided in call order: once one waits, every create after it waits too.
  let waiting = false;
  const verdicts = entries.map((entry): LedgerVerdict => {
    if (entry.delta < 0) return releasable(entry) ? { verdict: 'go' } : { verdict: 'bucketReleased' };
    if (entry.maxHeld !== undefined && live + released + entry.delta > entry.maxHeld && !waiting) {
      return { verdict: 'soldOut', available: Math.max(0, entry.maxHeld - live) };
    }
    if (waiting || (entry.maxHeld !== undefined && running + entry.delta > entry.maxHeld)) {
      waiting = true;
      return { verdict: 'defer' };
    }
    running += entry.delta;
    return { verdict: 'go' };
  });
  return { ended, verdicts };
}
