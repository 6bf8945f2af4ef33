import type { CheckoutSessionStatus } from '../interfaces/checkout-session.interface.js';
import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/**
 * Why a status change was refused: `TRANSITION_NOT_ALLOWED`, the state machine has no such step from the current
 * status; `HOLD_EXPIRED`, the step needs a hold that has lapsed (or, for a late payment, tickets no longer free).
 */
export type CheckoutSessionConflictReason = 'TRANSITION_NOT_ALLOWED' | 'HOLD_EXPIRED';

/** The requested status change is not allowed from the session's current status; `reason` says why. */
export class CheckoutSessionConflictError extends CheckoutSessionCacheError {
  constructor(
    readonly id: string,
    readonly currentStatus: CheckoutSessionStatus,
    readonly requestedStatus: CheckoutSessionStatus,
    readonly reason: CheckoutSessionConflictReason = 'TRANSITION_NOT_ALLOWED',
  ) {
    super(
      reason === 'HOLD_EXPIRED'
        ? `Checkout session ${id} cannot move from ${currentStatus} to ${requestedStatus}: its hold has expired`
        : `Checkout session ${id} cannot move from ${currentStatus} to ${requestedStatus}`,
    );
  }
}
