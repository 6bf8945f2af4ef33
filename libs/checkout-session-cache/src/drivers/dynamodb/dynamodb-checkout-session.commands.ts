import type {
  GetCommandInput,
  QueryCommandInput,
  TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CHECKOUT_SESSION_STATUSES } from '../../checkout-session-cache.state-machine.js';
import { COUNT_INDEX_NAME } from './dynamodb-checkout-session.layout.js';
import type { CheckoutSessionCountFilter } from '../../interfaces/checkout-session-store.interface.js';
import type { CheckoutSessionMetadata, CheckoutSessionStatus } from '../../interfaces/checkout-session.interface.js';
import { countKeyOf, countShardOf, countShardsOf, metadataIdOf } from './dynamodb-checkout-session.keys.js';
import {
  bucketAttribute,
  type CheckoutSessionItem,
  type IdempotencyKeyItem,
  idempotencyKeyIdOf,
  MAX_TRANSITION_TOKENS,
  type MetadataItem,
  nowSeconds,
} from './dynamodb-checkout-session.items.js';

// Pure builders of the driver's DynamoDB requests: plain inputs of the document client's commands, no I/O. The store
// sends them; the benchmark's raw-SDK floor sends the same ones.

/** One part of a transaction. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** An update, in a transaction or sent alone as an UpdateItem. */
export type TransactUpdate = NonNullable<TransactItem['Update']>;
/** A delete, in a transaction or sent alone as a DeleteItem. */
export type TransactDelete = NonNullable<TransactItem['Delete']>;

/** The Put of a new session: never over an existing item. */
export const putSession = (table: string, item: CheckoutSessionItem): TransactItem => ({
  Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
});

/** The Put of a new session's metadata item. */
export const putMetadata = (table: string, sessionId: string, metadata: CheckoutSessionMetadata, expiresAt: number): TransactItem => {
  const item: MetadataItem = { id: metadataIdOf(sessionId), metadata, expiresAt };
  return { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(id)' } };
};

/** The Put of an idempotency key's record: only while no live record holds the key (an expired one no longer does). */
export const putIdempotencyKey = (table: string, key: string, sessionId: string, expiresAt: number, now: number): TransactItem => {
  const item: IdempotencyKeyItem = { id: idempotencyKeyIdOf(key), sessionId, expiresAt };
  return {
    Put: {
      TableName: table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(id) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': nowSeconds(now) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
};

/**
 * The UpdateItem of a status change of the session `item` as read: sets the status and the count index's sort key,
 * conditioned on the session being live, still in the status read and at the change count read (so no change, and no
 * late duplicate of one, ever applies twice), and keeps the newest {@link MAX_TRANSITION_TOKENS} change tokens, with
 * `token` last, so a retry whose first answer was lost finds its own.
 */
export function transitionUpdate(table: string, item: CheckoutSessionItem, to: CheckoutSessionStatus, token: string, now: number): TransactUpdate {
  const count = item.transitionCount;
  return {
    TableName: table,
    Key: { id: item.id },
    UpdateExpression:
      'SET #status = :to, countShard = :countShard, countKey = :countKey, transitionTokens = :tokens, transitionCount = :next',
    ConditionExpression: `attribute_exists(id) AND expiresAt > :now AND #status = :current AND ${
      count === undefined ? 'attribute_not_exists(transitionCount)' : 'transitionCount = :count'
    }`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':to': to,
      ':current': item.status,
      ':countShard': countShardOf(item.eventId, item.id),
      ':countKey': countKeyOf(to, item.priceId),
      ':tokens': [...(item.transitionTokens ?? []).slice(-(MAX_TRANSITION_TOKENS - 1)), token],
      ':next': (count ?? 0) + 1,
      ':now': nowSeconds(now),
      ...(count !== undefined && { ':count': count }),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The Delete of a session; conditioned on the status read and on being live when it releases a hold with it. */
export function deleteSession(table: string, item: CheckoutSessionItem, releases: boolean, now: number): TransactDelete {
  return {
    TableName: table,
    Key: { id: item.id },
    ...(releases && {
      ConditionExpression: '#status = :current AND expiresAt > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':current': item.status, ':now': nowSeconds(now) },
    }),
  };
}

/** The Delete of a session's metadata item. */
export const deleteMetadata = (table: string, sessionId: string): TransactItem => ({ Delete: { TableName: table, Key: { id: metadataIdOf(sessionId) } } });

/** A GetItem by id. */
export const getById = (table: string, id: string, consistent: boolean): GetCommandInput => ({ TableName: table, Key: { id }, ConsistentRead: consistent });

/** What one transaction does to a hold ledger. */
export interface LedgerChange {
  /** Tickets added to (> 0) or taken from (< 0) each bucket, by bucket end. */
  readonly deltas: ReadonlyMap<number, number>;
  /** Buckets that must still exist: those the transaction's releases take tickets from. */
  readonly mustExist: readonly number[];
  /** Ended buckets released by the same write, with the tickets each must still hold. */
  readonly ended: readonly (readonly [bucket: number, tickets: number])[];
  /** The most `held` may be before the write, when a create in it is limited. */
  readonly limit?: number;
}

/**
 * The Update of a hold ledger: `held` and each bucket move by the change's tickets and ended buckets go, in one write.
 * Conditioned on the change's limit (conditions cannot add: the limit is precomputed; a missing ledger holds 0), on
 * every released bucket still being there, and on each ended bucket still holding what was read, so that no two
 * writers release one twice. A failed condition returns the ledger (`ALL_OLD`).
 */
export function updateLedger(table: string, ledgerId: string, change: LedgerChange): TransactItem {
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const adds: string[] = [];
  const conditions: string[] = [];
  let held = 0;
  let n = 0;
  for (const [bucket, delta] of change.deltas) {
    names[`#b${n}`] = bucketAttribute(bucket);
    values[`:b${n}`] = delta;
    adds.push(`#b${n} :b${n}`);
    if (change.mustExist.includes(bucket)) conditions.push(`attribute_exists(#b${n})`);
    held += delta;
    n += 1;
  }
  const removes = change.ended.map(([bucket, tickets], i) => {
    names[`#e${i}`] = bucketAttribute(bucket);
    values[`:e${i}`] = tickets;
    conditions.push(`#e${i} = :e${i}`);
    held -= tickets;
    return `#e${i}`;
  });
  if (change.limit !== undefined) {
    values[':limit'] = change.limit;
    conditions.unshift(change.limit >= 0 ? '(attribute_not_exists(held) OR held <= :limit)' : 'held <= :limit');
  }
  values[':held'] = held;
  return {
    Update: {
      TableName: table,
      Key: { id: ledgerId },
      UpdateExpression: `ADD held :held${adds.map((add) => `, ${add}`).join('')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ...(conditions.length > 0 && { ConditionExpression: conditions.join(' AND '), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }),
      ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
      ExpressionAttributeValues: values,
    },
  };
}

/** The puts of a new session's items: the session, its metadata item when it has metadata, its key's record. */
export function putNewSession(
  table: string,
  item: CheckoutSessionItem,
  metadata: CheckoutSessionMetadata | undefined,
  idempotencyKey: string | undefined,
  now: number,
): TransactItem[] {
  return [
    putSession(table, item),
    ...(metadata !== undefined ? [putMetadata(table, item.id, metadata, item.expiresAt)] : []),
    ...(idempotencyKey !== undefined ? [putIdempotencyKey(table, idempotencyKey, item.id, item.expiresAt, now)] : []),
  ];
}

/**
 * The index queries of a count: for each of the event's shards, one query per status asked for (by exact key with a
 * price, by key prefix without; one for the whole shard when neither is given), filtered on `expiresAt > now`.
 */
export function countQueries(table: string, filter: CheckoutSessionCountFilter, now: number, pageSize: number | undefined): QueryCommandInput[][] {
  const conditions: { expression: string; key?: string }[] =
    filter.status === undefined && filter.priceId === undefined
      ? [{ expression: 'countShard = :shard' }]
      : (filter.status ?? CHECKOUT_SESSION_STATUSES).map((status) =>
          filter.priceId === undefined
            ? { expression: 'countShard = :shard AND begins_with(countKey, :key)', key: `${status}#` }
            : { expression: 'countShard = :shard AND countKey = :key', key: countKeyOf(status, filter.priceId) },
        );
  return countShardsOf(filter.eventId).map((shard) =>
    conditions.map(({ expression, key }) => ({
      TableName: table,
      IndexName: COUNT_INDEX_NAME,
      KeyConditionExpression: expression,
      FilterExpression: 'expiresAt > :now',
      ProjectionExpression: 'quantity',
      ExpressionAttributeValues: { ':shard': shard, ':now': nowSeconds(now), ...(key !== undefined && { ':key': key }) },
      ...(pageSize !== undefined && { Limit: pageSize }),
    })),
  );
}
