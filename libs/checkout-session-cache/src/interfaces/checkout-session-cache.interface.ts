import type {
  CheckoutSession,
  CheckoutSessionCreateOptions,
  CheckoutSessionCreateResult,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionHeldQuery,
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
   * With `options.maxHeld`, creates only if the live holds of the event/price and this one fit in it, atomically;
   * otherwise throws `CheckoutSessionSoldOutError`. Every create counts in `held` while it holds.
   */
  create(input: NewCheckoutSession, options?: CheckoutSessionCreateOptions): Promise<CheckoutSession>;
  /**
   * `create`, telling a replay apart: `replayed` is `true` when an earlier create with the same idempotency key and
   * input made the session (an HTTP API answers it with `Idempotent-Replayed: true`). Same errors as `create`.
   */
  createOrReplay(input: NewCheckoutSession, options?: CheckoutSessionCreateOptions): Promise<CheckoutSessionCreateResult>;
  /** The session, or `null` when absent or expired. */
  getById(id: string): Promise<CheckoutSession | null>;
  /**
   * Atomically moves a session to `status`. Returns the updated session, `null` when absent or expired, and throws
   * `CheckoutSessionConflictError` when the transition is not allowed. Never renews `expiresAt`. Moving to
   * `COMPLETED` or `CANCELLED` releases the hold atomically with the change.
   */
  updateStatus(id: string, status: CheckoutSessionStatus): Promise<CheckoutSession | null>;
  /** Deletes a session, releasing its hold atomically; deleting an absent one is not an error. */
  deleteById(id: string): Promise<void>;
  /**
   * Counts live sessions of an event (optionally one price, and one or several statuses) and sums their `quantity`.
   * For reporting: on DynamoDB it reads an eventually consistent index. Stock decisions use `maxHeld` and `held`.
   */
  count(query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount>;
  /**
   * Tickets of one event/price held now by live `CREATED`/`CONFIRMING` sessions, strongly consistent (a create that
   * returned is in it). An expired hold leaves it within the release bound (docs/holds.md). Costs one read, whatever
   * the number of sessions.
   */
  held(query: CheckoutSessionHeldQuery): Promise<number>;
  /** Resolves when the store answers; throws `CheckoutSessionStoreUnavailableError` when not. */
  ping(): Promise<void>;
}
