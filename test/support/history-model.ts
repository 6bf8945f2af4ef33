import { CHECKOUT_SESSION_TRANSITIONS, type CheckoutSessionStatus } from '../../libs/checkout-session-cache/src/index.js';

/** What a session may be: one of its statuses, or gone. */
export type Possible = CheckoutSessionStatus | 'GONE';

/**
 * What the client knows of one session from the answers it got: the set of states the store may be in. An
 * acknowledged answer narrows it to one state; a failed call (unavailable) may or may not have landed, so it widens
 * the set with the state the call would have produced.
 */
export class SessionModel {
  possible = new Set<Possible>(['CREATED']);
  readonly violations: string[] = [];

  constructor(
    readonly id: string,
    readonly quantity: number,
  ) {}

  private expect(state: Possible, what: string): void {
    if (!this.possible.has(state)) this.violations.push(`${this.id}: ${what} gave ${state}, expected one of ${[...this.possible].join('|')}`);
    this.possible = new Set([state]);
  }

  /** A read answered `status`, or `null` (gone). */
  read(status: CheckoutSessionStatus | null): void {
    this.expect(status ?? 'GONE', 'read');
  }

  /** `updateStatus(to)` answered: the updated status, null (gone), or a conflict naming the current status. */
  updated(to: CheckoutSessionStatus, answer: { status: CheckoutSessionStatus } | null | { conflict: CheckoutSessionStatus }): void {
    if (answer === null) this.expect('GONE', `update to ${to}`);
    else if ('conflict' in answer) this.expect(answer.conflict, `update to ${to} (conflict)`);
    else {
      const allowedFrom = [...this.possible].some((s) => s !== 'GONE' && CHECKOUT_SESSION_TRANSITIONS[s].includes(to));
      if (!allowedFrom) this.violations.push(`${this.id}: update to ${to} succeeded from ${[...this.possible].join('|')}`);
      this.possible = new Set([answer.status]);
    }
  }

  /** `updateStatus(to)` failed: it may have landed. */
  updateFailed(to: CheckoutSessionStatus): void {
    for (const s of [...this.possible]) if (s !== 'GONE' && CHECKOUT_SESSION_TRANSITIONS[s].includes(to)) this.possible.add(to);
  }

  deleted(): void {
    this.possible = new Set(['GONE']);
  }

  deleteFailed(): void {
    this.possible.add('GONE');
  }
}
