import { afterAll, beforeAll } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  type CheckoutSessionCache,
  type CheckoutSessionCacheModuleOptions,
} from '../../libs/checkout-session-cache/src/index.js';
import { bootCache, provisionTable } from './checkout-session-cache.harness.js';
import { DEFAULT_WINDOW_MS } from './conflict-model.harness.js';
import { DynamoDbConflictModel } from './dynamodb-conflict-model.js';
import { FaultProxy } from './fault-proxy.js';

/** Settings of the faulted clients: short timeouts keep the suite fast, the bound below follows from them. */
export const FAULT_SETTINGS = { maxAttempts: 3, requestTimeoutMs: 300 } as const;

/**
 * The documented worst case of one call (docs/retries-and-timeouts.md): every attempt spends its connection and request
 * timeouts, plus the SDK's backoff between attempts (full jitter, at most base × 2^i; base 100 ms, 500 ms throttled).
 */
export const FAILURE_BOUND_MS =
  FAULT_SETTINGS.maxAttempts * 2 * FAULT_SETTINGS.requestTimeoutMs +
  Array.from({ length: FAULT_SETTINGS.maxAttempts - 1 }, (_, i) => 500 * 2 ** i).reduce((a, b) => a + b, 0);

/**
 * The documented worst case of a write whose outcome stays unknown: the call's bound, then resends of the identical
 * request until DynamoDB answers, for at most `maxAttempts × requestTimeoutMs` (docs/retries-and-timeouts.md).
 */
export const WRITE_FAILURE_BOUND_MS = FAILURE_BOUND_MS + FAULT_SETTINGS.maxAttempts * FAULT_SETTINGS.requestTimeoutMs;

/** DynamoDB Local's address from the Jest global setup, as host and port. */
export function dynamoDbLocalAddress(): { host: string; port: number } {
  const url = new URL(process.env.DYNAMODB_ENDPOINT!);
  return { host: url.hostname, port: Number(url.port) };
}

/**
 * A fresh table on DynamoDB Local and a fault proxy in front of it — or in front of a conflict model in front of it,
 * `throughModel` — and module options that go through the proxy.
 */
export async function faultedTable(
  throughModel = false,
): Promise<{ proxy: FaultProxy; tableName: string; options: CheckoutSessionCacheModuleOptions; model?: DynamoDbConflictModel }> {
  const tableName = await provisionTable(`rel-${randomUUID()}`);
  const model = throughModel ? await new DynamoDbConflictModel({ target: process.env.DYNAMODB_ENDPOINT!, windowMs: DEFAULT_WINDOW_MS }).start() : undefined;
  const { host, port } = model ? { host: '127.0.0.1', port: Number(new URL(model.endpoint).port) } : dynamoDbLocalAddress();
  const proxy = await new FaultProxy(host, port).start();
  return { proxy, tableName, options: { driver: 'dynamodb', endpoint: proxy.endpoint, tableName, ...FAULT_SETTINGS }, model };
}

/**
 * For a suite: before all its tests, a fresh table behind a fault proxy (and the conflict model, `throughModel`) and the
 * module booted through it, plus a `verifier` module straight on DynamoDB Local with generous timeouts, for the checks
 * made once the faults are off (a check must never fail because a loaded machine answered slowly); after all,
 * everything closed. Read `proxy`, `cache` and `verifier` inside the tests.
 */
export function faultedCacheSuite(throughModel = false): {
  readonly proxy: FaultProxy;
  readonly cache: CheckoutSessionCache;
  readonly verifier: CheckoutSessionCache;
} {
  let proxy: FaultProxy | undefined;
  let model: DynamoDbConflictModel | undefined;
  let booted: { module: TestingModule; cache: CheckoutSessionCache } | undefined;
  let verifier: { module: TestingModule; cache: CheckoutSessionCache } | undefined;
  beforeAll(async () => {
    const table = await faultedTable(throughModel);
    ({ proxy, model } = table);
    booted = await bootCache(table.options);
    verifier = await bootCache({ driver: 'dynamodb', endpoint: process.env.DYNAMODB_ENDPOINT, tableName: table.tableName, verifyTableOnStartup: false, requestTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await booted?.module.close();
    await verifier?.module.close();
    await proxy?.stop();
    await model?.stop();
  });
  return {
    get proxy() {
      return proxy!;
    },
    get cache() {
      return booted!.cache;
    },
    get verifier() {
      return verifier!.cache;
    },
  };
}
