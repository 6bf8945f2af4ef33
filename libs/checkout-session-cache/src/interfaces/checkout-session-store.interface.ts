import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionStatus,
} from './checkout-session.interface.js';

/** Outcome of a conditional status change. */
export type CheckoutSessionTransitionResult =
  | { readonly outcome: 'updated'; readonly session: CheckoutSession }
  | { readonly outcome: 'absent' }
  | { readonly outcome: 'conflict'; readonly current: CheckoutSessionStatus };

/** Outcome of an insert: stored, or an earlier create with the same idempotency key holds `existingId`. */
export type CheckoutSessionInsertResult = { readonly outcome: 'created' } | { readonly outcome: 'replayed'; readonly existingId: string };

/**
 * What a storage driver implements. Arguments are already validated; `now` is epoch ms from the module's clock and a
 * session with `expiresAt <= now` must be treated as absent.
 */
export interface CheckoutSessionStore {
  /** Short name used in logs (`memory`, `dynamodb`). */
  readonly driver: string;
  /**
   * Stores a new session; throws `CheckoutSessionAlreadyExistsError` rather than overwrite. With an idempotency key,
   * stores the session and a record of the key (living as long as the session) atomically, unless a live record of
   * that key exists: then stores nothing and returns the id the key points to.
   */
  insert(session: CheckoutSession, idempotencyKey: string | undefined, now: number): Promise<CheckoutSessionInsertResult>;
  /** The live session with this id, or `null`. */
  get(id: string, now: number): Promise<CheckoutSession | null>;
  /** Sets `status` to `to` only if the session is live and its status is one of `from`, atomically. */
  transition(
    id: string,
    from: readonly CheckoutSessionStatus[],
    to: CheckoutSessionStatus,
    now: number,
  ): Promise<CheckoutSessionTransitionResult>;
  /** Removes the session if present. */
  delete(id: string): Promise<void>;
  /** Counts live sessions that match and sums their quantity. */
  count(query: CheckoutSessionCountQuery, now: number): Promise<CheckoutSessionCount>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  /** Start-up work (checks, optional provisioning). */
  init(): Promise<void>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
