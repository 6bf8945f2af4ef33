import type { CheckoutSessionAvailability, CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Statuses in which a session holds its tickets (while its hold has not lapsed). */
export const HOLDING_STATUSES: readonly CheckoutSessionStatus[] = ['CREATED', 'CONFIRMING'];

/** Whether a session in `status` holds its tickets. */
export const isHolding = (status: CheckoutSessionStatus): boolean => HOLDING_STATUSES.includes(status);

/**
 * A margin for clock skew between processes, added before a hold's bucket ends, so that no process whose clock runs
 * ahead releases a hold before its `holdExpiresAt`: 1 s where the release bound leaves room for it (hold windows of
 * 100 s and more), none below.
 */
export const holdReleaseMarginMs = (windowMs: number): number => (0.02 * windowMs >= 2000 ? 1000 : 0);

/**
 * Width in seconds of the ledger buckets of holds of a `windowMs` window: 2 % of the window less the release margin,
 * at least 1 s. A hold is released when its bucket ends: less than max(2 % of the window, 1 s) after the session's
 * `holdExpiresAt`, and never before it.
 */
export const holdBucketSeconds = (windowMs: number): number => Math.max(1, Math.floor((0.02 * windowMs - holdReleaseMarginMs(windowMs)) / 1000));

/**
 * End (epoch seconds) of the bucket that releases a hold lapsing at `holdExpiresAt` after a `windowMs` window: the
 * first multiple of the width at or after `holdExpiresAt` plus the margin. The ledger releases it once `now >= end`.
 */
export const holdBucketOf = (holdExpiresAt: Date, windowMs: number): number => {
  const width = holdBucketSeconds(windowMs);
  return Math.ceil((holdExpiresAt.getTime() + holdReleaseMarginMs(windowMs)) / 1000 / width) * width;
};

/**
 * What the ledger of one event/price keeps: `held`, the tickets of every hold not yet released, and per bucket end
 * (epoch seconds) the tickets that bucket releases when it ends (`held` always equals their sum); `sold`; and the
 * `stock` set by `setStock`, if any.
 */
export interface HoldLedger {
  held: number;
  buckets: ReadonlyMap<number, number>;
  sold: number;
  stock?: number;
}

/** The buckets of `ledger` released at `now` (epoch ms): those whose end has come. With their tickets. */
export const endedBuckets = (ledger: Pick<HoldLedger, 'buckets'>, now: number): [bucket: number, tickets: number][] =>
  [...ledger.buckets].filter(([bucket]) => bucket * 1000 <= now);

/** Tickets held at `now`: the ledger's total less what released buckets held. */
export const liveHeld = (ledger: Pick<HoldLedger, 'held' | 'buckets'>, now: number): number =>
  endedBuckets(ledger, now).reduce((held, [, tickets]) => held - tickets, ledger.held);

/** Tickets a create may still take at `now`: `stock − held − sold` (at least 0), or `null` without stock. */
export const freeOf = (ledger: HoldLedger, now: number): number | null =>
  ledger.stock === undefined ? null : Math.max(0, ledger.stock - liveHeld(ledger, now) - ledger.sold);

/** The availability of the price `ledger` keeps, at `now`. */
export const availabilityOf = (ledger: HoldLedger, now: number): CheckoutSessionAvailability => ({
  stock: ledger.stock ?? null,
  held: liveHeld(ledger, now),
  sold: ledger.sold,
  available: freeOf(ledger, now),
});

/**
 * What a create of `quantity` may still take at `now` under `maxHeld` (when given) and the stock (when set): the
 * smaller room, or `null` when neither limits it.
 */
export const roomOf = (ledger: HoldLedger, maxHeld: number | undefined, now: number): number | null => {
  const free = freeOf(ledger, now);
  const underMax = maxHeld === undefined ? null : Math.max(0, maxHeld - liveHeld(ledger, now));
  if (free === null) return underMax;
  return underMax === null ? free : Math.min(free, underMax);
};
