import { CHECKOUT_SESSION_TRANSITIONS } from './checkout-session-cache.state-machine.js';
import { holdBucketOf, isHolding } from './checkout-session-cache.holds.js';
import type {
  CheckoutSessionTransitionDecision,
  StoredCheckoutSession,
} from './interfaces/checkout-session-store.interface.js';
import type { CheckoutSession, CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** `ms` rounded up to the whole second, as both drivers store timestamps of expiry. */
export const ceilToSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;

/** Whether the hold of a stored session has lapsed at `now`: it holds, and `holdExpiresAt <= now`. */
export const hasLapsed = (session: Pick<StoredCheckoutSession, 'status' | 'holdExpiresAt'>, now: number): boolean =>
  isHolding(session.status) && session.holdExpiresAt.getTime() <= now;

/** The status a stored session reads at `now`: `EXPIRED` once a holding session's hold has lapsed. */
export const effectiveStatus = (session: Pick<StoredCheckoutSession, 'status' | 'holdExpiresAt'>, now: number): CheckoutSessionStatus =>
  hasLapsed(session, now) ? 'EXPIRED' : session.status;

/** The session as the port returns it at `now`: its effective status, without the store's own fields. */
export function toPublicSession(stored: StoredCheckoutSession, now: number): CheckoutSession {
  const { holdExtended: _holdExtended, ...session } = stored;
  return { ...session, status: effectiveStatus(stored, now) };
}

/**
 * Decides a status change of `session` (as stored) to `to` at `now`: the state machine on the effective status
 * (a lapsed hold reads `EXPIRED`), what happens to the tickets, and the hold's extension on the first move to
 * `CONFIRMING` (to `now + confirmingHoldMs`, never past `expiresAt`, never shorter).
 */
export function decideTransition(
  session: StoredCheckoutSession,
  to: CheckoutSessionStatus,
  now: number,
  confirmingHoldMs: number,
): CheckoutSessionTransitionDecision {
  const { holdExpiresAt, holdExtended = false } = session;
  const keep = { holdExpiresAt, holdExtended } as const;
  if (hasLapsed(session, now)) {
    // A late payment completes a session that was paying; anything may be cancelled; the rest needed the hold.
    if (to === 'CANCELLED') return { outcome: 'change', status: to, ...keep, hold: { kind: 'release' } };
    if (to === 'COMPLETED' && session.status === 'CONFIRMING') return { outcome: 'change', status: to, ...keep, hold: { kind: 'sell' } };
    const reason = CHECKOUT_SESSION_TRANSITIONS[session.status].includes(to) ? 'HOLD_EXPIRED' : 'TRANSITION_NOT_ALLOWED';
    return { outcome: 'refuse', current: 'EXPIRED', reason };
  }
  if (to === 'EXPIRED' || !CHECKOUT_SESSION_TRANSITIONS[session.status].includes(to)) {
    return { outcome: 'refuse', current: session.status, reason: 'TRANSITION_NOT_ALLOWED' };
  }
  switch (to) {
    case 'CONFIRMING': {
      if (holdExtended) return { outcome: 'change', status: to, ...keep, hold: { kind: 'keep' } };
      const extended = Math.min(session.expiresAt.getTime(), ceilToSecond(now + confirmingHoldMs));
      if (extended <= holdExpiresAt.getTime()) return { outcome: 'change', status: to, holdExpiresAt, holdExtended: true, hold: { kind: 'keep' } };
      const until = new Date(extended);
      return { outcome: 'change', status: to, holdExpiresAt: until, holdExtended: true, hold: { kind: 'extend', bucket: holdBucketOf(until, extended - now) } };
    }
    case 'COMPLETED':
      return { outcome: 'change', status: to, ...keep, hold: { kind: 'sell' } };
    case 'CANCELLED':
      return { outcome: 'change', status: to, ...keep, hold: { kind: 'release' } };
    default:
      return { outcome: 'change', status: to, ...keep, hold: { kind: 'keep' } };
  }
}
