import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/** An argument is invalid; thrown before any I/O. `issues` lists what is wrong, one message per problem. */
export class CheckoutSessionValidationError extends CheckoutSessionCacheError {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid checkout session input: ${issues.join('; ')}`);
  }
}
