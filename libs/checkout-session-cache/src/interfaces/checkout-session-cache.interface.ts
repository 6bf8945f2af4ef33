import type {
  CheckoutSession,
  CheckoutSessionCreateOptions,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionStatus,
  NewCheckoutSession,
} from './checkout-session.interface.js';

/**
 * The port: keeps checkout sessions for a fixed TTL. Expired sessions are absent from every read, count and update.
 * Invalid arguments throw `CheckoutSessionValidationError` before any I/O; store failures throw
 * `CheckoutSessionStoreUnavailableError`.
 */
export interface CheckoutSessionCache {
  /**
   * Creates a session with a fresh random id, status `CREATED`, `expiresAt = createdAt + TTL`. Never overwrites.
   * With `options.idempotencyKey`, a retry of the same create returns the session the first call made (throws
   * `CheckoutSessionIdempotencyKeyReusedError` when the key was used for different input or its session is gone).
   */
  create(input: NewCheckoutSession, options?: CheckoutSessionCreateOptions): Promise<CheckoutSession>;
  /** The session, or `null` when absent or expired. */
  getById(id: string): Promise<CheckoutSession | null>;
  /**
   * Atomically moves a session to `status`. Returns the updated session, `null` when absent or expired, and throws
   * `CheckoutSessionConflictError` when the transition is not allowed. Never renews `expiresAt`.
   */
  updateStatus(id: string, status: CheckoutSessionStatus): Promise<CheckoutSession | null>;
  /** Deletes a session; deleting an absent one is not an error. */
  deleteById(id: string): Promise<void>;
  /** Counts live sessions of an event (optionally one price and one status) and sums their `quantity`. */
  count(query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount>;
  /** Resolves when the store answers; throws `CheckoutSessionStoreUnavailableError` when not. */
  ping(): Promise<void>;
}
