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
import { holdReleaseMarginMs, isHolding, liveHeld } from '../../checkout-session-cache.holds.js';
import { sameJson } from '../../checkout-session-cache.utils.js';
import { CheckoutSessionAlreadyExistsError } from '../../errors/checkout-session-already-exists.error.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { ResolvedCheckoutSessionCacheOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import type {
  CheckoutSessionCountFilter,
  CheckoutSessionHold,
  CheckoutSessionInsertResult,
  CheckoutSessionStore,
  CheckoutSessionTransitionResult,
} from '../../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionHeldQuery,
  CheckoutSessionStatus,
} from '../../interfaces/checkout-session.interface.js';
import { countQueries, deleteMetadata, deleteSession, getById, putNewSession, type TransactItem, transitionUpdate } from './dynamodb-checkout-session.commands.js';
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
import { HoldLedgerBatcher, type LedgerMemberOutcome } from './dynamodb-hold-ledger.batcher.js';
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
  private readonly releaseMarginMs: number;
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
    this.releaseMarginMs = holdReleaseMarginMs(options.ttlHours * 3_600_000);
    this.budgetMs = options.maxAttempts * options.requestTimeoutMs;
    this.probe = new DynamoDbCheckoutSessionProbe(probeClient, this.table, options.clock, options.requestTimeoutMs, options.pingCacheMs);
    this.housekeeping = new HoldLedgerHousekeeping(
      async (ledgerId) => toLedger((await this.documents.send(new GetCommand(getById(this.table, ledgerId, false)))).Item),
      this.releaseMarginMs,
    );
    this.ledgers = new HoldLedgerBatcher({
      tableName: this.table,
      send: (input, abortSignal) => this.documents.send(new TransactWriteCommand(input), { abortSignal }),
      budgetMs: this.budgetMs,
      releaseMarginMs: this.releaseMarginMs,
      housekeeping: this.housekeeping,
      storeError: (operation, error, outcomeUnknown) => this.storeError(operation, error, outcomeUnknown),
    });
  }

  /**
   * The session (never overwriting), its metadata item when it has metadata, and with a key, the key's record
   * (`id = idempotency#<key>`, outside the count index, same TTL), in one transaction with its price's ledger update,
   * which adds its tickets only if they fit in `maxHeld` — a transaction it may share with other creates and releases
   * of the price. A retry that finds the session it wrote reports it created, so a lost answer never holds twice.
   */
  async insert(session: CheckoutSession, hold: CheckoutSessionHold, idempotencyKey: string | undefined, now: number): Promise<CheckoutSessionInsertResult> {
    const item = toItem(session, hold.bucket);
    const items = putNewSession(this.table, item, session.metadata, idempotencyKey, now);
    const outcome = await this.ledgers.submit(ledgerIdOf(session.eventId, session.priceId), {
      operation: 'create',
      items,
      ids: items.map((part) => (part.Put!.Item as { id: string }).id),
      delta: session.quantity,
      bucket: hold.bucket,
      maxHeld: hold.maxHeld,
      now,
    });
    switch (outcome.outcome) {
      case 'applied':
        return { outcome: 'created' };
      case 'soldOut':
        return { outcome: 'soldOut', available: outcome.available };
      case 'bucketReleased':
        throw this.storeError('create', new Error('a create met a released bucket'));
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

  async get(id: string, now: number, consistent = this.options.consistentRead): Promise<CheckoutSession | null> {
    const item = await this.read(id, 'getById', consistent);
    if (!item || item.expiresAt <= nowSeconds(now)) return null;
    return this.withMetadata(item, 'getById');
  }

  /**
   * Reads the session (strongly consistent), then writes the change conditioned on the status and change count it
   * read: one UpdateItem between holding statuses, or, when the change ends the hold (to `COMPLETED` or `CANCELLED`),
   * the same update in a transaction with its ledger release, shared with the price's other writes. A session that
   * changed in between fails the condition, which returns it (`ALL_OLD`) to decide again; a change whose answer was
   * lost finds its own token there and reports success.
   */
  async transition(id: string, from: readonly CheckoutSessionStatus[], to: CheckoutSessionStatus, now: number): Promise<CheckoutSessionTransitionResult> {
    const token = randomUUID();
    const budget = new ContentionBudget(this.budgetMs);
    let signal: AbortSignal | undefined;
    let item = await this.read(id, 'updateStatus', true);
    for (;;) {
      if (item && hasTransition(item, token)) return this.updated(item);
      if (item === undefined || item.expiresAt <= nowSeconds(now)) return { outcome: 'absent' };
      if (!from.includes(item.status)) return { outcome: 'conflict', current: item.status };
      const session = item;
      const update = transitionUpdate(this.table, session, to, token, now);
      if (session.holdBucket !== undefined && isHolding(session.status) && !isHolding(to)) {
        const outcome = await this.release(session, 'updateStatus', [{ Update: update }], [id], now);
        if (outcome.outcome === 'applied') return this.updated({ ...session, status: to });
        if (outcome.outcome !== 'conditionFailed') return { outcome: 'absent' };
        // Changed since it was read, or already changed by this very call.
        item = failedConditionItem<CheckoutSessionItem>(outcome.reasons[0]) ?? undefined;
        this.withinBudget(budget, 'updateStatus');
        continue;
      }
      try {
        await this.documents.send(new UpdateCommand(update), { abortSignal: signal });
        return this.updated({ ...session, status: to });
      } catch (error) {
        const changed = conditionFailureItem<CheckoutSessionItem>(error);
        if (changed !== null) {
          // Changed since it was read: the next write is another one, with no resolution window of its own yet.
          item = changed;
          signal = undefined;
          this.withinBudget(budget, 'updateStatus');
        } else signal = await this.tryAgain(budget, 'updateStatus', error);
      }
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
      if (!bucketReleased && item.holdBucket !== undefined && item.expiresAt > nowSeconds(now) && isHolding(item.status)) {
        const parts = [{ Delete: deleteSession(this.table, item, true, now) }, ...metadata];
        const outcome = await this.release(item, 'deleteById', parts, [id, ...(item.hasMetadata ? [metadataIdOf(id)] : [])], now);
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

  /** Queries the count index: the event's 32 shards in parallel, in each one query per status asked for, every page. */
  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    const shards = await Promise.all(
      countQueries(this.table, filter, now, this.options.queryPageSize).map(async (queries) => {
        const result = { sessions: 0, quantity: 0 };
        for (const query of queries) {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await this.run('count', () => this.documents.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey })));
            for (const item of page.Items ?? []) {
              result.sessions += 1;
              result.quantity += (item as Pick<CheckoutSessionItem, 'quantity'>).quantity;
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
  async held(query: CheckoutSessionHeldQuery, now: number): Promise<number> {
    const ledger = await this.run('held', () => this.documents.send(new GetCommand(getById(this.table, ledgerIdOf(query.eventId, query.priceId), true))));
    return liveHeld(toLedger(ledger.Item), now, this.releaseMarginMs);
  }

  /** Ends a live session's hold: its own items, with its tickets taken from its bucket, in its price's next transaction. */
  private release(session: CheckoutSessionItem, operation: string, items: TransactItem[], ids: string[], now: number): Promise<LedgerMemberOutcome> {
    return this.ledgers.submit(ledgerIdOf(session.eventId, session.priceId), {
      operation,
      items,
      ids,
      delta: -session.quantity,
      bucket: session.holdBucket!,
      now,
    });
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
  private async withMetadata(item: CheckoutSessionItem, operation: string): Promise<CheckoutSession | null> {
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
