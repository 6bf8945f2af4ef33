import type {
  CheckoutSessionAvailability,
  CheckoutSessionCount,
  CheckoutSessionCountFilter,
  CheckoutSessionHold,
  CheckoutSessionInsertResult,
  CheckoutSessionPriceKey,
  CheckoutSessionReturnResult,
  CheckoutSessionStore,
  CheckoutSessionTransitionDecision,
  CheckoutSessionTransitionResult,
  StoredCheckoutSession,
} from '@ticketoffice/checkout-session-cache';
import { CheckoutSessionAlreadyExistsError, effectiveStatus } from '@ticketoffice/checkout-session-cache';

/** The tickets a session holds, until `bucket` (epoch seconds) ends. */
interface Hold {
  price: string;
  quantity: number;
  bucket: number;
}

const priceKey = ({ eventId, priceId }: CheckoutSessionPriceKey): string => JSON.stringify([eventId, priceId]);

/**
 * A store of one process's own, in Maps: sessions, their holds, and per price its stock (if set) and tickets sold.
 * Each call first drops expired sessions and keys and the holds whose bucket has ended: what is gone stays gone,
 * even if the clock steps back.
 */
export class MapCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'map';
  private readonly sessions = new Map<string, StoredCheckoutSession>();
  private readonly keys = new Map<string, { id: string; expiresAt: number }>();
  private readonly holds = new Map<string, Hold>();
  private readonly prices = new Map<string, { stock?: number; sold: number }>();

  async insert(session: StoredCheckoutSession, hold: CheckoutSessionHold, key: string | undefined, now: number): Promise<CheckoutSessionInsertResult> {
    this.dropEnded(now);
    if (this.sessions.has(session.id)) throw new CheckoutSessionAlreadyExistsError(session.id);
    const existing = key === undefined ? undefined : this.keys.get(key);
    if (existing) return { outcome: 'replayed', existingId: existing.id };
    const room = this.room(session, hold.maxHeld);
    if (session.quantity > room) return { outcome: 'soldOut', available: room };
    this.sessions.set(session.id, structuredClone(session));
    this.holds.set(session.id, { price: priceKey(session), quantity: session.quantity, bucket: hold.bucket });
    if (key !== undefined) this.keys.set(key, { id: session.id, expiresAt: session.expiresAt.getTime() });
    return { outcome: 'created' };
  }

  async get(id: string, now: number): Promise<StoredCheckoutSession | null> {
    this.dropEnded(now);
    const session = this.sessions.get(id);
    return session ? structuredClone(session) : null;
  }

  async transition(
    id: string,
    now: number,
    decide: (session: StoredCheckoutSession) => CheckoutSessionTransitionDecision,
  ): Promise<CheckoutSessionTransitionResult> {
    this.dropEnded(now);
    const session = this.sessions.get(id);
    if (!session) return { outcome: 'absent' };
    const decision = decide(structuredClone(session));
    if (decision.outcome === 'refuse') return { outcome: 'refused', current: decision.current, reason: decision.reason };
    const hold = this.holds.get(id);
    switch (decision.hold.kind) {
      case 'extend':
        if (!hold) return { outcome: 'lapsed' };
        hold.bucket = decision.hold.bucket;
        break;
      case 'release':
        this.holds.delete(id);
        break;
      case 'sell':
        // Held tickets are sold; released ones (a late payment) only if the stock has room for them again.
        if (!hold && session.quantity > this.room(session)) return { outcome: 'lapsed' };
        this.holds.delete(id);
        this.price(session).sold += session.quantity;
        break;
    }
    session.status = decision.status;
    session.holdExpiresAt = new Date(decision.holdExpiresAt.getTime());
    session.holdExtended = decision.holdExtended;
    return { outcome: 'updated', session: structuredClone(session) };
  }

  async delete(id: string, now: number): Promise<void> {
    this.dropEnded(now);
    if (this.sessions.delete(id)) this.holds.delete(id);
  }

  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    this.dropEnded(now);
    const matching = [...this.sessions.values()].filter(
      (s) =>
        s.eventId === filter.eventId &&
        (filter.priceId === undefined || s.priceId === filter.priceId) &&
        (filter.status === undefined || filter.status.includes(effectiveStatus(s, now))),
    );
    return { sessions: matching.length, quantity: matching.reduce((sum, s) => sum + s.quantity, 0) };
  }

  async setStock(price: CheckoutSessionPriceKey, total: number): Promise<void> {
    this.price(price).stock = total;
  }

  async returnTickets(price: CheckoutSessionPriceKey, quantity: number): Promise<CheckoutSessionReturnResult> {
    const kept = this.price(price);
    if (kept.sold < quantity) return { outcome: 'notSold', sold: kept.sold };
    kept.sold -= quantity;
    return { outcome: 'returned' };
  }

  async availability(price: CheckoutSessionPriceKey, now: number): Promise<CheckoutSessionAvailability> {
    this.dropEnded(now);
    const { stock, sold } = this.price(price);
    const held = this.held(price);
    return { stock: stock ?? null, held, sold, available: stock === undefined ? null : Math.max(0, stock - held - sold) };
  }

  async ping(): Promise<void> {}

  async init(): Promise<void> {}

  async close(): Promise<void> {
    for (const map of [this.sessions, this.keys, this.holds, this.prices]) map.clear();
  }

  /** The stock and sold count of a price, made when it has none yet. */
  private price(price: CheckoutSessionPriceKey): { stock?: number; sold: number } {
    const key = priceKey(price);
    let kept = this.prices.get(key);
    if (!kept) this.prices.set(key, (kept = { sold: 0 }));
    return kept;
  }

  /** Tickets held by the holds of a price. */
  private held(price: CheckoutSessionPriceKey): number {
    const key = priceKey(price);
    let held = 0;
    for (const hold of this.holds.values()) if (hold.price === key) held += hold.quantity;
    return held;
  }

  /** What a create may still take: within `stock − held − sold` and within `maxHeld − held`, each when given. */
  private room(price: CheckoutSessionPriceKey, maxHeld?: number): number {
    const { stock, sold } = this.price(price);
    const held = this.held(price);
    return Math.min(stock === undefined ? Infinity : Math.max(0, stock - held - sold), maxHeld === undefined ? Infinity : Math.max(0, maxHeld - held));
  }

  /** Drops expired sessions and keys, and releases the holds whose bucket has ended. */
  private dropEnded(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt.getTime() <= now) this.sessions.delete(id);
    for (const [key, k] of this.keys) if (k.expiresAt <= now) this.keys.delete(key);
    for (const [id, hold] of this.holds) if (hold.bucket * 1000 <= now) this.holds.delete(id);
  }
}
