import { setTimeout as sleep } from 'node:timers/promises';

/** Cap in ms of the randomised pause before another try (full jitter, doubling from 5 ms). */
const BACKOFF_CAP_MS = 100;

/** A random pause before try `retry + 1` (full jitter: up to 5 ms × 2^retry, at most 100 ms). */
export const backoffMs = (retry: number, random: () => number = Math.random): number => random() * Math.min(BACKOFF_CAP_MS, 5 * 2 ** retry);

/**
 * The one retry loop of the driver's own, for one call: a write that lost a race (a transaction conflict, a single
 * write refused while a transaction holds its item, the per-item throughput limit inside a transaction) is tried
 * again after a random pause while the call's budget lasts (`maxAttempts × requestTimeoutMs`, docs/holds.md); a write
 * whose outcome is unknown (no answer) is sent again, identical, until DynamoDB answers it, for at most the same
 * budget counted from the first unknown outcome. Transport errors and throttled requests are the SDK's to retry.
 */
export class ContentionBudget {
  /** Until when races are tried again (epoch ms). */
  readonly deadline: number;
  private retries = 0;
  /** Until when an unknown outcome is resolved (epoch ms), once one was met. */
  private resolveBy: number | undefined;

  constructor(
    private readonly budgetMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + budgetMs;
  }

  /** Whether the budget for races is spent. */
  get spent(): boolean {
    return this.now() >= this.deadline;
  }

  /** After a lost race: pauses and returns `true`, or returns `false` once the budget is spent (nothing was written). */
  async contended(): Promise<boolean> {
    if (this.spent) return false;
    await sleep(backoffMs(this.retries++));
    return true;
  }

  /**
   * After an unknown outcome: pauses and returns the signal that cuts the next identical send off at the end of the
   * resolution window, or `null` once that window is over.
   */
  async uncertain(): Promise<AbortSignal | null> {
    this.resolveBy ??= this.now() + this.budgetMs;
    const left = this.resolveBy - this.now();
    if (left <= 0) return null;
    await sleep(Math.min(left, backoffMs(this.retries++)));
    return AbortSignal.timeout(Math.max(1, this.resolveBy - this.now()));
  }
}
