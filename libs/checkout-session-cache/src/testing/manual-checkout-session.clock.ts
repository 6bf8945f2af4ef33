import type { CheckoutSessionClock } from '../interfaces/checkout-session-clock.interface.js';

/**
 * A {@link CheckoutSessionClock} a test moves by hand, to prove expiry without waiting. It starts at the real time,
 * so a store with a TTL of its own (DynamoDB's) never sees fresh items as expired.
 */
export class ManualCheckoutSessionClock implements CheckoutSessionClock {
  private current = Date.now();

  /** The time the test set, in epoch milliseconds. */
  now(): number {
    return this.current;
  }

  /** Moves the time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Sets the time to `ms` epoch milliseconds, forward or back. */
  set(ms: number): void {
    this.current = ms;
  }
}
