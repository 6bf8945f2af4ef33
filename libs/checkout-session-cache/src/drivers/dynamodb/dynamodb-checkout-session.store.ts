import { type CancellationReason, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EVENT_PRICE_INDEX_NAME } from '../../checkout-session-cache.constants.js';
import { sameJson } from '../../checkout-session-cache.utils.js';
import { CheckoutSessionAlreadyExistsError } from '../../errors/checkout-session-already-exists.error.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { ResolvedCheckoutSessionCacheOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import type {
  CheckoutSessionInsertResult,
  CheckoutSessionStore,
  CheckoutSessionTransitionResult,
} from '../../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionMetadata,
  CheckoutSessionStatus,
} from '../../interfaces/checkout-session.interface.js';
import { ensureCheckoutSessionTable, inspectCheckoutSessionTable } from './dynamodb-checkout-session.table.js';

/** A session as stored in DynamoDB: timestamps as numbers, `expiresAt` in epoch seconds (the TTL attribute). */
interface CheckoutSessionItem {
  id: string;
  eventId: string;
  priceId: string;
  quantity: number;
  price?: number;
  status: CheckoutSessionStatus;
  metadata?: CheckoutSessionMetadata;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch seconds: DynamoDB ignores TTL values in milliseconds or strings. */
  expiresAt: number;
  /** Token of the last status change, so a change whose response was lost is recognised on the SDK's retry. */
  transitionId?: string;
}

const toItem = (s: CheckoutSession): CheckoutSessionItem => ({
  id: s.id,
  eventId: s.eventId,
  priceId: s.priceId,
  quantity: s.quantity,
  price: s.price,
  status: s.status,
  metadata: s.metadata,
  createdAt: s.createdAt.getTime(),
  expiresAt: s.expiresAt.getTime() / 1000,
});

const fromItem = (item: CheckoutSessionItem): CheckoutSession => ({
  id: item.id,
  eventId: item.eventId,
  priceId: item.priceId,
  quantity: item.quantity,
  ...(item.price !== undefined && { price: item.price }),
  status: item.status,
  ...(item.metadata !== undefined && { metadata: item.metadata }),
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

/** Epoch seconds `s` such that `expiresAt > s` exactly when `expiresAt × 1000 > nowMs` (expiresAt is whole seconds). */
const nowSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/** The item DynamoDB returned with a failed condition (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), unmarshalled. */
function conditionFailureItem(error: unknown): CheckoutSessionItem | undefined | null {
  if ((error as Error | null)?.name !== 'ConditionalCheckFailedException') return null;
  const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return item ? (unmarshall(item) as CheckoutSessionItem) : undefined;
}

/**
 * DynamoDB driver. Every read, count and conditional write treats `expiresAt <= now` as absent, because DynamoDB
 * deletes TTL-expired items lazily. Writes are conditional; no read-modify-write. SDK failures become
 * {@link CheckoutSessionStoreUnavailableError} (or {@link CheckoutSessionTableNotFoundError}), never `null`.
 */
export class DynamoDbCheckoutSessionStore implements CheckoutSessionStore {
  readonly driver = 'dynamodb';
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: ResolvedCheckoutSessionCacheOptions,
  ) {
    this.table = options.tableName;
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async insert(session: CheckoutSession, idempotencyKey: string | undefined, now: number): Promise<CheckoutSessionInsertResult> {
    const item = toItem(session);
    if (idempotencyKey !== undefined) return this.insertWithKey(item, idempotencyKey, now);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'created' };
    } catch (error) {
      const existing = conditionFailureItem(error);
      if (existing === null) throw this.storeError('create', error);
      // The SDK retried a put whose first attempt landed: the item is ours, the create succeeded.
      if (existing !== undefined && sameJson(existing, item)) return { outcome: 'created' };
      throw new CheckoutSessionAlreadyExistsError(session.id);
    }
  }

  /**
   * Writes the session and the key's record (`id = idempotency#<key>`, outside the count index, same TTL) in one
   * transaction. The SDK's retries reuse the transaction's ClientRequestToken, so a retried write is not applied twice.
   */
  private async insertWithKey(item: CheckoutSessionItem, idempotencyKey: string, now: number): Promise<CheckoutSessionInsertResult> {
    const keyItem: IdempotencyKeyItem = { id: `${IDEMPOTENCY_KEY_PREFIX}${idempotencyKey}`, sessionId: item.id, expiresAt: item.expiresAt };
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(id)' } },
            {
              Put: {
                TableName: this.table,
                Item: keyItem,
                // An expired record that TTL has not deleted yet no longer holds the key.
                ConditionExpression: 'attribute_not_exists(id) OR expiresAt <= :now',
                ExpressionAttributeValues: { ':now': nowSeconds(now) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
      return { outcome: 'created' };
    } catch (error) {
      if ((error as Error | null)?.name !== 'TransactionCanceledException') throw this.storeError('create', error);
      const [sessionReason, keyReason] = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
      if (keyReason?.Code === 'ConditionalCheckFailed' && keyReason.Item) {
        return { outcome: 'replayed', existingId: (unmarshall(keyReason.Item) as IdempotencyKeyItem).sessionId };
      }
      if (sessionReason?.Code === 'ConditionalCheckFailed') throw new CheckoutSessionAlreadyExistsError(item.id);
      // TransactionConflict: another create with the same key is in flight; a retry will replay it.
      throw this.storeError('create', error);
    }
  }

  async get(id: string, now: number): Promise<CheckoutSession | null> {
    const result = await this.run('getById', () =>
      this.documents.send(new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: this.options.consistentRead })),
    );
    const item = result.Item as CheckoutSessionItem | undefined;
    return item && item.expiresAt > nowSeconds(now) ? fromItem(item) : null;
  }

  async transition(
    id: string,
    from: readonly CheckoutSessionStatus[],
    to: CheckoutSessionStatus,
    now: number,
  ): Promise<CheckoutSessionTransitionResult> {
    const transitionId = randomUUID();
    const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: 'SET #status = :to, transitionId = :transitionId',
          ConditionExpression: `attribute_exists(id) AND expiresAt > :now AND #status IN (${Object.keys(fromValues).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': to, ':transitionId': transitionId, ':now': nowSeconds(now), ...fromValues },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'updated', session: fromItem(result.Attributes as CheckoutSessionItem) };
    } catch (error) {
      const old = conditionFailureItem(error);
      if (old === null) throw this.storeError('updateStatus', error);
      if (old === undefined || old.expiresAt <= nowSeconds(now)) return { outcome: 'absent' };
      // The SDK retried an update whose first attempt landed: the change is ours.
      if (old.transitionId === transitionId) return { outcome: 'updated', session: fromItem(old) };
      return { outcome: 'conflict', current: old.status };
    }
  }

  async delete(id: string): Promise<void> {
    await this.run('deleteById', () => this.documents.send(new DeleteCommand({ TableName: this.table, Key: { id } })));
  }

  async count(query: CheckoutSessionCountQuery, now: number): Promise<CheckoutSessionCount> {
    const values: Record<string, string | number> = { ':eventId': query.eventId, ':now': nowSeconds(now) };
    let keyCondition = 'eventId = :eventId';
    let filter = 'expiresAt > :now';
    if (query.priceId !== undefined) {
      keyCondition += ' AND priceId = :priceId';
      values[':priceId'] = query.priceId;
    }
    if (query.status !== undefined) {
      filter += ' AND #status = :status';
      values[':status'] = query.status;
    }
    const result = { sessions: 0, quantity: 0 };
    let startKey: Record<string, unknown> | undefined;
    do {
      // A page stops at 1 MB read before the filter applies: follow LastEvaluatedKey to the end.
      const page = await this.run('count', () =>
        this.documents.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: EVENT_PRICE_INDEX_NAME,
            KeyConditionExpression: keyCondition,
            FilterExpression: filter,
            ProjectionExpression: 'quantity',
            ...(query.status !== undefined && { ExpressionAttributeNames: { '#status': 'status' } }),
            ExpressionAttributeValues: values,
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
    return result;
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.client.send(new DescribeTableCommand({ TableName: this.table })));
  }

  async init(): Promise<void> {
    const { region, endpoint } = this.options;
    this.logger.log(`DynamoDB table "${this.table}", region ${region ?? '(SDK default)'}, endpoint ${endpoint ?? '(AWS)'}`);
    if (this.options.autoCreateTable) {
      await ensureCheckoutSessionTable(this.client, this.table, (line) => this.logger.log(line));
      return;
    }
    if (!this.options.verifyTableOnStartup) return;
    try {
      for (const problem of await inspectCheckoutSessionTable(this.client, this.table)) {
        this.logger.error(`${problem} (run \`npm run table:create\` or see docs/provisioning.md)`);
      }
    } catch (error) {
      this.logger.warn(`Could not check table "${this.table}" at start-up: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }

  /** The module destroys the client it created; nothing else to release here. */
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
