import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TransactItem, updateLedger } from './dynamodb-checkout-session.commands.js';
import { backoffMs, ContentionBudget } from './dynamodb-checkout-session.contention.js';
import { toLedger } from './dynamodb-checkout-session.items.js';
import { cancellationReasons, failedConditionItem, isContendedReason, isUncertain } from './dynamodb-checkout-session.outcomes.js';
import { isNamed } from './dynamodb-error.guard.js';
import type { HoldLedgerHousekeeping } from './dynamodb-hold-ledger.housekeeping.js';
import { type LedgerAdoption, ledgerChange, type LedgerEntry, replanLedger, takesTickets } from './dynamodb-hold-ledger.plan.js';

/** DynamoDB's limit of items in one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/** A call's change of one price's ledger (a create, a release, a sale, a stock change…), waiting for its transaction. */
export type LedgerMember = LedgerEntry & LedgerMemberParts;

/** What a member brings beside its ledger entry. */
export interface LedgerMemberParts {
  /** The port operation, for errors (`create`, `updateStatus`, `deleteById`, `setStock`, `returnTickets`). */
  readonly operation: string;
  /** Its own items (the session's put, update or delete, metadata, key record), written with its ledger change. */
  readonly items: readonly TransactItem[];
  /** Ids of those items: one transaction never holds two members that write one item. */
  readonly ids: readonly string[];
  /** The module's clock at the call (epoch ms). */
  readonly now: number;
}

/** How a member's part of a transaction ended. */
export type LedgerMemberOutcome =
  /** Written, with its ledger change. */
  | { readonly outcome: 'applied' }
  /** A create (or a resale) that did not fit in its `maxHeld` or the stock; `available` tickets could still be held. */
  | { readonly outcome: 'soldOut'; readonly available: number }
  /** An entry whose bucket was released already: the hold has lapsed by the ledger's clock. */
  | { readonly outcome: 'bucketReleased' }
  /** A return of more than the `sold` tickets. */
  | { readonly outcome: 'notSold'; readonly sold: number }
  /** A stock change made from a stale read: the stock is `stock` now. */
  | { readonly outcome: 'stale'; readonly stock: number | null }
  /** A condition of its own items failed; `reasons` are theirs, in the order of {@link LedgerMember.items}. */
  | { readonly outcome: 'conditionFailed'; readonly reasons: readonly CancellationReason[] };

/** What the batcher needs of the store. */
export interface HoldLedgerBatcherOptions {
  readonly tableName: string;
  /** Sends one TransactWriteItems (with its ClientRequestToken); `signal` cuts a resend off. */
  readonly send: (input: TransactWriteCommandInput, signal: AbortSignal | undefined) => Promise<unknown>;
  /** How long a call keeps trying after lost races, and how long an unknown outcome is resolved: `maxAttempts × requestTimeoutMs`. */
  readonly budgetMs: number;
  readonly housekeeping: HoldLedgerHousekeeping;
  /** The caller's error for a failed write (`outcomeUnknown`: it may still have landed). */
  readonly storeError: (operation: string, error: unknown, outcomeUnknown?: boolean) => Error;
}

interface Waiting {
  readonly member: LedgerMember;
  readonly budget: ContentionBudget;
  readonly resolve: (outcome: LedgerMemberOutcome) => void;
  readonly reject: (error: Error) => void;
  /** Sent alone after a transaction with others failed validation, so that one member's bad item fails only it. */
  solo?: boolean;
}

interface Queue {
  readonly waiting: Waiting[];
  /** The members the transaction in flight deferred: they go back to the queue's head after it. */
  readonly deferred: Waiting[];
  running: boolean;
}

const takes = (w: Waiting) => takesTickets(w.member);

/** Whether two lists of ended buckets release the same buckets with the same tickets. */
const sameEnded = (a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]): boolean =>
  a.length === b.length && a.every(([bucket, tickets], i) => b[i]![0] === bucket && b[i]![1] === tickets);

/** Cancellation codes this batcher decides on; any other (a validation error of an item) fails only that item's member. */
const KNOWN_CODES = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/**
 * Group commit per event/price: the creates and releases of one price in this process go to DynamoDB together, one
 * TransactWriteItems with one ledger update carrying the net change plus each member's own items. A request alone goes
 * out at once (after the current microtask, so calls made together go together); requests that arrive while a
 * transaction of their price is in flight go in the next one, up to {@link MAX_TRANSACTION_ITEMS} items.
 *
 * Each create's `maxHeld` is still decided exactly: the ledger condition is precomputed from every member's limit in
 * order (releases first), and when it fails, the ledger DynamoDB returns with the failure says which members fit; they
 * go again, a member that fits only if the ones ahead of it land waits for the next transaction, and the others are
 * refused with what was available. A member whose own condition fails gets its reasons and never fails the others.
 * Lost races are tried again, with any newly arrived members, for each member's budget; a transaction whose outcome is
 * unknown is sent again identical, same ClientRequestToken (DynamoDB answers a landed one as the first time), until
 * DynamoDB answers, so no member is reported failed while its write may still land — but for a DynamoDB that stops
 * answering for the whole resolution window, whose callers are told the outcome is unknown.
 */
export class HoldLedgerBatcher {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly options: HoldLedgerBatcherOptions) {}

  /**
   * Queues `member` for the next transaction of its price's ledger, and resolves with its outcome. A stock change goes
   * alone in its transaction.
   */
  submit(ledgerId: string, member: LedgerMember): Promise<LedgerMemberOutcome> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(ledgerId);
      if (!queue) this.queues.set(ledgerId, (queue = { waiting: [], deferred: [], running: false }));
      queue.waiting.push({ member, budget: new ContentionBudget(this.options.budgetMs), resolve, reject, ...(member.kind === 'stock' && { solo: true }) });
      if (queue.running) return;
      queue.running = true;
      queueMicrotask(() => void this.drain(ledgerId, queue));
    });
  }

  /** Runs transactions of one ledger, one at a time, while members wait. */
  private async drain(ledgerId: string, queue: Queue): Promise<void> {
    try {
      while (queue.waiting.length > 0) await this.commit(ledgerId, queue, this.take(queue, []));
    } catch (error) {
      // A bug, not a store failure: nobody may wait for ever (the transaction's own members were settled in `attempt`,
      // the ones it deferred are back in `waiting`).
      for (const w of queue.waiting.splice(0)) w.reject(error as Error);
    } finally {
      this.queues.delete(ledgerId);
    }
  }

  /**
   * Takes from the queue, in order, what fits beside `batch` in one transaction. A member that waited past its budget
   * behind the transactions ahead of it is told the store is overloaded: it was never sent, nothing of it was written.
   */
  private take(queue: Queue, batch: Waiting[]): Waiting[] {
    this.dropSpent(queue.waiting, () => new Error('it waited past its budget behind the other writes of its price'));
    if (batch.some((w) => w.solo)) return batch;
    const ids = new Set(batch.flatMap((w) => w.member.ids));
    let items = 1 + batch.reduce((sum, w) => sum + w.member.items.length, 0);
    const taken = [...batch];
    for (let i = 0; i < queue.waiting.length; ) {
      const next = queue.waiting[i]!;
      const fits = items + next.member.items.length <= MAX_TRANSACTION_ITEMS && !next.member.ids.some((id) => ids.has(id));
      // A create that waits deferred came first in call order: none called after it may take tickets before it.
      const behindDeferred = queue.deferred.length > 0 && takes(next);
      if (next.solo ? taken.length > 0 : !fits || behindDeferred) {
        i += 1;
        continue;
      }
      queue.waiting.splice(i, 1);
      taken.push(next);
      if (next.solo) break;
      for (const id of next.member.ids) ids.add(id);
      items += next.member.items.length;
    }
    // What frees tickets first: the creates of the same transaction get the room it frees.
    return [...taken.filter((w) => !takes(w)), ...taken.filter(takes)];
  }

  /**
   * Removes from `list`, in place and in order, the members past their budget, each told the store is overloaded with
   * `cause()` as the cause; each member's budget is read once, so none is both kept and told.
   */
  private dropSpent(list: Waiting[], cause: () => unknown): void {
    let kept = 0;
    for (const w of list) {
      if (w.budget.spent) w.reject(this.options.storeError(w.member.operation, cause()));
      else list[kept++] = w;
    }
    list.length = kept;
  }

  /**
   * Answers, without sending them, the members that take tickets from a bucket the same write releases as ended: their
   * hold has lapsed by the ledger's clock (and one write cannot both change and remove an attribute).
   */
  private withoutEnded(batch: Waiting[], ended: readonly (readonly [number, number])[]): Waiting[] {
    if (ended.length === 0) return batch;
    const released = new Set(ended.map(([bucket]) => bucket));
    return batch.filter((w) => {
      const { member } = w;
      if (!('bucket' in member) || member.kind === 'hold' || !released.has(member.bucket)) return true;
      w.resolve({ outcome: 'bucketReleased' });
      return false;
    });
  }

  private request(ledgerId: string, batch: Waiting[], ended: readonly (readonly [number, number])[], adopt?: LedgerAdoption): TransactWriteCommandInput {
    const ledger = updateLedger(this.options.tableName, ledgerId, ledgerChange(batch.map((w) => w.member), ended, adopt));
    return { TransactItems: [ledger, ...batch.flatMap((w) => w.member.items)], ClientRequestToken: randomUUID() };
  }

  /** One transaction of `batch`, tried until each member has its outcome; the members it deferred wait at the queue's head. */
  private async commit(ledgerId: string, queue: Queue, batch: Waiting[]): Promise<void> {
    try {
      await this.attempt(ledgerId, queue, batch);
    } finally {
      queue.waiting.unshift(...queue.deferred.splice(0));
    }
  }

  private async attempt(ledgerId: string, queue: Queue, batch: Waiting[]): Promise<void> {
    try {
      // What housekeeping found ended, as far as it has ended by this write's clock too (a clock may step back).
      const now = Math.max(...batch.map((w) => w.member.now));
      let ended: readonly (readonly [number, number])[] = this.options.housekeeping.take(ledgerId).filter(([bucket]) => bucket * 1000 <= now);
      let adopt: LedgerAdoption | undefined;
      batch = this.withoutEnded(batch, ended);
      let request = this.request(ledgerId, batch, ended);
      let resolving: ContentionBudget | undefined;
      let signal: AbortSignal | undefined;
      for (let retry = 0; batch.length > 0; ) {
        try {
          await this.options.send(request, signal);
          for (const w of batch) w.resolve({ outcome: 'applied' });
          this.options.housekeeping.afterWrite(ledgerId, Math.max(...batch.map((w) => w.member.now)));
          return;
        } catch (error) {
          if (isUncertain(error)) {
            // It may have landed: the same request again, same token, until DynamoDB says.
            resolving ??= new ContentionBudget(this.options.budgetMs);
            signal = (await resolving.uncertain()) ?? undefined;
            if (signal) continue;
            for (const w of batch) w.reject(this.options.storeError(w.member.operation, error, true));
            return;
          }
          resolving = signal = undefined;
          const reasons = cancellationReasons(error);
          if (reasons === null) {
            this.failDefinitively(queue, batch, error);
            return;
          }
          const decided = this.decide(queue, batch, ended, reasons, adopt);
          const contended = reasons.some(isContendedReason);
          if (!contended && decided.batch.length === batch.length && sameEnded(decided.ended, ended) && decided.adopt?.held === adopt?.held) {
            // Cancelled for no reason this driver knows: nothing was written, and trying again would change nothing.
            this.failDefinitively(queue, batch, error);
            return;
          }
          ({ batch, ended, adopt } = decided);
          // Nothing was written: members past their budget are told the store is overloaded; the others go again.
          this.dropSpent(batch, () => error);
          if (contended) {
            // Lost a race for an item (or met its throughput limit): pause, then go with those that arrived meanwhile.
            await sleep(backoffMs(retry++));
            batch = this.take(queue, batch);
          }
          batch = this.withoutEnded(batch, ended);
          request = this.request(ledgerId, batch, ended, adopt);
        }
      }
    } catch (error) {
      // A bug, not a store failure: the members in flight (`batch` as it is now) are settled; any already settled stay so.
      for (const w of batch) w.reject(error as Error);
      throw error;
    }
  }

  /**
   * Settles the members a cancellation decides: those whose own condition failed, and, when the ledger's condition
   * failed, those the returned ledger refuses. Returns the members to send again and the ended buckets to release.
   */
  private decide(
    queue: Queue,
    batch: Waiting[],
    ended: readonly (readonly [number, number])[],
    reasons: CancellationReason[],
    adopt: LedgerAdoption | undefined,
  ): { batch: Waiting[]; ended: readonly (readonly [number, number])[]; adopt?: LedgerAdoption } {
    let offset = 1;
    const remaining: Waiting[] = [];
    for (const w of batch) {
      const own = reasons.slice(offset, (offset += w.member.items.length));
      const refused = own.find((reason) => !KNOWN_CODES.has(reason.Code ?? 'None'));
      if (refused) w.reject(this.options.storeError(w.member.operation, Object.assign(new Error(refused.Message ?? refused.Code), { name: refused.Code })));
      else if (own.some((reason) => reason.Code === 'ConditionalCheckFailed')) w.resolve({ outcome: 'conditionFailed', reasons: own });
      else remaining.push(w);
    }
    const ledger = failedConditionItem<Record<string, unknown>>(reasons[0]);
    if (ledger === null) return { batch: remaining, ended, ...(adopt !== undefined && { adopt }) };
    const now = Math.max(...batch.map((w) => w.member.now));
    const plan = replanLedger(toLedger(ledger), remaining.map((w) => w.member), now);
    const go: Waiting[] = [];
    const deferred: Waiting[] = [];
    plan.verdicts.forEach((verdict, i) => {
      const w = remaining[i]!;
      if (verdict.verdict === 'go') go.push(w);
      else if (verdict.verdict === 'defer') deferred.push(w);
      else if (verdict.verdict === 'soldOut') w.resolve({ outcome: 'soldOut', available: verdict.available });
      else if (verdict.verdict === 'notSold') w.resolve({ outcome: 'notSold', sold: verdict.sold });
      else if (verdict.verdict === 'stale') w.resolve({ outcome: 'stale', stock: verdict.stock });
      else w.resolve({ outcome: 'bucketReleased' });
    });
    // Ahead of any deferred earlier in this transaction: they came after these in call order.
    queue.deferred.unshift(...deferred);
    return { batch: go, ended: plan.ended, ...(plan.adopt !== undefined && { adopt: plan.adopt }) };
  }

  /**
   * A refusal that is no cancellation (a missing table, a validation error, access denied): nothing was written.
   * Members of a transaction with others that failed validation go again alone, so one bad member fails only itself.
   */
  private failDefinitively(queue: Queue, batch: Waiting[], error: unknown): void {
    if (batch.length > 1 && isNamed(error, 'ValidationException')) {
      for (const w of batch) w.solo = true;
      queue.waiting.unshift(...batch);
      return;
    }
    for (const w of batch) w.reject(this.options.storeError(w.member.operation, error));
  }
}
