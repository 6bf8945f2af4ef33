import type {
  CheckoutSession,
  CheckoutSessionAvailability,
  CheckoutSessionPriceKey,
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
   * Creates a session with a fresh random id, status `CREATED`, `expiresAt = createdAt + TTL` and `holdExpiresAt =
   * createdAt + holdSeconds`. Never overwrites. With `options.idempotencyKey`, a retry of the same create returns the
   * session the first call made (throws `CheckoutSessionIdempotencyKeyReusedError` when the key was used for different
   * input or its session is gone). On a price with stock (`setStock`) it creates only if `held + sold + quantity ≤
   * stock`, and with `options.maxHeld` only if the live holds and this one fit in it, atomically; otherwise throws
   * `CheckoutSessionSoldOutError`. Every create counts in `held` while it holds.
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
   * `CheckoutSessionConflictError` when the transition is not allowed (`reason: 'HOLD_EXPIRED'` when the lapse of
   * its hold is why). Never renews `expiresAt`. Moving to `CONFIRMING` extends the hold once, to `now +
   * confirmingHoldSeconds` (never past `expiresAt`, never shorter). `COMPLETED` moves the tickets from held to sold
   * and `CANCELLED` releases them, atomically with the change; a lapsed `CONFIRMING` session may still complete (a
   * late payment) when its tickets are free.
   */
  updateStatus(id: string, status: CheckoutSessionStatus): Promise<CheckoutSession | null>;
  /** Deletes a session, releasing its hold atomically; deleting an absent one is not an error. */
  deleteById(id: string): Promise<void>;
  /**
   * Counts live sessions of an event (optionally one price, and one or several statuses) and sums their `quantity`.
   * For reporting: on DynamoDB it reads an eventually consistent index. Stock decisions are the library's (`setStock`, `availability`).
   */
  count(query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount>;
  /**
   * Tickets of one event/price held now by live holds, strongly consistent (a create that returned is in it). A
   * lapsed hold leaves it within the release bound (docs/holds.md). Costs one read, whatever the number of sessions.
   */
  held(query: CheckoutSessionHeldQuery): Promise<number>;
  /**
   * Sets the stock of one event/price: an integer ≥ 0, up or down. Lowering it below `held + sold` takes nothing
   * back; nothing new fits until holds free up.
   */
  setStock(price: CheckoutSessionPriceKey, total: number): Promise<void>;
  /** `{ stock, held, sold, available }` of one event/price from one strongly consistent read. */
  availability(price: CheckoutSessionPriceKey): Promise<CheckoutSessionAvailability>;
  /**
   * Takes `quantity` sold tickets of one event/price back into stock (a refund), atomically. More than are sold is
   * a `CheckoutSessionValidationError` that changes nothing.
   */
  returnTickets(price: CheckoutSessionPriceKey, quantity: number): Promise<void>;
  /** Resolves when the store answers; throws `CheckoutSessionStoreUnavailableError` when not. */
  ping(): Promise<void>;
}
