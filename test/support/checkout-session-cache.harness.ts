import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  type CheckoutSessionCache,
  type CheckoutSessionCacheDriver,
  type CheckoutSessionCacheModuleOptions,
} from '../../libs/checkout-session-cache/src/index.js';

export { INDEX_LAG_BOUND_MS, settled } from '../../libs/checkout-session-cache/src/testing/checkout-session-index.settle.js';
export { ManualCheckoutSessionClock as ManualClock } from '../../libs/checkout-session-cache/src/testing/manual-checkout-session.clock.js';

/** The built-in drivers the suites of the module and the sample app run over. */
export const DRIVERS: CheckoutSessionCacheDriver[] = ['memory', 'dynamodb'];

/** A client straight to DynamoDB Local (or `endpoint`), for provisioning and for reading what the driver stored. */
export function directClient(endpoint = process.env.DYNAMODB_ENDPOINT): DynamoDBClient {
  return createCheckoutSessionDynamoDbClient({ endpoint, region: process.env.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
}

/** Creates the table `tableName` on DynamoDB Local (or DYNAMODB_ENDPOINT) as `table:create` does, and returns its name. */
export async function provisionTable(tableName: string): Promise<string> {
  const direct = directClient();
  try {
    await ensureCheckoutSessionTable(direct, tableName);
  } finally {
    direct.destroy();
  }
  return tableName;
}

/** A unique DynamoDB table name for one suite. */
export const uniqueTableName = (): string => `test-${randomUUID()}`;

/**
 * Module options for a test on `driver`: DynamoDB Local from the global setup (or DYNAMODB_ENDPOINT), a fresh table
 * created at start-up.
 */
export function testOptions(driver: CheckoutSessionCacheDriver, extra: CheckoutSessionCacheModuleOptions = {}): CheckoutSessionCacheModuleOptions {
  if (driver === 'memory') return { driver, ...extra };
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: the Jest global setup should have started DynamoDB Local');
  return { driver, endpoint, tableName: uniqueTableName(), autoCreateTable: true, requestTimeoutMs: 5000, ...extra };
}

/** Boots the module alone and returns the port. Close the returned module after the test. */
export async function bootCache(
  options: CheckoutSessionCacheModuleOptions,
): Promise<{ module: TestingModule; cache: CheckoutSessionCache }> {
  const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot(options)] }).compile();
  await module.init();
  return { module, cache: module.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE) };
}
