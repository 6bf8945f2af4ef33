// Loading data for the benchmark faster than through `create`: items exactly as the DynamoDB driver stores them.
import { BatchWriteItemCommand, type BatchWriteItemCommandOutput, type DynamoDBClient, UpdateItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { holdBucketOf } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import { bucketAttribute } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.items.js';
import { countKeyOf, countShardOf, ledgerIdOf } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.keys.js';
import type { CheckoutSessionStoredStatus } from '../libs/checkout-session-cache/src/interfaces/checkout-session.interface.js';
import { runBatch } from './measure.js';

/** The TTL the benchmark's sessions are made with (the default). */
export const TTL_MS = 24 * 3_600_000;
/** The hold window the benchmark's sessions are made with (the default, `holdSeconds: 600`). */
export const HOLD_MS = 600_000;

/** Whole epoch seconds at or after `ms`, as the driver stores `expiresAt`. */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

/** When a session expiring at `expiresAtMs` stops holding (epoch ms): {@link HOLD_MS} after its creation, as the driver sets it. */
export const holdExpiresAtOf = (expiresAtMs: number): number => Math.min(seconds(expiresAtMs), seconds(expiresAtMs - TTL_MS + HOLD_MS)) * 1000;

/** The ledger bucket (epoch seconds) that releases the hold of a session expiring at `expiresAtMs`. */
export const holdBucketOfSession = (expiresAtMs: number): number => holdBucketOf(new Date(holdExpiresAtOf(expiresAtMs)), HOLD_MS);

/**
 * A session item as the driver stores it — count index keys, hold lapse and hold bucket included — expiring at
 * `expiresAtMs`, made {@link TTL_MS} before, holding for {@link HOLD_MS}.
 */
export function sessionItem(eventId: string, priceId: string, status: CheckoutSessionStoredStatus, expiresAtMs: number): Record<string, unknown> {
  const id = randomUUID();
  const expiresAt = seconds(expiresAtMs);
  const holdExpiresAt = holdExpiresAtOf(expiresAtMs) / 1000;
  return {
    id,
    eventId,
    priceId,
    quantity: 1,
    status,
    countShard: countShardOf(eventId, id),
    countKey: countKeyOf(status, priceId, holdExpiresAt),
    createdAt: expiresAtMs - TTL_MS,
    expiresAt,
    holdBucket: holdBucketOfSession(expiresAtMs),
    holdExpiresAt,
  };
}

/** Writes `count` items made by `item(i)` with BatchWriteItem, 25 a request and 8 requests in flight, until all are in. */
export async function batchWrite(client: DynamoDBClient, table: string, count: number, item: (i: number) => Record<string, unknown>): Promise<void> {
  await runBatch(Math.ceil(count / 25), 8, async (b) => {
    let unprocessed: WriteRequest[] | undefined = Array.from({ length: Math.min(25, count - b * 25) }, (_, k) => ({ PutRequest: { Item: marshall(item(b * 25 + k)) } }));
    while (unprocessed?.length) {
      const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: unprocessed } }));
      unprocessed = out.UnprocessedItems?.[table];
    }
  });
}

/**
 * Adds `tickets` held by sessions expiring at `expiresAtMs` (made by {@link sessionItem}) to the ledger of an
 * event/price: the one update their creates would have made (`free`, kept by every write, goes down by as many).
 */
export async function addToLedger(client: DynamoDBClient, table: string, eventId: string, priceId: string, tickets: number, expiresAtMs: number): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: marshall({ id: ledgerIdOf(eventId, priceId) }),
      UpdateExpression: 'ADD held :tickets, #free :taken, #bucket :tickets',
      ExpressionAttributeNames: { '#free': 'free', '#bucket': bucketAttribute(holdBucketOfSession(expiresAtMs)) },
      ExpressionAttributeValues: marshall({ ':tickets': tickets, ':taken': -tickets }),
    }),
  );
}
