import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { COUNT_INDEX_NAME, TTL_ATTRIBUTE } from './dynamodb-checkout-session.layout.js';
import { isNamed } from './dynamodb-error.guard.js';

/** The table's description, or `undefined` when it does not exist. */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** Whether TTL is on (or being turned on) for the table, and on which attribute. */
export async function readTimeToLive(client: DynamoDBClient, tableName: string): Promise<{ enabled: boolean; attributeName?: string }> {
  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  return { enabled: ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING', attributeName: ttl?.AttributeName };
}

/**
 * Lists what is wrong with the table for this library: missing table, missing index, TTL not enabled on
 * `expiresAt`. An empty list means ready. Errors other than "not found" are thrown.
 */
export async function inspectCheckoutSessionTable(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const table = await describeTable(client, tableName);
  if (!table) return [`table "${tableName}" does not exist`];
  const problems: string[] = [];
  if (!table.GlobalSecondaryIndexes?.some((i) => i.IndexName === COUNT_INDEX_NAME)) {
    problems.push(`table "${tableName}" has no index "${COUNT_INDEX_NAME}": counts will fail`);
  }
  const ttl = await readTimeToLive(client, tableName);
  if (!ttl.enabled || ttl.attributeName !== TTL_ATTRIBUTE) {
    problems.push(`TTL is not enabled on "${TTL_ATTRIBUTE}" of table "${tableName}": expired sessions will never be deleted`);
  }
  return problems;
}
