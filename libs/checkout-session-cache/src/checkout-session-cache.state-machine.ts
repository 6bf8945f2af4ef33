import type { CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Every status a checkout session can have; `EXPIRED` is reached by a lapse of the hold, never set. */
export const CHECKOUT_SESSION_STATUSES = ['CREATED', 'CONFIRMING', 'COMPLETED', 'CANCELLED', 'EXPIRED'] as const;

/**
 * Allowed transitions: `CREATED → CONFIRMING | CANCELLED`, `CONFIRMING → COMPLETED | CANCELLED | CREATED`,
 * `EXPIRED → COMPLETED` (only for a session that was `CONFIRMING`: a late payment, when its tickets are still free)
 * `| CANCELLED`. `COMPLETED` and `CANCELLED` are final.
 */
export const CHECKOUT_SESSION_TRANSITIONS: Readonly<Record<CheckoutSessionStatus, readonly CheckoutSessionStatus[]>> = {
  CREATED: ['CONFIRMING', 'CANCELLED'],
  CONFIRMING: ['COMPLETED', 'CANCELLED', 'CREATED'],
  COMPLETED: [],
  CANCELLED: [],
  EXPIRED: ['COMPLETED', 'CANCELLED'],
};

/** The statuses `updateStatus` can move a session to: every status but `EXPIRED`. */
export const CHECKOUT_SESSION_TARGET_STATUSES = ['CREATED', 'CONFIRMING', 'COMPLETED', 'CANCELLED'] as const;
