import type { CheckoutSessionStatus } from '../interfaces/checkout-session.interface.js';
import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/** The requested status change is not allowed from the session's current status. */
export class CheckoutSessionConflictError extends CheckoutSessionCacheError {
  constructor(
    readonly id: string,
    readonly currentStatus: CheckoutSessionStatus,
    readonly requestedStatus: CheckoutSessionStatus,
  ) {
    super(`Checkout session ${id} cannot move from ${currentStatus} to ${requestedStatus}`);
  }
}
