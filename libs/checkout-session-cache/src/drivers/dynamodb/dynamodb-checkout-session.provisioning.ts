import { CreateTableCommand, type DynamoDBClient, UpdateTableCommand, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeTable, readTimeToLive } from './dynamodb-checkout-session.inspection.js';
import { COUNT_INDEX, COUNT_INDEX_NAME, EVENT_PRICE_INDEX_NAME, TABLE_ATTRIBUTE_DEFINITIONS, TTL_ATTRIBUTE } from './dynamodb-checkout-session.layout.js';
import { isNamed } from './dynamodb-error.guard.js';

/** Waits until the count index of the table is ACTIVE, at most `timeoutMs`. */
async function waitForIndex(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await describeTable(client, tableName);
    const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === COUNT_INDEX_NAME);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Index ${COUNT_INDEX_NAME} of ${tableName} is not ACTIVE after ${timeoutMs} ms`);
    await sleep(1000);
  }
}

/**
 * Idempotently provisions the table: creates it (on-demand, with the index) if missing, adds the index if missing,
 * waits until ACTIVE, and enables TTL on `expiresAt` if not enabled. `log` receives one line per change made.
 */
export async function ensureCheckoutSessionTable(
  client: DynamoDBClient,
  tableName: string,
  log: (message: string) => void = () => {},
  timeoutMs = 120_000,
): Promise<void> {
  let table = await describeTable(client, tableName);
  if (!table) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: TABLE_ATTRIBUTE_DEFINITIONS,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [COUNT_INDEX],
        }),
      );
      log(`Created table "${tableName}" with index "${COUNT_INDEX_NAME}"`);
    } catch (error) {
      // Another process created it in the meantime: fine, wait for it below.
      if (!isNamed(error, 'ResourceInUseException')) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: timeoutMs / 1000, minDelay: 1 }, { TableName: tableName });
    table = await describeTable(client, tableName);
  }
  if (!table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === COUNT_INDEX_NAME)) {
    // Online: the table keeps serving while DynamoDB builds the index (docs/migration.md).
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: TABLE_ATTRIBUTE_DEFINITIONS,
        GlobalSecondaryIndexUpdates: [{ Create: COUNT_INDEX }],
      }),
    );
    log(`Adding index "${COUNT_INDEX_NAME}" to table "${tableName}"`);
  }
  if (table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === EVENT_PRICE_INDEX_NAME)) {
    log(
      `Index "${EVENT_PRICE_INDEX_NAME}" of the previous layout is no longer read: once every app runs this version and ` +
        'the backfill has run, delete it (docs/migration.md); until then it takes every write',
    );
  }
  await waitForIndex(client, tableName, timeoutMs);
  const ttl = await readTimeToLive(client, tableName);
  if (ttl.enabled) {
    if (ttl.attributeName !== TTL_ATTRIBUTE) {
      throw new Error(`TTL of table "${tableName}" is on "${ttl.attributeName}", not "${TTL_ATTRIBUTE}": disable it first`);
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }),
  );
  log(`Enabled TTL on "${TTL_ATTRIBUTE}" of table "${tableName}"`);
}
