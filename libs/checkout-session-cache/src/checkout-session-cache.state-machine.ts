import type { CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Every status a checkout session can have. */
export const CHECKOUT_SESSION_STATUSES = ['CREATED', 'CONFIRMING', 'COMPLETED', 'CANCELLED'] as const;

/**
 * Allowed transitions: `CREATED → CONFIRMING | CANCELLED`, `CONFIRMING → COMPLETED | CANCELLED | CREATED`.
 * `COMPLETED` and `CANCELLED` are final.
 */
export const CHECKOUT_SESSION_TRANSITIONS: Readonly<Record<CheckoutSessionStatus, readonly CheckoutSessionStatus[]>> = {
  CREATED: ['CONFIRMING', 'CANCELLED'],
  CONFIRMING: ['COMPLETED', 'CANCELLED', 'CREATED'],
  COMPLETED: [],
  CANCELLED: [],
};
