import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/** A create found a different session under the same id; nothing was overwritten. */
export class CheckoutSessionAlreadyExistsError extends CheckoutSessionCacheError {
  constructor(readonly id: string) {
    super(`Checkout session ${id} already exists`);
  }
}
