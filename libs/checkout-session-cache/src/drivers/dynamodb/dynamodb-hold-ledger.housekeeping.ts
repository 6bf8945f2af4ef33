import { Logger } from '@nestjs/common';
import { endedBuckets, type HoldLedger } from '../../checkout-session-cache.holds.js';

/** How often, at most, this process looks for the ended buckets of a ledger it writes to. */
const LEDGER_TIDY_INTERVAL_MS = 60_000;
/** Ledgers whose last look is remembered; past this many the memory is cleared (a look too many costs one read). */
const TRACKED_LEDGERS = 10_000;

/**
 * Keeps hold ledgers small: about once a minute per process and ledger, after a write to it, reads the ledger (one
 * eventually consistent GetItem, off the callers' path) and keeps the buckets that have ended, which its next
 * transaction releases in the same ledger write (no write of its own on the hot item). A ledger then holds about 51
 * buckets with a 24 h TTL (docs/holds.md). Housekeeping only: a failed read is logged, and a stale one only makes
 * that next write's condition fail once, which the batcher decides again from the ledger DynamoDB returns.
 */
export class HoldLedgerHousekeeping {
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly lookedAt = new Map<string, number>();
  private readonly found = new Map<string, [bucket: number, tickets: number][]>();
  private readonly reads = new Set<Promise<void>>();

  constructor(
    private readonly read: (ledgerId: string) => Promise<HoldLedger>,
  ) {}

  /** After a write to `ledgerId` at `now` (epoch ms): looks for its ended buckets when it was not looked at in the last minute. */
  afterWrite(ledgerId: string, now: number): void {
    if (now - (this.lookedAt.get(ledgerId) ?? -Infinity) < LEDGER_TIDY_INTERVAL_MS) return;
    if (this.lookedAt.size >= TRACKED_LEDGERS) {
      this.lookedAt.clear();
      this.found.clear();
    }
    this.lookedAt.set(ledgerId, now);
    const read = this.read(ledgerId).then(
      (ledger) => {
        const ended = endedBuckets(ledger, now);
        if (ended.length > 0) this.found.set(ledgerId, ended);
      },
      (error: unknown) =>
        this.logger.warn(`Could not tidy a hold ledger (it is tidied again later): ${(error as Error).name}: ${(error as Error).message}`),
    );
    this.reads.add(read);
    void read.finally(() => this.reads.delete(read));
  }

  /** The ended buckets found for `ledgerId`, for its next transaction to release (handed out once). */
  take(ledgerId: string): [bucket: number, tickets: number][] {
    const ended = this.found.get(ledgerId) ?? [];
    this.found.delete(ledgerId);
    return ended;
  }

  /** Waits for the reads in flight, so none outlives the client. */
  async close(): Promise<void> {
    await Promise.all(this.reads);
  }
}
