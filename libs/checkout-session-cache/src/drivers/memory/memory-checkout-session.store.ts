import { effectiveStatus } from '../../checkout-session-cache.lifecycle.js';
import { availabilityOf, endedBuckets, isHolding, roomOf } from '../../checkout-session-cache.holds.js';
import { CheckoutSessionAlreadyExistsError } from '../../errors/checkout-session-already-exists.error.js';
import type { CheckoutSessionClock } from '../../interfaces/checkout-session-clock.interface.js';
import type {
  CheckoutSessionCountFilter,
  CheckoutSessionHold,
  CheckoutSessionHoldChange,
  CheckoutSessionInsertResult,
  CheckoutSessionReturnResult,
  CheckoutSessionStore,
  CheckoutSessionTransitionDecision,
  CheckoutSessionTransitionResult,
  StoredCheckoutSession,
} from '../../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSessionAvailability,
  CheckoutSessionCount,
  CheckoutSessionPriceKey,
} from '../../interfaces/checkout-session.interface.js';

/** A deep copy: the session's own fields are primitives but for the dates and the JSON metadata. */
const copy = (session: StoredCheckoutSession): StoredCheckoutSession => ({
  ...session,
  createdAt: new Date(session.createdAt.getTime()),
  expiresAt: new Date(session.expiresAt.getTime()),
  holdExpiresAt: new Date(session.holdExpiresAt.getTime()),
  ...(session.metadata !== undefined && { metadata: structuredClone(session.metadata) }),
});
const isLive = (session: StoredCheckoutSession, now: number): boolean => session.expiresAt.getTime() > now;

/** The ledger of one event/price: as in docs/holds.md, `held` is the sum of the buckets. */
interface MemoryHoldLedger {
  held: number;
  buckets: Map<number, number>;
  sold: number;
  stock?: number;
}

/** Key of the ledger of an event/price (JSON keeps any two pairs apart). */
const ledgerKey = (eventId: string, priceId: string): string => JSON.stringify([eventId, priceId]);

/**
 * In-memory driver for local development and tests. State belongs to the instance (two modules never share it).
 * Every operation runs synchronously between awaits, so each check-and-set is atomic. Sessions are indexed by
 * event and price so `count` reads only the sessions of that event; expired ones are swept on a timer. Holds, sales
 * and stock are kept in a ledger per event/price with the same buckets as the DynamoDB driver, so `availability`
 * reads no session.
 */
export class MemoryCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'memory';
  /** Sessions by id, in insertion order: with a fixed TTL that is also expiry order (see {@link sweep}). */
  private readonly sessions = new Map<string, StoredCheckoutSession>();
  /** Idempotency key → the session it created; kept until that session's expiry, also after a delete. */
  private readonly idempotencyKeys = new Map<string, { id: string; expiresAt: number }>();
  /** eventId → priceId → ids. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  /** Ledgers by event/price, and the bucket each stored session's hold is released with. */
  private readonly ledgers = new Map<string, MemoryHoldLedger>();
  private readonly holdBuckets = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: CheckoutSessionClock,
    private readonly sweepIntervalMs: number,
  ) {}

  async insert(
    session: StoredCheckoutSession,
    hold: CheckoutSessionHold,
    idempotencyKey: string | undefined,
    now: number,
  ): Promise<CheckoutSessionInsertResult> {
    if (this.sessions.has(session.id)) throw new CheckoutSessionAlreadyExistsError(session.id);
    if (idempotencyKey !== undefined) {
      const claimed = this.idempotencyKeys.get(idempotencyKey);
      if (claimed && claimed.expiresAt > now) return { outcome: 'replayed', existingId: claimed.id };
    }
    const ledger = this.ledgerOf(session);
    this.releaseEnded(ledger, now);
    const room = roomOf(ledger, hold.maxHeld, now);
    if (room !== null && session.quantity > room) return { outcome: 'soldOut', available: room };
    ledger.held += session.quantity;
    ledger.buckets.set(hold.bucket, (ledger.buckets.get(hold.bucket) ?? 0) + session.quantity);
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

  async get(id: string, now: number): Promise<StoredCheckoutSession | null> {
    const session = this.sessions.get(id);
    return session && isLive(session, now) ? copy(session) : null;
  }

  async transition(
    id: string,
    now: number,
    decide: (session: StoredCheckoutSession) => CheckoutSessionTransitionDecision,
  ): Promise<CheckoutSessionTransitionResult> {
    const session = this.sessions.get(id);
    if (!session || !isLive(session, now)) return { outcome: 'absent' };
    const decision = decide(copy(session));
    if (decision.outcome === 'refuse') return { outcome: 'refused', current: decision.current, reason: decision.reason };
    if (!this.applyHold(session, decision.hold, now)) return { outcome: 'lapsed' };
    session.status = decision.status;
    session.holdExpiresAt = new Date(decision.holdExpiresAt.getTime());
    session.holdExtended = decision.holdExtended;
    return { outcome: 'updated', session: copy(session) };
  }

  async delete(id: string, now: number): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    if (isLive(session, now) && isHolding(session.status)) this.applyHold(session, { kind: 'release' }, now);
    this.remove(session);
  }

  async setStock(price: CheckoutSessionPriceKey, total: number): Promise<void> {
    this.ledgerOf(price).stock = total;
  }

  async returnTickets(price: CheckoutSessionPriceKey, quantity: number): Promise<CheckoutSessionReturnResult> {
    const ledger = this.ledgerOf(price);
    if (ledger.sold < quantity) return { outcome: 'notSold', sold: ledger.sold };
    ledger.sold -= quantity;
    return { outcome: 'returned' };
  }

  async availability(price: CheckoutSessionPriceKey, now: number): Promise<CheckoutSessionAvailability> {
    return availabilityOf(this.ledgers.get(ledgerKey(price.eventId, price.priceId)) ?? { held: 0, buckets: new Map(), sold: 0 }, now);
  }

  /** The ledger of a price, made empty when it has none yet. */
  private ledgerOf({ eventId, priceId }: CheckoutSessionPriceKey): MemoryHoldLedger {
    const key = ledgerKey(eventId, priceId);
    let ledger = this.ledgers.get(key);
    if (!ledger) this.ledgers.set(key, (ledger = { held: 0, buckets: new Map(), sold: 0 }));
    return ledger;
  }

  /**
   * Applies what a status change does to a session's tickets; returns `false`, changing nothing, when it cannot
   * (the hold's bucket was released already: to extend, or to sell when the stock has no room for them again).
   */
  private applyHold(session: StoredCheckoutSession, hold: CheckoutSessionHoldChange, now: number): boolean {
    const ledger = this.ledgerOf(session);
    this.releaseEnded(ledger, now);
    const bucket = this.holdBuckets.get(session.id);
    // A session made before holds, or whose bucket ended (the hold lapsed and was released), holds nothing.
    const tickets = bucket === undefined ? undefined : ledger.buckets.get(bucket);
    const holding = tickets !== undefined && bucket !== undefined;
    switch (hold.kind) {
      case 'keep':
        return true;
      case 'extend':
        if (!holding) return false;
        this.take(ledger, bucket, session.quantity);
        ledger.held += session.quantity;
        ledger.buckets.set(hold.bucket, (ledger.buckets.get(hold.bucket) ?? 0) + session.quantity);
        this.holdBuckets.set(session.id, hold.bucket);
        return true;
      case 'release':
        if (holding) this.take(ledger, bucket, session.quantity);
        this.holdBuckets.delete(session.id);
        return true;
      case 'sell':
        if (!holding && bucket !== undefined) {
          // The lapse released the tickets: they are sold again only where the stock has room for them.
          const room = roomOf(ledger, undefined, now);
          if (room !== null && session.quantity > room) return false;
        }
        if (holding) this.take(ledger, bucket, session.quantity);
        ledger.sold += session.quantity;
        this.holdBuckets.delete(session.id);
        return true;
    }
  }

  /** Takes `quantity` held tickets out of `bucket`. */
  private take(ledger: MemoryHoldLedger, bucket: number, quantity: number): void {
    ledger.held -= quantity;
    const left = ledger.buckets.get(bucket)! - quantity;
    if (left === 0) ledger.buckets.delete(bucket);
    else ledger.buckets.set(bucket, left);
  }

  /** Releases the buckets of `ledger` that have ended at `now`. */
  private releaseEnded(ledger: MemoryHoldLedger, now: number): void {
    for (const [bucket, tickets] of endedBuckets(ledger, now)) {
      ledger.held -= tickets;
      ledger.buckets.delete(bucket);
    }
  }

  private remove(session: StoredCheckoutSession): void {
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
        if (!isLive(session, now) || (filter.status !== undefined && !filter.status.includes(effectiveStatus(session, now)))) continue;
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
   * Removes expired sessions (and idempotency keys), oldest first, and stops at the first live one, and releases ended
   * hold buckets (a ledger keeps its stock and sold count): the TTL is fixed, so insertion order is
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
    for (const ledger of this.ledgers.values()) this.releaseEnded(ledger, now);
    return removed;
  }

  /** Number of sessions held, expired-but-unswept included (for tests and the benchmark). */
  get size(): number {
    return this.sessions.size;
  }
}
