import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/**
 * A create carried an idempotency key whose session was made from different input, or has since been deleted or
 * has expired; nothing was stored.
 */
export class CheckoutSessionIdempotencyKeyReusedError extends CheckoutSessionCacheError {
  constructor(
    readonly idempotencyKey: string,
    reason: string,
  ) {
    super(`Idempotency key ${JSON.stringify(idempotencyKey)} ${reason}`);
  }
}
