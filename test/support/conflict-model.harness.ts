import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { CheckoutSessionCache, CheckoutSessionCacheModuleOptions } from '../../libs/checkout-session-cache/src/index.js';
import { bootCache, provisionTable } from './checkout-session-cache.harness.js';
import { DynamoDbConflictModel } from './dynamodb-conflict-model.js';

/** The window (ms) an item stays busy after DynamoDB Local answered, unless a test sweeps it (docs/holds.md says why 8). */
export const DEFAULT_WINDOW_MS = 8;

/** A fresh table on DynamoDB Local and a conflict model in front of it. */
export async function modelledTable(windowMs = DEFAULT_WINDOW_MS): Promise<{ model: DynamoDbConflictModel; tableName: string }> {
  const tableName = await provisionTable(`model-${randomUUID()}`);
  const model = await new DynamoDbConflictModel({ target: process.env.DYNAMODB_ENDPOINT!, windowMs }).start();
  return { model, tableName };
}

/**
 * `processes` modules of the DynamoDB driver, each with its own client and batcher — as many ECS tasks or Lambda
 * instances would be — on one table through `endpoint` (the model, or a fault proxy in front of it).
 */
export async function bootProcesses(
  processes: number,
  tableName: string,
  endpoint: string,
  extra: CheckoutSessionCacheModuleOptions = {},
): Promise<{ caches: CheckoutSessionCache[]; close: () => Promise<void> }> {
  const booted: { module: TestingModule; cache: CheckoutSessionCache }[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      booted.push(await bootCache({ driver: 'dynamodb', endpoint, tableName, verifyTableOnStartup: false, requestTimeoutMs: 5000, ...extra }));
    }
  } catch (error) {
    await Promise.all(booted.map((b) => b.module.close()));
    throw error;
  }
  return { caches: booted.map((b) => b.cache), close: async () => void (await Promise.all(booted.map((b) => b.module.close()))) };
}
