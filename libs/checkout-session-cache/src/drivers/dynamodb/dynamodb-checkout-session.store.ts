import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { availabilityOf, isHolding } from '../../checkout-session-cache.holds.js';
import { sameJson } from '../../checkout-session-cache.utils.js';
import { CheckoutSessionAlreadyExistsError } from '../../errors/checkout-session-already-exists.error.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { ResolvedCheckoutSessionCacheOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
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
import {
  countedStatusOf,
  countQueries,
  deleteMetadata,
  deleteSession,
  getById,
  putNewSession,
  type TransactItem,
  transitionUpdate,
} from './dynamodb-checkout-session.commands.js';
import { ContentionBudget } from './dynamodb-checkout-session.contention.js';
import {
  type CheckoutSessionItem,
  fromItem,
  hasTransition,
  type IdempotencyKeyItem,
  type MetadataItem,
  nowSeconds,
  toItem,
  toLedger,
} from './dynamodb-checkout-session.items.js';
import { ledgerIdOf, metadataIdOf } from './dynamodb-checkout-session.keys.js';
import { conditionFailureItem, failedConditionItem, isContended, isUncertain } from './dynamodb-checkout-session.outcomes.js';
import { isNamed } from './dynamodb-error.guard.js';
import { DynamoDbCheckoutSessionProbe } from './dynamodb-checkout-session.probe.js';
import { inspectCheckoutSessionTable } from './dynamodb-checkout-session.inspection.js';
import { ensureCheckoutSessionTable } from './dynamodb-checkout-session.provisioning.js';
import { HoldLedgerBatcher, type LedgerMember, type LedgerMemberOutcome } from './dynamodb-hold-ledger.batcher.js';
import type { LedgerEntry } from './dynamodb-hold-ledger.plan.js';
import { HoldLedgerHousekeeping } from './dynamodb-hold-ledger.housekeeping.js';

/**
 * DynamoDB driver. Every read, count and conditional write treats `expiresAt <= now` as absent, because DynamoDB
 * deletes TTL-expired items lazily. Writes are conditional; no read-modify-write. Holds live in one ledger item per
 * event/price, changed in the same transaction as the session; the creates and releases of one price in this process
 * share their transactions ({@link HoldLedgerBatcher}, docs/holds.md). SDK failures become
 * {@link CheckoutSessionStoreUnavailableError} (or {@link CheckoutSessionTableNotFoundError}), never `null`; a write is
 * never reported failed while it may still land, unless DynamoDB stopped answering altogether (the error says so).
 */
export class DynamoDbCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'dynamodb';
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;
  /** How long a write keeps trying after lost races, and resolving an unknown outcome: the documented bound of one call. */
  private readonly budgetMs: number;
  private readonly probe: DynamoDbCheckoutSessionProbe;
  private readonly housekeeping: HoldLedgerHousekeeping;
  private readonly ledgers: HoldLedgerBatcher;

  /** `probeClient` returns the client of the health probe (`ping`): the module's has one attempt per call. */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: ResolvedCheckoutSessionCacheOptions,
    probeClient: () => DynamoDBClient = () => client,
  ) {
    this.table = options.tableName;
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.budgetMs = options.maxAttempts * options.requestTimeoutMs;
    this.probe = new DynamoDbCheckoutSessionProbe(probeClient, this.table, options.clock, options.requestTimeoutMs, options.pingCacheMs);
    this.housekeeping = new HoldLedgerHousekeeping(
      async (ledgerId) => toLedger((await this.documents.send(new GetCommand(getById(this.table, ledgerId, false)))).Item),
    );
    this.ledgers = new HoldLedgerBatcher({
      tableName: this.table,
      send: (input, abortSignal) => this.documents.send(new TransactWriteCommand(input), { abortSignal }),
      budgetMs: this.budgetMs,
      housekeeping: this.housekeeping,
      storeError: (operation, error, outcomeUnknown) => this.storeError(operation, error, outcomeUnknown),
    });
  }

  /**
   * The session (never overwriting), its metadata item when it has metadata, and with a key, the key's record
   * (`id = idempotency#<key>`, outside the count index, same TTL), in one transaction with its price's ledger update,
   * which adds its tickets only if they fit in `maxHeld` and in the stock — a transaction it may share with other
   * writes of the price. A retry that finds the session it wrote reports it created, so a lost answer never holds twice.
   */
  async insert(session: StoredCheckoutSession, hold: CheckoutSessionHold, idempotencyKey: string | undefined, now: number): Promise<CheckoutSessionInsertResult> {
    const item = toItem(session, hold.bucket);
    const items = putNewSession(this.table, item, session.metadata, idempotencyKey, now);
    const outcome = await this.submit(session, 'create', items, items.map((part) => (part.Put!.Item as { id: string }).id), now, {
      kind: 'hold',
      quantity: session.quantity,
      bucket: hold.bucket,
      ...(hold.maxHeld !== undefined && { maxHeld: hold.maxHeld }),
    });
    switch (outcome.outcome) {
      case 'applied':
        return { outcome: 'created' };
      case 'soldOut':
        return { outcome: 'soldOut', available: outcome.available };
      case 'bucketReleased':
      case 'notSold':
      case 'stale':
        throw this.storeError('create', new Error(`a create was answered ${outcome.outcome}`));
      case 'conditionFailed': {
        // The key's record is the last part, when there is one.
        const claimed = idempotencyKey === undefined ? null : failedConditionItem<IdempotencyKeyItem>(outcome.reasons.at(-1));
        if (claimed) return { outcome: 'replayed', existingId: claimed.sessionId };
        const existing = failedConditionItem<CheckoutSessionItem>(outcome.reasons[0]);
        // A resend of a transaction whose first attempt landed: the item is ours, the create succeeded.
        if (existing !== undefined && existing !== null && sameJson(existing, item)) return { outcome: 'created' };
        if (existing !== null) throw new CheckoutSessionAlreadyExistsError(session.id);
        throw this.storeError('create', new Error(`condition failed: ${JSON.stringify(outcome.reasons)}`));
      }
    }
  }

  async get(id: string, now: number, consistent = this.options.consistentRead): Promise<StoredCheckoutSession | null> {
    const item = await this.read(id, 'getById', consistent);
    if (!item || item.expiresAt <= nowSeconds(now)) return null;
    return this.withMetadata(item, 'getById');
  }

  /**
   * Reads the session (strongly consistent), asks `decide`, then writes the change conditioned on the status and change
   * count it read: one UpdateItem when the tickets stay as they are, or the same update in a transaction with its
   * ledger change (release, sale, extension), shared with the price's other writes. A session that changed in between
   * fails the condition, which returns it (`ALL_OLD`) to decide again; a change whose answer was lost finds its own
   * token there and reports success. A hold whose bucket was released meanwhile (it lapsed) is released by nothing
   * more, and sold again only within the stock.
   */
  async transition(
    id: string,
    now: number,
    decide: (session: StoredCheckoutSession) => CheckoutSessionTransitionDecision,
  ): Promise<CheckoutSessionTransitionResult> {
    const token = randomUUID();
    const budget = new ContentionBudget(this.budgetMs);
    let signal: AbortSignal | undefined;
    let item = await this.read(id, 'updateStatus', true);
    /**
     * Set once the hold's bucket is found released, or has ended by the module's clock (its attribute may still be
     * there until a write removes it, but the hold has lapsed): the change goes on without the tickets it held.
     */
    const ended = (session: CheckoutSessionItem) => session.holdBucket !== undefined && session.holdBucket * 1000 <= now;
    let released = item !== undefined && ended(item);
    for (;;) {
      if (item && hasTransition(item, token)) return this.updated(item);
      if (item === undefined || item.expiresAt <= nowSeconds(now)) return { outcome: 'absent' };
      const decision = decide(fromItem(item, undefined));
      if (decision.outcome === 'refuse') return { outcome: 'refused', current: decision.current, reason: decision.reason };
      const session = item;
      const { hold } = decision;
      const change = {
        status: decision.status,
        holdExpiresAt: decision.holdExpiresAt.getTime() / 1000,
        holdExtended: decision.holdExtended,
        ...(hold.kind === 'extend' && { holdBucket: hold.bucket }),
      };
      const update = transitionUpdate(this.table, session, change, token, now);
      const { holdExtended, ...written } = change;
      const changed: CheckoutSessionItem = { ...session, ...written, ...(holdExtended && { holdExtended: true as const }) };
      const entry = session.holdBucket === undefined || !isHolding(session.status) ? undefined : this.ledgerEntry(session, hold, released);
      if (entry !== undefined) {
        const outcome = await this.submit(session, 'updateStatus', [{ Update: update }], [id], now, entry);
        if (outcome.outcome === 'applied') return this.updated(changed);
        if (outcome.outcome === 'bucketReleased') {
          // Lapsed and released: an extension needed the hold; a release has nothing left to give; a sale sells again.
          if (hold.kind === 'extend') return { outcome: 'lapsed' };
          released = true;
          continue;
        }
        if (outcome.outcome === 'soldOut') return { outcome: 'lapsed' };
        if (outcome.outcome !== 'conditionFailed') throw this.storeError('updateStatus', new Error(`a status change was answered ${outcome.outcome}`));
        // Changed since it was read, or already changed by this very call.
        item = failedConditionItem<CheckoutSessionItem>(outcome.reasons[0]) ?? undefined;
        released = item !== undefined && ended(item);
        this.withinBudget(budget, 'updateStatus');
        continue;
      }
      try {
        await this.documents.send(new UpdateCommand(update), { abortSignal: signal });
        return this.updated(changed);
      } catch (error) {
        const current = conditionFailureItem<CheckoutSessionItem>(error);
        if (current !== null) {
          // Changed since it was read: the next write is another one, with no resolution window of its own yet.
          item = current;
          signal = undefined;
          released = current !== undefined && ended(current);
          this.withinBudget(budget, 'updateStatus');
        } else signal = await this.tryAgain(budget, 'updateStatus', error);
      }
    }
  }

  /** The ledger entry of a holding session's change, or `undefined` when it moves no ticket. */
  private ledgerEntry(session: CheckoutSessionItem, hold: CheckoutSessionHoldChange, released: boolean): LedgerEntry | undefined {
    const { quantity } = session;
    const bucket = session.holdBucket!;
    switch (hold.kind) {
      case 'keep':
        return undefined;
      case 'extend':
        return { kind: 'move', quantity, bucket, to: hold.bucket };
      case 'release':
        return released ? undefined : { kind: 'release', quantity, bucket };
      case 'sell':
        return released ? { kind: 'resell', quantity } : { kind: 'sell', quantity, bucket };
    }
  }

  /**
   * Deletes a session with its metadata item. A live holding session is deleted conditioned on the status read, in a
   * transaction with its hold's release (shared with the price's other writes); any other session (ended, expired, or
   * made before holds existed) is deleted without one.
   */
  async delete(id: string, now: number): Promise<void> {
    // Set once the hold's bucket is found released: the session has expired by the ledger's clock.
    let bucketReleased = false;
    const budget = new ContentionBudget(this.budgetMs);
    let signal: AbortSignal | undefined;
    for (;;) {
      const item = await this.read(id, 'deleteById', true);
      if (!item) return;
      const metadata = item.hasMetadata ? [deleteMetadata(this.table, id)] : [];
      // A bucket that has ended by the module's clock holds nothing any more, whether or not a write removed it yet.
      if (!bucketReleased && item.holdBucket !== undefined && item.holdBucket * 1000 > now && item.expiresAt > nowSeconds(now) && isHolding(item.status)) {
        const parts = [{ Delete: deleteSession(this.table, item, true, now) }, ...metadata];
        const outcome = await this.submit(item, 'deleteById', parts, [id, ...(item.hasMetadata ? [metadataIdOf(id)] : [])], now, {
          kind: 'release',
          quantity: item.quantity,
          bucket: item.holdBucket,
        });
        if (outcome.outcome === 'applied') return;
        // Released already (expired), or changed since it was read: read it again and delete it as it is now.
        bucketReleased = outcome.outcome === 'bucketReleased';
        this.withinBudget(budget, 'deleteById');
        continue;
      }
      try {
        const single = deleteSession(this.table, item, false, now);
        if (metadata.length === 0) await this.documents.send(new DeleteCommand(single), { abortSignal: signal });
        else await this.documents.send(new TransactWriteCommand({ TransactItems: [{ Delete: single }, ...metadata] }), { abortSignal: signal });
        return;
      } catch (error) {
        signal = await this.tryAgain(budget, 'deleteById', error);
      }
    }
  }

  /**
   * Queries the count index: the event's 32 shards in parallel, in each one query per stored status to read, every
   * page; a lapsed hold, stored as `CREATED` or `CONFIRMING`, counts as `EXPIRED` by its count key.
   */
  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    const shards = await Promise.all(
      countQueries(this.table, filter, now, this.options.queryPageSize).map(async (queries) => {
        const result = { sessions: 0, quantity: 0 };
        for (const query of queries) {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await this.run('count', () => this.documents.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey })));
            for (const item of (page.Items ?? []) as Pick<CheckoutSessionItem, 'quantity' | 'countKey'>[]) {
              if (filter.status !== undefined && !filter.status.includes(countedStatusOf(item.countKey!, now))) continue;
              result.sessions += 1;
              result.quantity += item.quantity;
            }
            startKey = page.LastEvaluatedKey;
          } while (startKey);
        }
        return result;
      }),
    );
    return shards.reduce((total, shard) => ({ sessions: total.sessions + shard.sessions, quantity: total.quantity + shard.quantity }));
  }

  /** One strongly consistent GetItem of the ledger, whatever the number of sessions. */
  async availability(price: CheckoutSessionPriceKey, now: number): Promise<CheckoutSessionAvailability> {
    return availabilityOf(await this.readLedger(price, 'availability'), now);
  }

  /**
   * Reads the stock (strongly consistent), then sets it in a transaction of its own in the price's queue, conditioned
   * on the stock read; `free` moves by the difference, so the creates in flight keep their room exactly.
   */
  async setStock(price: CheckoutSessionPriceKey, total: number, now: number): Promise<void> {
    const budget = new ContentionBudget(this.budgetMs);
    let previous = (await this.readLedger(price, 'setStock')).stock ?? null;
    for (;;) {
      const outcome = await this.submit(price, 'setStock', [], [], now, { kind: 'stock', total, previous });
      if (outcome.outcome === 'applied') return;
      if (outcome.outcome !== 'stale') throw this.storeError('setStock', new Error(`a stock change was answered ${outcome.outcome}`));
      previous = outcome.stock;
      this.withinBudget(budget, 'setStock');
    }
  }

  /** Takes the tickets from `sold` in the price's next transaction, conditioned on that many being sold. */
  async returnTickets(price: CheckoutSessionPriceKey, quantity: number, now: number): Promise<CheckoutSessionReturnResult> {
    const outcome = await this.submit(price, 'returnTickets', [], [], now, { kind: 'return', quantity });
    if (outcome.outcome === 'applied') return { outcome: 'returned' };
    if (outcome.outcome === 'notSold') return { outcome: 'notSold', sold: outcome.sold };
    throw this.storeError('returnTickets', new Error(`a return was answered ${outcome.outcome}`));
  }

  private async readLedger(price: CheckoutSessionPriceKey, operation: string) {
    const result = await this.run(operation, () => this.documents.send(new GetCommand(getById(this.table, ledgerIdOf(price.eventId, price.priceId), true))));
    return toLedger(result.Item);
  }

  /** Submits a call's ledger entry, with its own items, to its price's next transaction. */
  private submit(price: CheckoutSessionPriceKey, operation: string, items: TransactItem[], ids: string[], now: number, entry: LedgerEntry): Promise<LedgerMemberOutcome> {
    return this.ledgers.submit(ledgerIdOf(price.eventId, price.priceId), { ...entry, operation, items, ids, now } as LedgerMember);
  }

  /**
   * Before another pass of a change that found its session changed since it read it: past the call's budget, the
   * session is being changed faster than this call can decide, and the caller is told the store is overloaded
   * (nothing of this call was written).
   */
  private withinBudget(budget: ContentionBudget, operation: string): void {
    if (budget.spent) throw this.storeError(operation, new Error('the session kept changing while this call decided'));
  }

  /**
   * After a single write failed: a lost race pauses before the next try, an unknown outcome resends the same write
   * (it is conditional or idempotent) with the signal returned; past the budget, or anything else, throws.
   */
  private async tryAgain(budget: ContentionBudget, operation: string, error: unknown): Promise<AbortSignal | undefined> {
    if (isContended(error)) {
      if (await budget.contended()) return undefined;
    } else if (isUncertain(error)) {
      const signal = await budget.uncertain();
      if (signal) return signal;
      throw this.storeError(operation, error, true);
    }
    throw this.storeError(operation, error);
  }

  /** A successful change's answer: the session as changed, with its metadata. */
  private async updated(item: CheckoutSessionItem): Promise<CheckoutSessionTransitionResult> {
    const session = await this.withMetadata(item, 'updateStatus');
    return session ? { outcome: 'updated', session } : { outcome: 'absent' };
  }

  /**
   * The session of `item` with its metadata, read from its own item (strongly consistent: it was written in the same
   * transaction). `null` when that item is gone: the session was deleted meanwhile.
   */
  private async withMetadata(item: CheckoutSessionItem, operation: string): Promise<StoredCheckoutSession | null> {
    if (!item.hasMetadata) return fromItem(item, item.metadata);
    const result = await this.run(operation, () => this.documents.send(new GetCommand(getById(this.table, metadataIdOf(item.id), true))));
    return result.Item ? fromItem(item, (result.Item as MetadataItem).metadata) : null;
  }

  /** The session item with this id (expired ones included), or `undefined`. */
  private async read(id: string, operation: string, consistent: boolean): Promise<CheckoutSessionItem | undefined> {
    const result = await this.run(operation, () => this.documents.send(new GetCommand(getById(this.table, id, consistent))));
    return result.Item as CheckoutSessionItem | undefined;
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.probe.check());
  }

  async init(): Promise<void> {
    const { region, endpoint, client } = this.options;
    const where = client ? 'the client given in options' : `region ${region ?? '(SDK default)'}, endpoint ${endpoint ?? '(AWS)'}`;
    this.logger.log(`DynamoDB table "${this.table}", ${where}`);
    if (this.options.autoCreateTable) {
      await ensureCheckoutSessionTable(this.client, this.table, (line) => this.logger.log(line));
      return;
    }
    if (!this.options.verifyTableOnStartup) {
      this.logger.log(`Start-up check of table "${this.table}" is off (verifyTableOnStartup: false)`);
      return;
    }
    try {
      for (const problem of await inspectCheckoutSessionTable(this.client, this.table)) {
        this.logger.error(`${problem} (run \`npm run table:create\` or see docs/provisioning.md)`);
      }
    } catch (error) {
      this.logger.warn(`Could not check table "${this.table}" at start-up: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }

  /** Waits for ledger housekeeping in flight; the module destroys the clients it created after the HTTP server closed. */
  async close(): Promise<void> {
    await this.housekeeping.close();
  }

  private async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.storeError(operation, error);
    }
  }

  private storeError(operation: string, error: unknown, outcomeUnknown = false): CheckoutSessionStoreUnavailableError {
    if (isNamed(error, 'ResourceNotFoundException')) {
      this.logger.error(`${operation}: table "${this.table}" or its index does not exist`);
      return new CheckoutSessionTableNotFoundError(this.table, { cause: error });
    }
    const { name, message } = error as Error;
    const unknown = outcomeUnknown ? ' (DynamoDB did not answer in time to tell whether the write landed: it may still land)' : '';
    return new CheckoutSessionStoreUnavailableError(`DynamoDB ${operation} failed: ${name}: ${message}${unknown}`, { cause: error });
  }
}
