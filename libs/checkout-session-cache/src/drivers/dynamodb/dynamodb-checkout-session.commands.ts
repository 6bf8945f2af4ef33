import type {
  GetCommandInput,
  QueryCommandInput,
  TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CHECKOUT_SESSION_STATUSES } from '../../checkout-session-cache.state-machine.js';
import { COUNT_INDEX_NAME } from './dynamodb-checkout-session.layout.js';
import type { CheckoutSessionCountFilter } from '../../interfaces/checkout-session-store.interface.js';
import type { CheckoutSessionMetadata, CheckoutSessionStatus, CheckoutSessionStoredStatus } from '../../interfaces/checkout-session.interface.js';
import { countKeyOf, countShardOf, countShardsOf, HOLD_SEPARATOR, holdExpiryOfCountKey, metadataIdOf } from './dynamodb-checkout-session.keys.js';
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

/** What a status change writes on the session: its new status, hold lapse (epoch s), extension and bucket. */
export interface SessionChange {
  readonly status: CheckoutSessionStoredStatus;
  readonly holdExpiresAt: number;
  readonly holdExtended: boolean;
  /** The bucket its hold moves to, when it is extended. */
  readonly holdBucket?: number;
}

/**
 * The UpdateItem of a status change of the session `item` as read: sets the status, the hold's lapse and extension,
 * and the count index's sort key, conditioned on the session being live, still in the status read and at the change
 * count read (so no change, and no late duplicate of one, ever applies twice), and keeps the newest
 * {@link MAX_TRANSITION_TOKENS} change tokens, with `token` last, so a retry whose first answer was lost finds its own.
 */
export function transitionUpdate(table: string, item: CheckoutSessionItem, change: SessionChange, token: string, now: number): TransactUpdate {
  const count = item.transitionCount;
  return {
    TableName: table,
    Key: { id: item.id },
    UpdateExpression: `SET #status = :to, countShard = :countShard, countKey = :countKey, transitionTokens = :tokens, transitionCount = :next, holdExpiresAt = :hold${
      change.holdExtended ? ', holdExtended = :extended' : ''
    }${change.holdBucket !== undefined ? ', holdBucket = :bucket' : ''}`,
    ConditionExpression: `attribute_exists(id) AND expiresAt > :now AND #status = :current AND ${
      count === undefined ? 'attribute_not_exists(transitionCount)' : 'transitionCount = :count'
    }`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':to': change.status,
      ':current': item.status,
      ':countShard': countShardOf(item.eventId, item.id),
      ':countKey': countKeyOf(change.status, item.priceId, change.holdExpiresAt),
      ':tokens': [...(item.transitionTokens ?? []).slice(-(MAX_TRANSITION_TOKENS - 1)), token],
      ':next': (count ?? 0) + 1,
      ':now': nowSeconds(now),
      ':hold': change.holdExpiresAt,
      ...(change.holdExtended && { ':extended': true }),
      ...(change.holdBucket !== undefined && { ':bucket': change.holdBucket }),
      ...(count !== undefined && { ':count': count }),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * The Delete of a session; when it releases a hold with it, conditioned on the session being live, in the status and
 * at the change count read (so a hold moved to another bucket meanwhile is never released from the old one).
 */
export function deleteSession(table: string, item: CheckoutSessionItem, releases: boolean, now: number): TransactDelete {
  const count = item.transitionCount;
  return {
    TableName: table,
    Key: { id: item.id },
    ...(releases && {
      ConditionExpression: `#status = :current AND expiresAt > :now AND ${count === undefined ? 'attribute_not_exists(transitionCount)' : 'transitionCount = :count'}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':current': item.status, ':now': nowSeconds(now), ...(count !== undefined && { ':count': count }) },
    }),
  };
}

/** The Delete of a session's metadata item. */
export const deleteMetadata = (table: string, sessionId: string): TransactItem => ({ Delete: { TableName: table, Key: { id: metadataIdOf(sessionId) } } });

/** A GetItem by id. */
export const getById = (table: string, id: string, consistent: boolean): GetCommandInput => ({ TableName: table, Key: { id }, ConsistentRead: consistent });

/** What one transaction does to a price's ledger (see `ledgerChange`). */
export interface LedgerChange {
  /** Tickets added to (> 0) or taken from (< 0) each bucket, by bucket end. */
  readonly deltas: ReadonlyMap<number, number>;
  /** Buckets that must still exist: those the transaction takes tickets from. */
  readonly mustExist: readonly number[];
  /** Ended buckets released by the same write, with the tickets each must still hold. */
  readonly ended: readonly (readonly [bucket: number, tickets: number])[];
  /** Change of `held`, `sold` and `free` by the entries (the ended buckets and an adoption not included). */
  readonly held: number;
  readonly sold: number;
  readonly free: number;
  /** The most `held` may be before the write, when a hold in it has a `maxHeld`. */
  readonly limit?: number;
  /** The least `free` must be before the write when the price has stock, when an entry in it takes tickets. */
  readonly need?: number;
  /** The least `sold` must be before the write, when it returns tickets. */
  readonly minSold?: number;
  /** The stock it sets, conditioned on the stock read (`null`: none). */
  readonly stock?: { readonly total: number; readonly previous: number | null };
  /** A ledger of an earlier version, with `held` as read, whose `free` this write sets. */
  readonly adopt?: { readonly held: number };
}

/**
 * The Update of a price's ledger: `held`, `sold`, `free` and each bucket move by the change, ended buckets go, and the
 * stock is set, in one write. Conditioned on the change's limits (conditions cannot add: they are precomputed; a
 * missing ledger holds 0 and has no stock), on every bucket it takes from still being there, on each ended bucket
 * still holding what was read, so that no two writers release one twice, and on the ledger being of this version
 * (it keeps `free`), or on the `held` read when it adopts one of an earlier version. A failed condition returns the
 * ledger (`ALL_OLD`).
 */
export function updateLedger(table: string, ledgerId: string, change: LedgerChange): TransactItem {
  const names: Record<string, string> = { '#free': 'free' };
  const values: Record<string, number> = {};
  const adds: string[] = [];
  const conditions: string[] = [];
  let held = change.held;
  let free = change.free - (change.adopt?.held ?? 0);
  let n = 0;
  for (const [bucket, delta] of change.deltas) {
    names[`#b${n}`] = bucketAttribute(bucket);
    values[`:b${n}`] = delta;
    adds.push(`#b${n} :b${n}`);
    if (change.mustExist.includes(bucket)) conditions.push(`attribute_exists(#b${n})`);
    n += 1;
  }
  const removes = change.ended.map(([bucket, tickets], i) => {
    names[`#e${i}`] = bucketAttribute(bucket);
    values[`:e${i}`] = tickets;
    conditions.push(`#e${i} = :e${i}`);
    held -= tickets;
    free += tickets;
    return `#e${i}`;
  });
  if (change.adopt !== undefined) {
    values[':adopt'] = change.adopt.held;
    conditions.unshift('attribute_not_exists(#free) AND held = :adopt');
  } else conditions.unshift('(attribute_exists(#free) OR attribute_not_exists(held))');
  if (change.limit !== undefined) {
    values[':limit'] = change.limit;
    conditions.push(change.limit >= 0 ? '(attribute_not_exists(held) OR held <= :limit)' : 'held <= :limit');
  }
  if (change.need !== undefined) {
    values[':need'] = change.need;
    names['#stock'] = 'stock';
    conditions.push(change.stock === undefined ? '(attribute_not_exists(#stock) OR #free >= :need)' : '#free >= :need');
  }
  // `sold` is never below 0: a bound of 0 or less holds anyway (and the attribute may be missing).
  if (change.minSold !== undefined && change.minSold > 0) {
    values[':minSold'] = change.minSold;
    names['#sold'] = 'sold';
    conditions.push('#sold >= :minSold');
  }
  let set = '';
  if (change.stock !== undefined) {
    names['#stock'] = 'stock';
    values[':stock'] = change.stock.total;
    set = 'SET #stock = :stock ';
    if (change.stock.previous === null) conditions.push('attribute_not_exists(#stock)');
    else {
      values[':previous'] = change.stock.previous;
      conditions.push('#stock = :previous');
    }
  }
  values[':held'] = held;
  values[':free'] = free;
  const sold = change.sold === 0 ? '' : ', #sold :sold';
  if (sold) {
    names['#sold'] = 'sold';
    values[':sold'] = change.sold;
  }
  return {
    Update: {
      TableName: table,
      Key: { id: ledgerId },
      UpdateExpression: `${set}ADD held :held, #free :free${sold}${adds.map((add) => `, ${add}`).join('')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ExpressionAttributeNames: names,
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

/** The statuses a count reads from the index for `wanted`: a lapsed hold is stored under `CREATED` or `CONFIRMING`. */
export const storedStatusesOf = (wanted: readonly CheckoutSessionStatus[]): CheckoutSessionStoredStatus[] => [
  ...new Set(wanted.flatMap((status): CheckoutSessionStoredStatus[] => (status === 'EXPIRED' ? ['CREATED', 'CONFIRMING'] : [status]))),
];

/**
 * The index queries of a count: for each of the event's shards, one query per stored status to read (by the key range
 * of one price with a price, by key prefix without; one for the whole shard when neither is given), filtered on
 * `expiresAt > now`. They return each session's `quantity` and `countKey`, which tells a lapsed hold (`EXPIRED`).
 */
export function countQueries(table: string, filter: CheckoutSessionCountFilter, now: number, pageSize: number | undefined): QueryCommandInput[][] {
  const stored = storedStatusesOf(filter.status ?? CHECKOUT_SESSION_STATUSES);
  const conditions: { expression: string; values: Record<string, string> }[] =
    filter.status === undefined && filter.priceId === undefined
      ? [{ expression: 'countShard = :shard', values: {} }]
      : stored.map((status): { expression: string; values: Record<string, string> } =>
          filter.priceId === undefined
            ? { expression: 'countShard = :shard AND begins_with(countKey, :key)', values: { ':key': `${status}#` } }
            : {
                // The price's own key and, after the separator, its keys with a hold's lapse (digits, below ':').
                expression: 'countShard = :shard AND countKey BETWEEN :key AND :last',
                values: { ':key': countKeyOf(status, filter.priceId), ':last': `${countKeyOf(status, filter.priceId)}${HOLD_SEPARATOR}:` },
              },
        );
  return countShardsOf(filter.eventId).map((shard) =>
    conditions.map(({ expression, values }) => ({
      TableName: table,
      IndexName: COUNT_INDEX_NAME,
      KeyConditionExpression: expression,
      FilterExpression: 'expiresAt > :now',
      ProjectionExpression: 'quantity, countKey',
      ExpressionAttributeValues: { ':shard': shard, ':now': nowSeconds(now), ...values },
      ...(pageSize !== undefined && { Limit: pageSize }),
    })),
  );
}

/**
 * The status a session of the count index reads at `now`, from its count key (`<status>#<priceId>`, and the hold's
 * lapse after {@link HOLD_SEPARATOR} for a holding status).
 */
export function countedStatusOf(countKey: string, now: number): CheckoutSessionStatus {
  const status = countKey.slice(0, countKey.indexOf('#')) as CheckoutSessionStoredStatus;
  const lapse = holdExpiryOfCountKey(countKey);
  return lapse !== undefined && lapse <= nowSeconds(now) ? 'EXPIRED' : status;
}
