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
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_PRICE_INDEX_NAME } from '../../checkout-session-cache.constants.js';

/** Name of the TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The GSI that backs `count`: it projects only what a count reads. */
const eventPriceIndex: GlobalSecondaryIndex = {
  IndexName: EVENT_PRICE_INDEX_NAME,
  KeySchema: [
    { AttributeName: 'eventId', KeyType: 'HASH' },
    { AttributeName: 'priceId', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', TTL_ATTRIBUTE] },
};

const attributeDefinitions: AttributeDefinition[] = [
  { AttributeName: 'id', AttributeType: 'S' },
  { AttributeName: 'eventId', AttributeType: 'S' },
  { AttributeName: 'priceId', AttributeType: 'S' },
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
  globalSecondaryIndexes: [eventPriceIndex],
  ttlAttribute: TTL_ATTRIBUTE,
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
    const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === EVENT_PRICE_INDEX_NAME);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Index ${EVENT_PRICE_INDEX_NAME} of ${tableName} is not ACTIVE after ${timeoutMs} ms`);
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
  if (!table.GlobalSecondaryIndexes?.some((i) => i.IndexName === EVENT_PRICE_INDEX_NAME)) {
    problems.push(`table "${tableName}" has no index "${EVENT_PRICE_INDEX_NAME}": counts will fail`);
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
          GlobalSecondaryIndexes: [eventPriceIndex],
        }),
      );
      log(`Created table "${tableName}" with index "${EVENT_PRICE_INDEX_NAME}"`);
    } catch (error) {
      // Another process created it in the meantime: fine, wait for it below.
      if (!isNamed(error, 'ResourceInUseException')) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: timeoutMs / 1000, minDelay: 1 }, { TableName: tableName });
    table = await describe(client, tableName);
  }
  if (!table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === EVENT_PRICE_INDEX_NAME)) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: eventPriceIndex }],
      }),
    );
    log(`Adding index "${EVENT_PRICE_INDEX_NAME}" to table "${tableName}"`);
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
