import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/** The module's configuration (env or options in code) is invalid; start-up stops with this error. */
export class CheckoutSessionCacheConfigError extends CheckoutSessionCacheError {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid checkout-session-cache configuration: ${issues.join('; ')}`);
  }
}
