import type { CheckoutSessionConflictReason } from '../errors/checkout-session-conflict.error.js';
import type {
  CheckoutSession,
  CheckoutSessionAvailability,
  CheckoutSessionCount,
  CheckoutSessionPriceKey,
  CheckoutSessionStatus,
  CheckoutSessionStoredStatus,
} from './checkout-session.interface.js';

/**
 * A session as a store keeps it: its stored status (never `EXPIRED`, which the port reads from `holdExpiresAt`) and
 * whether moving to `CONFIRMING` extended its hold already (it extends once).
 */
export interface StoredCheckoutSession extends Omit<CheckoutSession, 'status'> {
  status: CheckoutSessionStoredStatus;
  holdExtended?: boolean;
}

/**
 * What a status change does to the session's tickets, applied by the store atomically with the change:
 * - `keep`: nothing;
 * - `extend`: moves the hold to the ledger bucket `bucket` (of the new `holdExpiresAt`); when the hold's own bucket
 *   was released already, the store changes nothing and answers `lapsed`;
 * - `release`: gives the tickets back, unless the lapse released them already;
 * - `sell`: moves the tickets from held to sold; when the lapse released them already, sells them again only if the
 *   price's stock has room (`held + sold + quantity ≤ stock`, always for a price without stock), else changes nothing
 *   and answers `lapsed`.
 */
export type CheckoutSessionHoldChange =
  | { readonly kind: 'keep' }
  | { readonly kind: 'extend'; readonly bucket: number }
  | { readonly kind: 'release' }
  | { readonly kind: 'sell' };

/** What the port decides of a status change, from the session as stored: the change to write, or a refusal. */
export type CheckoutSessionTransitionDecision =
  | {
      readonly outcome: 'change';
      readonly status: CheckoutSessionStoredStatus;
      readonly holdExpiresAt: Date;
      readonly holdExtended: boolean;
      readonly hold: CheckoutSessionHoldChange;
    }
  | { readonly outcome: 'refuse'; readonly current: CheckoutSessionStatus; readonly reason: CheckoutSessionConflictReason };

/** Outcome of a conditional status change. */
export type CheckoutSessionTransitionResult =
  | { readonly outcome: 'updated'; readonly session: StoredCheckoutSession }
  | { readonly outcome: 'absent' }
  | { readonly outcome: 'refused'; readonly current: CheckoutSessionStatus; readonly reason: CheckoutSessionConflictReason }
  /** The hold change could not apply: the hold had lapsed and its tickets were released (and, to sell, not free). */
  | { readonly outcome: 'lapsed' };

/**
 * Outcome of an insert: stored; or an earlier create with the same idempotency key holds `existingId`; or the hold
 * did not fit (in `maxHeld`, or in the price's stock) and `available` tickets could still be held.
 */
export type CheckoutSessionInsertResult =
  | { readonly outcome: 'created' }
  | { readonly outcome: 'replayed'; readonly existingId: string }
  | { readonly outcome: 'soldOut'; readonly available: number };

/** Outcome of a return: applied, or refused because only `sold` tickets are sold. */
export type CheckoutSessionReturnResult = { readonly outcome: 'returned' } | { readonly outcome: 'notSold'; readonly sold: number };

/** A validated count query: `status` is a list of distinct statuses when given. */
export interface CheckoutSessionCountFilter {
  readonly eventId: string;
  readonly priceId?: string;
  readonly status?: readonly CheckoutSessionStatus[];
}

/**
 * How an insert holds its tickets: the ledger bucket (epoch seconds) whose end releases them — at or after the
 * session's `holdExpiresAt`, within the release bound — and the caller's limit.
 */
export interface CheckoutSessionHold {
  readonly bucket: number;
  readonly maxHeld?: number;
}

/**
 * What a storage driver implements: the two built-in drivers, or an app's own store given to the module's `store`
 * option. The module validates every argument before calling it, builds new sessions and decides status changes
 * itself; `now` is epoch ms from the module's clock. A session with `expiresAt <= now` must be treated as absent; a
 * `CREATED` or `CONFIRMING` one with `holdExpiresAt <= now` counts as `EXPIRED`. Each method must be atomic under
 * concurrent calls, also from several instances over one backend. A price's ledger keeps `stock` (optional), `held`
 * (by bucket) and `sold`; a bucket is released, with its tickets, once `now >= bucket × 1000`.
 * `describeCheckoutSessionStoreContract` (`@ticketoffice/checkout-session-cache/testing`) checks an implementation.
 */
export interface CheckoutSessionStore {
  /** Short name used in logs (`memory`, `dynamodb`). */
  readonly driver: string;
  /**
   * Stores a new session; throws `CheckoutSessionAlreadyExistsError` rather than overwrite. With an idempotency key,
   * stores the session and a record of the key (living as long as the session) atomically, unless a live record of
   * that key exists: then stores nothing and returns the id the key points to. Adds the session's quantity to its
   * price's ledger (bucket `hold.bucket`) in the same atomic step, only if it fits in `hold.maxHeld` when given and in
   * the price's stock when it has one.
   */
  insert(
    session: StoredCheckoutSession,
    hold: CheckoutSessionHold,
    idempotencyKey: string | undefined,
    now: number,
  ): Promise<CheckoutSessionInsertResult>;
  /** The live session with this id, or `null`; `consistent` asks for a strongly consistent read whatever the options. */
  get(id: string, now: number, consistent?: boolean): Promise<StoredCheckoutSession | null>;
  /**
   * Reads the live session, asks `decide` what to do, and applies its change (status, `holdExpiresAt`, hold change)
   * only if the session is unchanged since the read, atomically; may call `decide` again when it changed meanwhile.
   */
  transition(
    id: string,
    now: number,
    decide: (session: StoredCheckoutSession) => CheckoutSessionTransitionDecision,
  ): Promise<CheckoutSessionTransitionResult>;
  /** Removes the session if present, releasing its live hold in the same step. */
  delete(id: string, now: number): Promise<void>;
  /** Counts live sessions that match (a lapsed hold under `EXPIRED`) and sums their quantity. */
  count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount>;
  /** Sets the price's stock to `total`, whatever is held or sold; takes nothing back. */
  setStock(price: CheckoutSessionPriceKey, total: number, now: number): Promise<void>;
  /** Takes `quantity` tickets from the price's sold count, atomically, unless fewer are sold. */
  returnTickets(price: CheckoutSessionPriceKey, quantity: number, now: number): Promise<CheckoutSessionReturnResult>;
  /** The price's stock, live held, sold and available at `now`, from one strongly consistent read. */
  availability(price: CheckoutSessionPriceKey, now: number): Promise<CheckoutSessionAvailability>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  /** Start-up work (checks, optional provisioning). */
  init(): Promise<void>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
