import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/**
 * A create was refused: live holds of the event/price plus `requested` would exceed its `maxHeld`, or its stock less
 * what is held and sold.
 * `available` is what could still be held at the time of the decision (≥ 0).
 */
export class CheckoutSessionSoldOutError extends CheckoutSessionCacheError {
  constructor(
    readonly eventId: string,
    readonly priceId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`Only ${available} ticket(s) available to hold for event ${eventId}, price ${priceId}: ${requested} requested`);
  }
}
