import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionHeldQuery,
  CheckoutSessionStatus,
} from './checkout-session.interface.js';

/** Outcome of a conditional status change. */
export type CheckoutSessionTransitionResult =
  | { readonly outcome: 'updated'; readonly session: CheckoutSession }
  | { readonly outcome: 'absent' }
  | { readonly outcome: 'conflict'; readonly current: CheckoutSessionStatus };

/**
 * Outcome of an insert: stored; or an earlier create with the same idempotency key holds `existingId`; or the hold
 * did not fit in `maxHeld` and `available` tickets could still be held.
 */
export type CheckoutSessionInsertResult =
  | { readonly outcome: 'created' }
  | { readonly outcome: 'replayed'; readonly existingId: string }
  | { readonly outcome: 'soldOut'; readonly available: number };

/** A validated count query: `status` is a list of distinct statuses when given. */
export interface CheckoutSessionCountFilter {
  readonly eventId: string;
  readonly priceId?: string;
  readonly status?: readonly CheckoutSessionStatus[];
}

/** How an insert holds its tickets: the bucket (epoch seconds) that releases them at the latest, and the limit. */
export interface CheckoutSessionHold {
  readonly bucket: number;
  readonly maxHeld?: number;
}

/**
 * What a storage driver implements: the two built-in drivers, or an app's own store given to the module's `store`
 * option. The module validates every argument before calling it and builds new sessions itself; `now` is epoch ms
 * from the module's clock and a session with `expiresAt <= now` must be treated as absent. Each method must be atomic
 * under concurrent calls. `describeCheckoutSessionStoreContract` (`@ticketoffice/checkout-session-cache/testing`)
 * checks an implementation against the port's contract.
 */
export interface CheckoutSessionStore {
  /** Short name used in logs (`memory`, `dynamodb`). */
  readonly driver: string;
  /**
   * Stores a new session; throws `CheckoutSessionAlreadyExistsError` rather than overwrite. With an idempotency key,
   * stores the session and a record of the key (living as long as the session) atomically, unless a live record of
   * that key exists: then stores nothing and returns the id the key points to. Adds the session's quantity to the
   * event/price's hold ledger in the same atomic step, only if it fits in `hold.maxHeld` when given.
   */
  insert(
    session: CheckoutSession,
    hold: CheckoutSessionHold,
    idempotencyKey: string | undefined,
    now: number,
  ): Promise<CheckoutSessionInsertResult>;
  /** The live session with this id, or `null`; `consistent` asks for a strongly consistent read whatever the options. */
  get(id: string, now: number, consistent?: boolean): Promise<CheckoutSession | null>;
  /**
   * Sets `status` to `to` only if the session is live and its status is one of `from`, atomically; releases the hold
   * in the same step when `to` holds nothing.
   */
  transition(
    id: string,
    from: readonly CheckoutSessionStatus[],
    to: CheckoutSessionStatus,
    now: number,
  ): Promise<CheckoutSessionTransitionResult>;
  /** Removes the session if present, releasing its hold in the same step. */
  delete(id: string, now: number): Promise<void>;
  /** Counts live sessions that match and sums their quantity. */
  count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount>;
  /** Tickets held at `now` by the event/price's live holds, from its ledger (strongly consistent). */
  held(query: CheckoutSessionHeldQuery, now: number): Promise<number>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  /** Start-up work (checks, optional provisioning). */
  init(): Promise<void>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
