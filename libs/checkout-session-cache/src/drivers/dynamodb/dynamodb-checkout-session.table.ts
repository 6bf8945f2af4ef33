import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { COUNT_INDEX_NAME, EVENT_PRICE_INDEX_NAME } from '../../checkout-session-cache.constants.js';
import type { CheckoutSessionStatus } from '../../interfaces/checkout-session.interface.js';
import { countKeyOf, countShardOf } from './dynamodb-checkout-session.keys.js';

/** Name of the TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * The GSI that backs `count`, write-sharded: `countShard` = `<eventId>#<n>` (n from the session id, 0–15) and
 * `countKey` = `<status>#<priceId>`. It projects only what a count reads; ledgers and other records have neither
 * key, so they stay out of it.
 */
const countIndex: GlobalSecondaryIndex = {
  IndexName: COUNT_INDEX_NAME,
  KeySchema: [
    { AttributeName: 'countShard', KeyType: 'HASH' },
    { AttributeName: 'countKey', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', TTL_ATTRIBUTE] },
};

const attributeDefinitions: AttributeDefinition[] = [
  { AttributeName: 'id', AttributeType: 'S' },
  { AttributeName: 'countShard', AttributeType: 'S' },
  { AttributeName: 'countKey', AttributeType: 'S' },
];

/**
 * The table's layout, for infrastructure code that provisions it (CDK, CloudFormation): partition key, attribute
 * definitions, global secondary indexes and the TTL attribute. Billing is on-demand.
 */
export const CHECKOUT_SESSION_TABLE_LAYOUT: Readonly<{
  partitionKey: string;
  attributeDefinitions: readonly AttributeDefinition[];
  globalSecondaryIndexes: readonly GlobalSecondaryIndex[];
  ttlAttribute: string;
}> = {
  partitionKey: 'id',
  attributeDefinitions,
  globalSecondaryIndexes: [countIndex],
  ttlAttribute: TTL_ATTRIBUTE,
};

/**
 * The previous layout's count index and the attributes it is keyed on, for infrastructure code that keeps it while a
 * table is upgraded (docs/migration.md): apps of the previous version still query it until the rollout is done.
 */
export const CHECKOUT_SESSION_PREVIOUS_COUNT_INDEX: Readonly<{
  attributeDefinitions: readonly AttributeDefinition[];
  globalSecondaryIndex: GlobalSecondaryIndex;
}> = {
  attributeDefinitions: [
    { AttributeName: 'eventId', AttributeType: 'S' },
    { AttributeName: 'priceId', AttributeType: 'S' },
  ],
  globalSecondaryIndex: {
    IndexName: EVENT_PRICE_INDEX_NAME,
    KeySchema: [
      { AttributeName: 'eventId', KeyType: 'HASH' },
      { AttributeName: 'priceId', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', TTL_ATTRIBUTE] },
  },
};

const isNamed = (error: unknown, name: string): boolean => (error as Error | null)?.name === name;

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

async function waitForIndex(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await describe(client, tableName);
    const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === COUNT_INDEX_NAME);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Index ${COUNT_INDEX_NAME} of ${tableName} is not ACTIVE after ${timeoutMs} ms`);
    await sleep(1000);
  }
}

/**
 * Lists what is wrong with the table for this library: missing table, missing index, TTL not enabled on
 * `expiresAt`. An empty list means ready. Errors other than "not found" are thrown.
 */
export async function inspectCheckoutSessionTable(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const table = await describe(client, tableName);
  if (!table) return [`table "${tableName}" does not exist`];
  const problems: string[] = [];
  if (!table.GlobalSecondaryIndexes?.some((i) => i.IndexName === COUNT_INDEX_NAME)) {
    problems.push(`table "${tableName}" has no index "${COUNT_INDEX_NAME}": counts will fail`);
  }
  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  const enabled = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
  if (!enabled || ttl?.AttributeName !== TTL_ATTRIBUTE) {
    problems.push(`TTL is not enabled on "${TTL_ATTRIBUTE}" of table "${tableName}": expired sessions will never be deleted`);
  }
  return problems;
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
  let table = await describe(client, tableName);
  if (!table) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: attributeDefinitions,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [countIndex],
        }),
      );
      log(`Created table "${tableName}" with index "${COUNT_INDEX_NAME}"`);
    } catch (error) {
      // Another process created it in the meantime: fine, wait for it below.
      if (!isNamed(error, 'ResourceInUseException')) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: timeoutMs / 1000, minDelay: 1 }, { TableName: tableName });
    table = await describe(client, tableName);
  }
  if (!table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === COUNT_INDEX_NAME)) {
    // Online: the table keeps serving while DynamoDB builds the index (docs/migration.md).
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: countIndex }],
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
  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
    if (ttl.AttributeName !== TTL_ATTRIBUTE) {
      throw new Error(`TTL of table "${tableName}" is on "${ttl.AttributeName}", not "${TTL_ATTRIBUTE}": disable it first`);
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }),
  );
  log(`Enabled TTL on "${TTL_ATTRIBUTE}" of table "${tableName}"`);
}

/**
 * Gives every live session of the previous layout — or changed by an app of that version during a rollout — the count
 * index's keys (`countShard`, `countKey`) its status and ids call for: a Scan of the table and one UpdateItem per
 * session that needs it, conditioned on the status it read. Safe to run again and while apps serve. Returns how many
 * sessions it updated.
 */
export async function backfillCheckoutSessionCountKeys(
  client: DynamoDBClient,
  tableName: string,
  log: (message: string) => void = () => {},
  now: number = Date.now(),
): Promise<number> {
  const documents = DynamoDBDocumentClient.from(client);
  let updated = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: 'id, eventId, priceId, #status, countShard, countKey',
        FilterExpression: 'attribute_exists(#status) AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as { id: string; eventId: string; priceId: string; status: CheckoutSessionStatus; countShard?: string; countKey?: string }[]) {
      const countShard = countShardOf(item.eventId, item.id);
      const countKey = countKeyOf(item.status, item.priceId);
      if (item.countShard === countShard && item.countKey === countKey) continue;
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { id: item.id },
            UpdateExpression: 'SET countShard = :countShard, countKey = :countKey',
            ConditionExpression: '#status = :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':countShard': countShard, ':countKey': countKey, ':status': item.status },
          }),
        );
        updated += 1;
      } catch (error) {
        // Changed (or deleted) since the scan read it: its writer set the keys itself.
        if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  log(`Backfilled the count index keys of ${updated} session(s) in table "${tableName}"`);
  return updated;
}
