import { endedBuckets, holdReleaseMarginMs, isHolding, liveHeld } from '../../checkout-session-cache.holds.js';
import { CheckoutSessionAlreadyExistsError } from '../../errors/checkout-session-already-exists.error.js';
import type { CheckoutSessionClock } from '../../interfaces/checkout-session-clock.interface.js';
import type {
  CheckoutSessionCountFilter,
  CheckoutSessionHold,
  CheckoutSessionInsertResult,
  CheckoutSessionStore,
  CheckoutSessionTransitionResult,
} from '../../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionHeldQuery,
  CheckoutSessionStatus,
} from '../../interfaces/checkout-session.interface.js';

/** A deep copy: the session's own fields are primitives but for the two dates and the JSON metadata. */
const copy = (session: CheckoutSession): CheckoutSession => ({
  ...session,
  createdAt: new Date(session.createdAt.getTime()),
  expiresAt: new Date(session.expiresAt.getTime()),
  ...(session.metadata !== undefined && { metadata: structuredClone(session.metadata) }),
});
const isLive = (session: CheckoutSession, now: number): boolean => session.expiresAt.getTime() > now;

/** The hold ledger of one event/price: as in docs/holds.md, `held` is the sum of the buckets. */
interface MemoryHoldLedger {
  held: number;
  buckets: Map<number, number>;
}

/** Key of the ledger of an event/price (JSON keeps any two pairs apart). */
const ledgerKey = (eventId: string, priceId: string): string => JSON.stringify([eventId, priceId]);

/**
 * In-memory driver for local development and tests. State belongs to the instance (two modules never share it).
 * Every operation runs synchronously between awaits, so each check-and-set is atomic. Sessions are indexed by
 * event and price so `count` reads only the sessions of that event; expired ones are swept on a timer. Holds are kept
 * in a ledger per event/price with the same buckets as the DynamoDB driver, so `held` reads no session.
 */
export class MemoryCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'memory';
  /** Sessions by id, in insertion order: with a fixed TTL that is also expiry order (see {@link sweep}). */
  private readonly sessions = new Map<string, CheckoutSession>();
  /** Idempotency key → the session it created; kept until that session's expiry, also after a delete. */
  private readonly idempotencyKeys = new Map<string, { id: string; expiresAt: number }>();
  /** eventId → priceId → ids. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  /** Hold ledgers by event/price, and the bucket each stored session's hold is released with. */
  private readonly ledgers = new Map<string, MemoryHoldLedger>();
  private readonly holdBuckets = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** How long after its end a ledger bucket is released, as in the DynamoDB driver. */
  private readonly releaseMarginMs: number;

  constructor(
    private readonly clock: CheckoutSessionClock,
    private readonly sweepIntervalMs: number,
    ttlMs: number,
  ) {
    this.releaseMarginMs = holdReleaseMarginMs(ttlMs);
  }

  async insert(
    session: CheckoutSession,
    hold: CheckoutSessionHold,
    idempotencyKey: string | undefined,
    now: number,
  ): Promise<CheckoutSessionInsertResult> {
    if (this.sessions.has(session.id)) throw new CheckoutSessionAlreadyExistsError(session.id);
    if (idempotencyKey !== undefined) {
      const claimed = this.idempotencyKeys.get(idempotencyKey);
      if (claimed && claimed.expiresAt > now) return { outcome: 'replayed', existingId: claimed.id };
    }
    const key = ledgerKey(session.eventId, session.priceId);
    const ledger = this.ledgers.get(key) ?? { held: 0, buckets: new Map<number, number>() };
    if (hold.maxHeld !== undefined && ledger.held + session.quantity > hold.maxHeld) {
      // As on DynamoDB: expired holds still counted are released when they stand in the way, then it decides again.
      this.releaseEnded(ledger, now);
      if (ledger.held + session.quantity > hold.maxHeld) return { outcome: 'soldOut', available: Math.max(0, hold.maxHeld - ledger.held) };
    }
    ledger.held += session.quantity;
    ledger.buckets.set(hold.bucket, (ledger.buckets.get(hold.bucket) ?? 0) + session.quantity);
    this.ledgers.set(key, ledger);
    this.holdBuckets.set(session.id, hold.bucket);
    if (idempotencyKey !== undefined) {
      // Re-inserting moves the key to the end, keeping the map in expiry order for the sweep.
      this.idempotencyKeys.delete(idempotencyKey);
      this.idempotencyKeys.set(idempotencyKey, { id: session.id, expiresAt: session.expiresAt.getTime() });
    }
    this.sessions.set(session.id, copy(session));
    let prices = this.index.get(session.eventId);
    if (!prices) this.index.set(session.eventId, (prices = new Map()));
    let ids = prices.get(session.priceId);
    if (!ids) prices.set(session.priceId, (ids = new Set()));
    ids.add(session.id);
    return { outcome: 'created' };
  }

  async get(id: string, now: number): Promise<CheckoutSession | null> {
    const session = this.sessions.get(id);
    return session && isLive(session, now) ? copy(session) : null;
  }

  async transition(
    id: string,
    from: readonly CheckoutSessionStatus[],
    to: CheckoutSessionStatus,
    now: number,
  ): Promise<CheckoutSessionTransitionResult> {
    const session = this.sessions.get(id);
    if (!session || !isLive(session, now)) return { outcome: 'absent' };
    if (!from.includes(session.status)) return { outcome: 'conflict', current: session.status };
    // As on DynamoDB: a hold whose bucket was released already (the clock stepped back since) has expired.
    if (isHolding(session.status) && !isHolding(to) && !this.release(session)) return { outcome: 'absent' };
    session.status = to;
    return { outcome: 'updated', session: copy(session) };
  }

  async delete(id: string, now: number): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    // An expired hold is released by its bucket, not here.
    if (isLive(session, now) && isHolding(session.status)) this.release(session);
    this.remove(session);
  }

  async held(query: CheckoutSessionHeldQuery, now: number): Promise<number> {
    const ledger = this.ledgers.get(ledgerKey(query.eventId, query.priceId));
    return ledger ? liveHeld(ledger, now, this.releaseMarginMs) : 0;
  }

  /**
   * Takes a live session's tickets out of its ledger, while its bucket is there (it ends at or after the session);
   * returns whether it did.
   */
  private release(session: CheckoutSession): boolean {
    const ledger = this.ledgers.get(ledgerKey(session.eventId, session.priceId));
    const bucket = this.holdBuckets.get(session.id)!;
    const tickets = ledger?.buckets.get(bucket);
    if (ledger === undefined || tickets === undefined) return false;
    ledger.held -= session.quantity;
    ledger.buckets.set(bucket, tickets - session.quantity);
    return true;
  }

  /** Releases the buckets of `ledger` that have ended at `now`. */
  private releaseEnded(ledger: MemoryHoldLedger, now: number): void {
    for (const [bucket, tickets] of endedBuckets(ledger, now, this.releaseMarginMs)) {
      ledger.held -= tickets;
      ledger.buckets.delete(bucket);
    }
  }

  private remove(session: CheckoutSession): void {
    const id = session.id;
    this.sessions.delete(id);
    this.holdBuckets.delete(id);
    const prices = this.index.get(session.eventId);
    const ids = prices?.get(session.priceId);
    ids?.delete(id);
    if (ids?.size === 0) prices?.delete(session.priceId);
    if (prices?.size === 0) this.index.delete(session.eventId);
  }

  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    const prices = this.index.get(filter.eventId);
    const groups = filter.priceId === undefined ? [...(prices?.values() ?? [])] : [prices?.get(filter.priceId) ?? []];
    const result = { sessions: 0, quantity: 0 };
    for (const ids of groups) {
      for (const id of ids) {
        const session = this.sessions.get(id)!;
        if (!isLive(session, now) || (filter.status !== undefined && !filter.status.includes(session.status))) continue;
        result.sessions += 1;
        result.quantity += session.quantity;
      }
    }
    return result;
  }

  async ping(): Promise<void> {}

  async init(): Promise<void> {
    this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Removes expired sessions (and idempotency keys, and ended hold buckets), oldest first, and stops at the first live one: the TTL is fixed, so insertion order is
   * expiry order. Should the wall clock step back, a few sessions are swept one sweep late; reads never see them,
   * because every read checks `expiresAt` itself. Returns how many were removed.
   */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const session of this.sessions.values()) {
      if (isLive(session, now)) break;
      this.remove(session);
      removed += 1;
    }
    for (const [key, claim] of this.idempotencyKeys) {
      if (claim.expiresAt > now) break;
      this.idempotencyKeys.delete(key);
    }
    for (const [key, ledger] of this.ledgers) {
      this.releaseEnded(ledger, now);
      if (ledger.buckets.size === 0) this.ledgers.delete(key);
    }
    return removed;
  }

  /** Number of sessions held, expired-but-unswept included (for tests and the benchmark). */
  get size(): number {
    return this.sessions.size;
  }
}
