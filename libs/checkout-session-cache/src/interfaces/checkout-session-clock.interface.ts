/** Source of the current time, injectable so tests can prove expiry without waiting. */
export interface CheckoutSessionClock {
  /** Current time in epoch milliseconds. */
  now(): number;
}
