// Loading data for the benchmark faster than through `create`: items exactly as the DynamoDB driver stores them.
import { BatchWriteItemCommand, type BatchWriteItemCommandOutput, type DynamoDBClient, UpdateItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { holdBucketOf } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import { countKeyOf, countShardOf, ledgerIdOf } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.keys.js';
import type { CheckoutSessionStatus } from '../libs/checkout-session-cache/src/index.js';
import { runBatch } from './measure.js';

/** The TTL the benchmark's sessions are made with (the default). */
export const TTL_MS = 24 * 3_600_000;

/** Whole epoch seconds at or after `ms`, as the driver stores `expiresAt`. */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

/** A session item as the driver stores it — count index keys and hold bucket included — expiring at `expiresAtMs`. */
export function sessionItem(eventId: string, priceId: string, status: CheckoutSessionStatus, expiresAtMs: number): Record<string, unknown> {
  const id = randomUUID();
  const expiresAt = seconds(expiresAtMs);
  return {
    id,
    eventId,
    priceId,
    quantity: 1,
    status,
    countShard: countShardOf(eventId, id),
    countKey: countKeyOf(status, priceId),
    createdAt: expiresAtMs - TTL_MS,
    expiresAt,
    holdBucket: holdBucketOf(new Date(expiresAt * 1000), TTL_MS),
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

/** Adds `tickets` held until `expiresAtMs` to the ledger of an event/price: the one update creates would have made. */
export async function addToLedger(client: DynamoDBClient, table: string, eventId: string, priceId: string, tickets: number, expiresAtMs: number): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: marshall({ id: ledgerIdOf(eventId, priceId) }),
      UpdateExpression: 'ADD held :tickets, #bucket :tickets',
      ExpressionAttributeNames: { '#bucket': `b${holdBucketOf(new Date(seconds(expiresAtMs) * 1000), TTL_MS)}` },
      ExpressionAttributeValues: marshall({ ':tickets': tickets }),
    }),
  );
}
