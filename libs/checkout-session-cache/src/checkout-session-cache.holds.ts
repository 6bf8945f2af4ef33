import type { CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Statuses in which a session holds its tickets. */
export const HOLDING_STATUSES: readonly CheckoutSessionStatus[] = ['CREATED', 'CONFIRMING'];

/** Whether a session in `status` holds its tickets. */
export const isHolding = (status: CheckoutSessionStatus): boolean => HOLDING_STATUSES.includes(status);

/**
 * Width in seconds of a hold ledger's expiry buckets: 2 % of the TTL, at least 1 s. A hold is released when its
 * bucket ends, at most this long after the session's `expiresAt` and never before it.
 */
export const holdBucketSeconds = (ttlMs: number): number => Math.max(1, Math.floor((ttlMs / 1000) * 0.02));

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

/** The buckets of `ledger` that have ended at `now` (epoch ms), with their tickets. */
export const endedBuckets = (ledger: HoldLedger, now: number): [bucket: number, tickets: number][] =>
  [...ledger.buckets].filter(([bucket]) => bucket * 1000 <= now);

/** Tickets held at `now`: the ledger's total less what ended buckets release. */
export const liveHeld = (ledger: HoldLedger, now: number): number =>
  endedBuckets(ledger, now).reduce((held, [, tickets]) => held - tickets, ledger.held);
