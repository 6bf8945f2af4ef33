import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionCountFilter,
  CheckoutSessionHeldQuery,
  CheckoutSessionHold,
  CheckoutSessionInsertResult,
  CheckoutSessionStatus,
  CheckoutSessionStore,
  CheckoutSessionTransitionResult,
} from '@ticketoffice/checkout-session-cache';
import { CheckoutSessionAlreadyExistsError } from '@ticketoffice/checkout-session-cache';

const HOLDING: readonly CheckoutSessionStatus[] = ['CREATED', 'CONFIRMING'];

/** A store of one process's own: sessions in a Map, expired ones dropped at each call. */
export class MapCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'map';
  private readonly sessions = new Map<string, CheckoutSession>();
  private readonly keys = new Map<string, { id: string; expiresAt: number }>();

  async insert(session: CheckoutSession, hold: CheckoutSessionHold, key: string | undefined, now: number): Promise<CheckoutSessionInsertResult> {
    this.dropExpired(now);
    if (this.sessions.has(session.id)) throw new CheckoutSessionAlreadyExistsError(session.id);
    const existing = key === undefined ? undefined : this.keys.get(key);
    if (existing) return { outcome: 'replayed', existingId: existing.id };
    const held = this.heldNow(session, now);
    if (hold.maxHeld !== undefined && held + session.quantity > hold.maxHeld) {
      return { outcome: 'soldOut', available: Math.max(0, hold.maxHeld - held) };
    }
    this.sessions.set(session.id, structuredClone(session));
    if (key !== undefined) this.keys.set(key, { id: session.id, expiresAt: session.expiresAt.getTime() });
    return { outcome: 'created' };
  }

  async get(id: string, now: number): Promise<CheckoutSession | null> {
    this.dropExpired(now);
    const session = this.sessions.get(id);
    return session ? structuredClone(session) : null;
  }

  async transition(id: string, from: readonly CheckoutSessionStatus[], to: CheckoutSessionStatus, now: number): Promise<CheckoutSessionTransitionResult> {
    this.dropExpired(now);
    const session = this.sessions.get(id);
    if (!session) return { outcome: 'absent' };
    if (!from.includes(session.status)) return { outcome: 'conflict', current: session.status };
    session.status = to;
    return { outcome: 'updated', session: structuredClone(session) };
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    this.dropExpired(now);
    const matching = [...this.sessions.values()].filter(
      (s) =>
        s.eventId === filter.eventId &&
        (filter.priceId === undefined || s.priceId === filter.priceId) &&
        (filter.status === undefined || filter.status.includes(s.status)),
    );
    return { sessions: matching.length, quantity: matching.reduce((sum, s) => sum + s.quantity, 0) };
  }

  async held(query: CheckoutSessionHeldQuery, now: number): Promise<number> {
    this.dropExpired(now);
    return this.heldNow(query, now);
  }

  async ping(): Promise<void> {}

  async init(): Promise<void> {}

  async close(): Promise<void> {
    this.sessions.clear();
    this.keys.clear();
  }

  /** Tickets held by the live sessions of the event/price. */
  private heldNow({ eventId, priceId }: CheckoutSessionHeldQuery, now: number): number {
    let held = 0;
    for (const s of this.sessions.values()) {
      if (s.eventId === eventId && s.priceId === priceId && HOLDING.includes(s.status) && s.expiresAt.getTime() > now) held += s.quantity;
    }
    return held;
  }

  /** Forgets expired sessions and keys: what expired stays gone, even if the clock steps back. */
  private dropExpired(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt.getTime() <= now) this.sessions.delete(id);
    for (const [key, k] of this.keys) if (k.expiresAt <= now) this.keys.delete(key);
  }
}
