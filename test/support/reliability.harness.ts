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
import { FAULT_SETTINGS } from './fault-bounds.js';
import { FaultProxy } from './fault-proxy.js';

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

/** Timeouts of the checks made with no fault: a loaded machine may answer slowly, never this slowly. */
export const GENEROUS_TIMEOUT_MS = 10_000;

/**
 * A module straight on DynamoDB Local (no proxy, no model) over `tableName`, with generous timeouts: for setting up
 * and checking what the faulted client is then tested on, so those steps never fail for a loaded machine's speed.
 */
export function bootVerifier(tableName: string): Promise<{ module: TestingModule; cache: CheckoutSessionCache }> {
  return bootCache({ driver: 'dynamodb', endpoint: process.env.DYNAMODB_ENDPOINT, tableName, verifyTableOnStartup: false, requestTimeoutMs: GENEROUS_TIMEOUT_MS });
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
    verifier = await bootVerifier(table.tableName);
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
