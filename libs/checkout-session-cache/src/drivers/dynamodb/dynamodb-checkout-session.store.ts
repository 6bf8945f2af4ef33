import { type CancellationReason, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHECKOUT_SESSION_STATUSES, COUNT_INDEX_NAME } from '../../checkout-session-cache.constants.js';
import { endedBuckets, holdReleaseMarginMs, type HoldLedger, isHolding, liveHeld } from '../../checkout-session-cache.holds.js';
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
  CheckoutSessionMetadata,
  CheckoutSessionStatus,
} from '../../interfaces/checkout-session.interface.js';
import { DynamoDbCheckoutSessionProbe } from './dynamodb-checkout-session.probe.js';
import { countKeyOf, countShardOf, countShardsOf, ledgerIdOf, metadataIdOf } from './dynamodb-checkout-session.keys.js';
import { ensureCheckoutSessionTable, inspectCheckoutSessionTable } from './dynamodb-checkout-session.table.js';

/**
 * A session as stored in DynamoDB: timestamps as numbers, `expiresAt` in epoch seconds (the TTL attribute). Its
 * `metadata` lives in an item of its own (`metadata#<id>`), so a status change never rewrites it.
 */
interface CheckoutSessionItem {
  id: string;
  eventId: string;
  priceId: string;
  quantity: number;
  price?: number;
  status: CheckoutSessionStatus;
  /** Set when the session has `metadata`, kept in the item `metadata#<id>`. */
  hasMetadata?: true;
  /** `metadata` kept in the session item itself, as the previous layout did. */
  metadata?: CheckoutSessionMetadata;
  /** Count index partition key, `<eventId>#<shard>`; absent on sessions of the previous layout until backfilled. */
  countShard?: string;
  /** Count index sort key, `<status>#<priceId>`. */
  countKey?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch seconds: DynamoDB ignores TTL values in milliseconds or strings. */
  expiresAt: number;
  /** End (epoch seconds) of the ledger bucket that releases the hold; absent on sessions made before holds existed. */
  holdBucket?: number;
  /** Tokens of the status changes applied, so a change is recognised on the SDK's retry and never applied twice. */
  transitions?: Set<string>;
}

/** The item that keeps a session's metadata, living as long as the session. */
interface MetadataItem {
  id: string;
  metadata: CheckoutSessionMetadata;
  expiresAt: number;
}

const toItem = (s: CheckoutSession, holdBucket: number): CheckoutSessionItem => ({
  id: s.id,
  eventId: s.eventId,
  priceId: s.priceId,
  quantity: s.quantity,
  price: s.price,
  status: s.status,
  ...(s.metadata !== undefined && { hasMetadata: true }),
  countShard: countShardOf(s.eventId, s.id),
  countKey: countKeyOf(s.status, s.priceId),
  createdAt: s.createdAt.getTime(),
  expiresAt: s.expiresAt.getTime() / 1000,
  holdBucket,
});

const fromItem = (item: CheckoutSessionItem, metadata: CheckoutSessionMetadata | undefined): CheckoutSession => ({
  id: item.id,
  eventId: item.eventId,
  priceId: item.priceId,
  quantity: item.quantity,
  ...(item.price !== undefined && { price: item.price }),
  status: item.status,
  ...(metadata !== undefined && { metadata }),
  createdAt: new Date(item.createdAt),
  expiresAt: new Date(item.expiresAt * 1000),
});

/** The record that an idempotency key was used: which session it created, living as long as that session. */
interface IdempotencyKeyItem {
  id: string;
  sessionId: string;
  expiresAt: number;
}

/** Prefix of the ids of idempotency key records; session ids are UUIDs, so the two never meet. */
const IDEMPOTENCY_KEY_PREFIX = 'idempotency#';

/** Attribute of a ledger bucket that ends at `bucket` (epoch seconds). */
const bucketAttribute = (bucket: number): string => `b${bucket}`;

/** A ledger item as a {@link HoldLedger}: `held` and the `b<end>` bucket attributes. */
function toLedger(item: Record<string, unknown> | undefined): HoldLedger {
  const buckets = new Map<number, number>();
  for (const [name, value] of Object.entries(item ?? {})) if (/^b\d+$/.test(name)) buckets.set(Number(name.slice(1)), value as number);
  return { held: (item?.held as number | undefined) ?? 0, buckets };
}

/** Epoch seconds `s` such that `expiresAt > s` exactly when `expiresAt × 1000 > nowMs` (expiresAt is whole seconds). */
const nowSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/** Cap in ms of the randomised pause before another try of a write that lost a race (full jitter, doubling from 5 ms). */
const CONTENTION_BACKOFF_CAP_MS = 100;
/** How often, at most, this process tidies the ended buckets of a ledger it writes to. */
const LEDGER_TIDY_INTERVAL_MS = 60_000;

/** One part of a transaction. */
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const isNamed = (error: unknown, name: string): boolean => (error as Error | null)?.name === name;

/** The item DynamoDB returned with a failed condition (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), unmarshalled. */
function conditionFailureItem(error: unknown): CheckoutSessionItem | undefined | null {
  if (!isNamed(error, 'ConditionalCheckFailedException')) return null;
  const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return item ? (unmarshall(item) as CheckoutSessionItem) : undefined;
}

/** Why each part of a cancelled transaction failed, or `null` when `error` is not a cancelled transaction. */
function cancellationReasons(error: unknown): CancellationReason[] | null {
  if (!isNamed(error, 'TransactionCanceledException')) return null;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

/** The item a part of a cancelled transaction failed its condition on (`undefined`: no item), or `null` if it did not. */
function failedConditionItem<T>(reason: CancellationReason | undefined): T | undefined | null {
  if (reason?.Code !== 'ConditionalCheckFailed') return null;
  return reason.Item ? (unmarshall(reason.Item) as T) : undefined;
}

/**
 * Whether a write lost a race for its items, or met the per-item throughput limit, which DynamoDB reports inside a
 * cancelled transaction (and so the SDK does not retry): a transaction cancelled for `TransactionConflict` or
 * `ThrottlingError`, or a single write refused with `TransactionConflictException` while a transaction holds its item.
 */
function contended(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  if (reasons) return reasons.some((reason) => reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError');
  return isNamed(error, 'TransactionConflictException');
}

/**
 * DynamoDB driver. Every read, count and conditional write treats `expiresAt <= now` as absent, because DynamoDB
 * deletes TTL-expired items lazily. Writes are conditional; no read-modify-write. Holds live in one ledger item per
 * event/price, changed in the same transaction as the session (docs/holds.md). SDK failures become
 * {@link CheckoutSessionStoreUnavailableError} (or {@link CheckoutSessionTableNotFoundError}), never `null`.
 */
export class DynamoDbCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'dynamodb';
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;
  /** When this process last tidied each ledger it wrote to (bounded: cleared when it grows past 10,000). */
  private readonly tidiedAt = new Map<string, number>();
  /** How long after its end a ledger bucket is released (clock-skew margin, docs/holds.md). */
  private readonly releaseMarginMs: number;
  /** How long a write keeps trying again after losing races: the documented bound of one call. */
  private readonly contentionBudgetMs: number;
  private readonly probe: DynamoDbCheckoutSessionProbe;

  /** `probeClient` returns the client of the health probe (`ping`): the module's has one attempt per call. */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: ResolvedCheckoutSessionCacheOptions,
    probeClient: () => DynamoDBClient = () => client,
  ) {
    this.table = options.tableName;
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.releaseMarginMs = holdReleaseMarginMs(options.ttlHours * 3_600_000);
    this.contentionBudgetMs = options.maxAttempts * options.requestTimeoutMs;
    this.probe = new DynamoDbCheckoutSessionProbe(probeClient, this.table, options.clock, options.requestTimeoutMs, options.pingCacheMs);
  }

  /**
   * One transaction: the session (never overwriting), its tickets added to the ledger (only if they fit in
   * `maxHeld`), its metadata item when it has metadata, and with a key, the key's record (`id = idempotency#<key>`,
   * outside the count index, same TTL). The SDK's retries reuse the transaction's ClientRequestToken, and a retry that
   * finds the session it wrote reports it created, so a lost response never holds twice.
   */
  async insert(
    session: CheckoutSession,
    hold: CheckoutSessionHold,
    idempotencyKey: string | undefined,
    now: number,
  ): Promise<CheckoutSessionInsertResult> {
    const item = toItem(session, hold.bucket);
    const ledger = ledgerIdOf(session.eventId, session.priceId);
    const limit = hold.maxHeld === undefined ? undefined : hold.maxHeld - session.quantity;
    const transactItems: TransactItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: { id: ledger },
          UpdateExpression: 'ADD held :quantity, #bucket :quantity',
          // Conditions cannot add: compare `held` with the precomputed `maxHeld − quantity`. A missing ledger holds 0.
          ...(limit !== undefined && {
            ConditionExpression: limit >= 0 ? 'attribute_not_exists(held) OR held <= :limit' : 'held <= :limit',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          ExpressionAttributeNames: { '#bucket': bucketAttribute(hold.bucket) },
          ExpressionAttributeValues: { ':quantity': session.quantity, ...(limit !== undefined && { ':limit': limit }) },
        },
      },
    ];
    if (session.metadata !== undefined) {
      const metadataItem: MetadataItem = { id: metadataIdOf(session.id), metadata: session.metadata, expiresAt: item.expiresAt };
      transactItems.push({ Put: { TableName: this.table, Item: metadataItem, ConditionExpression: 'attribute_not_exists(id)' } });
    }
    if (idempotencyKey !== undefined) {
      const keyItem: IdempotencyKeyItem = { id: `${IDEMPOTENCY_KEY_PREFIX}${idempotencyKey}`, sessionId: item.id, expiresAt: item.expiresAt };
      transactItems.push({
        Put: {
          TableName: this.table,
          Item: keyItem,
          // An expired record that TTL has not deleted yet no longer holds the key.
          ConditionExpression: 'attribute_not_exists(id) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds(now) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      try {
        await this.documents.send(new TransactWriteCommand({ TransactItems: transactItems }));
        break;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === null) throw this.storeError('create', error);
        const [sessionReason, ledgerReason] = reasons;
        // The key's record is the last part, when there is one.
        const claimed = idempotencyKey === undefined ? null : failedConditionItem<IdempotencyKeyItem>(reasons.at(-1));
        if (claimed) return { outcome: 'replayed', existingId: claimed.sessionId };
        const existing = failedConditionItem<CheckoutSessionItem>(sessionReason);
        if (existing !== null) {
          // The SDK retried a transaction whose first attempt landed: the item is ours, the create succeeded.
          if (existing !== undefined && sameJson(existing, item)) return { outcome: 'created' };
          throw new CheckoutSessionAlreadyExistsError(session.id);
        }
        const full = failedConditionItem<Record<string, unknown>>(ledgerReason);
        if (full !== null) {
          const current = toLedger(full);
          const ended = endedBuckets(current, now, this.releaseMarginMs);
          if (ended.length === 0) return { outcome: 'soldOut', available: Math.max(0, hold.maxHeld! - current.held) };
          // Expired holds still counted: release them, then decide again at once.
          await this.releaseEnded(ledger, ended);
          continue;
        }
        if (!contended(error)) throw this.storeError('create', error);
        await this.contend(started, retry, 'create', error);
      }
    }
    await this.tidy(ledger, now);
    return { outcome: 'created' };
  }

  async get(id: string, now: number, consistent = this.options.consistentRead): Promise<CheckoutSession | null> {
    const item = await this.read(id, 'getById', consistent);
    if (!item || item.expiresAt <= nowSeconds(now)) return null;
    return this.withMetadata(item, 'getById');
  }

  /**
   * Reads the session (strongly consistent), then writes the change conditioned on the status it read: one
   * UpdateItem between holding statuses, or one transaction with the ledger release when the change ends the hold
   * (to `COMPLETED` or `CANCELLED`). The update sets the count index's sort key with the status and never touches the
   * metadata item. A session that changed in between fails the condition, which returns it (`ALL_OLD`) to decide
   * again; a retried change finds its own token and reports success.
   */
  async transition(
    id: string,
    from: readonly CheckoutSessionStatus[],
    to: CheckoutSessionStatus,
    now: number,
  ): Promise<CheckoutSessionTransitionResult> {
    const transitionId = randomUUID();
    const started = Date.now();
    let item = await this.read(id, 'updateStatus', true);
    for (let retry = 0; ; retry++) {
      if (item?.transitions?.has(transitionId)) return this.updated(item);
      if (item === undefined || item.expiresAt <= nowSeconds(now)) return { outcome: 'absent' };
      if (!from.includes(item.status)) return { outcome: 'conflict', current: item.status };
      const session = item;
      const update = {
        TableName: this.table,
        Key: { id },
        UpdateExpression: 'SET #status = :to, countShard = :countShard, countKey = :countKey ADD transitions :transition',
        // A late duplicate of this very change (same token) never applies again, whatever happened in between.
        ConditionExpression: 'attribute_exists(id) AND expiresAt > :now AND #status = :current AND NOT contains(transitions, :transitionId)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': to,
          ':current': session.status,
          ':countShard': countShardOf(session.eventId, id),
          ':countKey': countKeyOf(to, session.priceId),
          ':transition': new Set([transitionId]),
          ':transitionId': transitionId,
          ':now': nowSeconds(now),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      const releases = session.holdBucket !== undefined && isHolding(session.status) && !isHolding(to);
      try {
        if (releases) await this.documents.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, this.release(session)] }));
        else await this.documents.send(new UpdateCommand(update));
        return this.updated({ ...session, status: to });
      } catch (error) {
        const reasons = cancellationReasons(error);
        // The session as the failed condition found it: changed since it was read, or already changed by this very
        // call (a retry of a write that landed, recognised by its token at the top of the loop).
        const single = conditionFailureItem(error);
        const changed = single !== null ? single : failedConditionItem<CheckoutSessionItem>(reasons?.[0]);
        if (changed !== null) item = changed;
        else if (reasons !== null && failedConditionItem(reasons[1]) !== null) {
          // The bucket was released already: by the ledger's clock, the session has expired.
          return { outcome: 'absent' };
        } else if (contended(error)) await this.contend(started, retry, 'updateStatus', error);
        else throw this.storeError('updateStatus', error);
      }
    }
  }

  /**
   * Deletes a session with its metadata item. A live holding session is deleted in one transaction with its hold's
   * release, conditioned on the status read; any other session (ended, expired, or made before holds existed) is
   * deleted without one.
   */
  async delete(id: string, now: number): Promise<void> {
    // Set once the hold's bucket is found released: the session has expired by the ledger's clock.
    let bucketReleased = false;
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      const item = await this.read(id, 'deleteById', true);
      if (!item) return;
      const releases = !bucketReleased && item.holdBucket !== undefined && item.expiresAt > nowSeconds(now) && isHolding(item.status);
      const parts: TransactItem[] = [
        {
          Delete: {
            TableName: this.table,
            Key: { id },
            ...(releases && {
              ConditionExpression: '#status = :current AND expiresAt > :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':current': item.status, ':now': nowSeconds(now) },
            }),
          },
        },
        ...(releases ? [this.release(item)] : []),
        ...(item.hasMetadata ? [{ Delete: { TableName: this.table, Key: { id: metadataIdOf(id) } } }] : []),
      ];
      try {
        if (parts.length === 1) await this.documents.send(new DeleteCommand({ TableName: this.table, Key: { id } }));
        else await this.documents.send(new TransactWriteCommand({ TransactItems: parts }));
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        // The session changed since it was read, or its bucket was released already: read it again and delete it as
        // it is now.
        if (reasons !== null && releases && failedConditionItem(reasons[1]) !== null) bucketReleased = true;
        else if (reasons !== null && failedConditionItem(reasons[0]) !== null) continue;
        else if (contended(error)) await this.contend(started, retry, 'deleteById', error);
        else throw this.storeError('deleteById', error);
      }
    }
  }

  /**
   * Queries the count index: the event's 32 shards in parallel, and in each, one query per status asked for (by
   * exact key with a price, by key prefix without), so a count reads only sessions of the statuses it counts.
   */
  async count(filter: CheckoutSessionCountFilter, now: number): Promise<CheckoutSessionCount> {
    const conditions: { expression: string; key?: string }[] =
      filter.status === undefined && filter.priceId === undefined
        ? [{ expression: 'countShard = :shard' }]
        : (filter.status ?? CHECKOUT_SESSION_STATUSES).map((status) =>
            filter.priceId === undefined
              ? { expression: 'countShard = :shard AND begins_with(countKey, :key)', key: `${status}#` }
              : { expression: 'countShard = :shard AND countKey = :key', key: countKeyOf(status, filter.priceId) },
          );
    const shards = await Promise.all(
      countShardsOf(filter.eventId).map(async (shard) => {
        const result = { sessions: 0, quantity: 0 };
        for (const { expression, key } of conditions) {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await this.run('count', () =>
              this.documents.send(
                new QueryCommand({
                  TableName: this.table,
                  IndexName: COUNT_INDEX_NAME,
                  KeyConditionExpression: expression,
                  FilterExpression: 'expiresAt > :now',
                  ProjectionExpression: 'quantity',
                  ExpressionAttributeValues: { ':shard': shard, ':now': nowSeconds(now), ...(key !== undefined && { ':key': key }) },
                  ExclusiveStartKey: startKey,
                  Limit: this.options.queryPageSize,
                }),
              ),
            );
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
    const ledger = await this.run('held', () =>
      this.documents.send(new GetCommand({ TableName: this.table, Key: { id: ledgerIdOf(query.eventId, query.priceId) }, ConsistentRead: true })),
    );
    return liveHeld(toLedger(ledger.Item), now, this.releaseMarginMs);
  }

  /** The ledger half of a transaction that ends a live session's hold: only while its bucket is still there. */
  private release(session: CheckoutSessionItem): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: { id: ledgerIdOf(session.eventId, session.priceId) },
        UpdateExpression: 'ADD held :release, #bucket :release',
        ConditionExpression: 'attribute_exists(#bucket)',
        ExpressionAttributeNames: { '#bucket': bucketAttribute(session.holdBucket!) },
        ExpressionAttributeValues: { ':release': -session.quantity },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Takes ended buckets out of a ledger: `held` drops by their tickets and the buckets go, conditioned on each bucket
   * still holding what was read, so two processes never release one twice. Losing that race is fine: the caller
   * reads again.
   */
  private async releaseEnded(ledger: string, ended: [bucket: number, tickets: number][]): Promise<void> {
    const names = Object.fromEntries(ended.map(([bucket], i) => [`#b${i}`, bucketAttribute(bucket)]));
    const values = Object.fromEntries(ended.map(([, tickets], i) => [`:b${i}`, tickets]));
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: ledger },
          UpdateExpression: `ADD held :released REMOVE ${Object.keys(names).join(', ')}`,
          ConditionExpression: Object.keys(names).map((name, i) => `${name} = :b${i}`).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':released': -ended.reduce((sum, [, tickets]) => sum + tickets, 0) },
        }),
      );
    } catch (error) {
      if (!isNamed(error, 'ConditionalCheckFailedException') && !isNamed(error, 'TransactionConflictException')) {
        throw this.storeError('release expired holds', error);
      }
    }
  }

  /**
   * Keeps a ledger small: about once a minute per process and ledger, after a create, releases the buckets that
   * have ended (a ledger then holds about 51 buckets with a 24 h TTL, docs/holds.md). Housekeeping only: the create
   * has succeeded whatever happens here, so a failure is logged, not thrown.
   */
  private async tidy(ledger: string, now: number): Promise<void> {
    if (now - (this.tidiedAt.get(ledger) ?? -Infinity) < LEDGER_TIDY_INTERVAL_MS) return;
    if (this.tidiedAt.size >= 10_000) this.tidiedAt.clear();
    this.tidiedAt.set(ledger, now);
    try {
      const current = await this.documents.send(new GetCommand({ TableName: this.table, Key: { id: ledger } }));
      const ended = endedBuckets(toLedger(current.Item), now, this.releaseMarginMs);
      if (ended.length > 0) await this.releaseEnded(ledger, ended);
    } catch (error) {
      this.logger.warn(`Could not tidy a hold ledger (it is tidied again later): ${(error as Error).name}: ${(error as Error).message}`);
    }
  }

  /**
   * Pauses before another try of a write that lost a race or met the per-item limit (full jitter, 5 ms doubling to
   * 100 ms); past the budget of one call (`maxAttempts × requestTimeoutMs`), the store is overloaded and the caller
   * gets {@link CheckoutSessionStoreUnavailableError}.
   */
  private async contend(started: number, retry: number, operation: string, error: unknown): Promise<void> {
    if (Date.now() - started >= this.contentionBudgetMs) throw this.storeError(operation, error);
    await sleep(Math.random() * Math.min(CONTENTION_BACKOFF_CAP_MS, 5 * 2 ** retry));
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
    const result = await this.run(operation, () =>
      this.documents.send(new GetCommand({ TableName: this.table, Key: { id: metadataIdOf(item.id) }, ConsistentRead: true })),
    );
    return result.Item ? fromItem(item, (result.Item as MetadataItem).metadata) : null;
  }

  /** The session item with this id (expired ones included), or `undefined`. */
  private async read(id: string, operation: string, consistent: boolean): Promise<CheckoutSessionItem | undefined> {
    const result = await this.run(operation, () => this.documents.send(new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: consistent })));
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

  /** The module destroys the clients it created, after the HTTP server closed; nothing to release here. */
  async close(): Promise<void> {}

  private async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.storeError(operation, error);
    }
  }

  private storeError(operation: string, error: unknown): CheckoutSessionStoreUnavailableError {
    if ((error as Error | null)?.name === 'ResourceNotFoundException') {
      this.logger.error(`${operation}: table "${this.table}" or its index does not exist`);
      return new CheckoutSessionTableNotFoundError(this.table, { cause: error });
    }
    const { name, message } = error as Error;
    return new CheckoutSessionStoreUnavailableError(`DynamoDB ${operation} failed: ${name}: ${message}`, { cause: error });
  }
}
