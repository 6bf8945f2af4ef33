import { CheckoutSessionCacheError } from './checkout-session-cache.error.js';

/** The store did not answer (after the SDK's retries) or failed; `cause` holds the underlying error. */
export class CheckoutSessionStoreUnavailableError extends CheckoutSessionCacheError {}
