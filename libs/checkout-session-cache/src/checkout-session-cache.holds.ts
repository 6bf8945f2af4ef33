import type { CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Statuses in which a session holds its tickets. */
export const HOLDING_STATUSES: readonly CheckoutSessionStatus[] = ['CREATED', 'CONFIRMING'];

/** Whether a session in `status` holds its tickets. */
export const isHolding = (status: CheckoutSessionStatus): boolean => HOLDING_STATUSES.includes(status);

/**
 * How long after its end a bucket is released: a margin for clock skew between processes, so that no process whose
 * clock runs ahead releases a hold before its `expiresAt`. 1 s where the release bound leaves room for it (TTLs of
 * 100 s and more), none below.
 */
export const holdReleaseMarginMs = (ttlMs: number): number => (0.02 * ttlMs >= 2000 ? 1000 : 0);

/**
 * Width in seconds of a hold ledger's expiry buckets: 2 % of the TTL less the release margin, at least 1 s. A hold is
 * released when its bucket ends plus the margin: less than max(2 % of the TTL, 1 s) after the session's `expiresAt`,
 * and never before it.
 */
export const holdBucketSeconds = (ttlMs: number): number => Math.max(1, Math.floor((0.02 * ttlMs - holdReleaseMarginMs(ttlMs)) / 1000));

/** End (epoch seconds) of the bucket a hold expiring at `expiresAt` is released with: the next multiple of the width. */
export const holdBucketOf = (expiresAt: Date, ttlMs: number): number => {
  const width = holdBucketSeconds(ttlMs);
  return Math.ceil(expiresAt.getTime() / 1000 / width) * width;
};

/**
 * What a hold ledger of one event/price keeps: `held`, the tickets of every hold not yet released, and per bucket end
 * (epoch seconds) the tickets that bucket releases when it ends. `held` always equals the sum of the buckets.
 */
export interface HoldLedger {
  held: number;
  buckets: ReadonlyMap<number, number>;
}

/** The buckets of `ledger` released at `now` (epoch ms): ended at least `marginMs` ago. With their tickets. */
export const endedBuckets = (ledger: HoldLedger, now: number, marginMs: number): [bucket: number, tickets: number][] =>
  [...ledger.buckets].filter(([bucket]) => bucket * 1000 + marginMs <= now);

/** Tickets held at `now`: the ledger's total less what released buckets held. */
export const liveHeld = (ledger: HoldLedger, now: number, marginMs: number): number =>
  endedBuckets(ledger, now, marginMs).reduce((held, [, tickets]) => held - tickets, ledger.held);
