// `npm run bench:fault-bounds` (also part of `npm run bench`): how long each port operation takes to fail under each
// fault that makes every attempt fail, against its documented bound (docs/retries-and-timeouts.md) — measured here
// rather than asserted by the reliability suites, whose loaded 2-core machine may be slow at any moment.
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  CheckoutSessionStoreUnavailableError,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  type CheckoutSessionCache,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from '../scripts/dynamodb-local.launcher.mjs';
import { FAULT_SETTINGS, faultedOperations, FAULTS } from '../test/support/fault-bounds.js';
import { FaultProxy } from '../test/support/fault-proxy.js';
import { tableLines } from './measure.js';

/** One operation under one fault: the slowest of its samples against its bound. */
export interface FaultBoundRow {
  fault: string;
  operation: string;
  slowestMs: number;
  boundMs: number;
  typed: boolean;
}

/** Measures every operation under every fault, `samples` times each, through a fault proxy in front of `endpoint`. */
export async function measureFaultBounds(endpoint: string, samples = 3): Promise<{ rows: FaultBoundRow[]; met: boolean }> {
  const tableName = `bench-faults-${randomUUID()}`;
  const direct = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
  await ensureCheckoutSessionTable(direct, tableName);
  direct.destroy();
  const url = new URL(endpoint);
  const proxy = await new FaultProxy(url.hostname, Number(url.port)).start();
  const rows: FaultBoundRow[] = [];
  try {
    for (const [fault, injected] of FAULTS) {
      // A fresh module per fault: the SDK's retry quota (a token bucket per client) starts full each time.
      const app = await NestFactory.createApplicationContext(
        CheckoutSessionCacheModule.forRoot({ driver: 'dynamodb', endpoint: proxy.endpoint, tableName, verifyTableOnStartup: false, ...FAULT_SETTINGS }),
        { logger: false },
      );
      const cache = app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE);
      proxy.set({ kind: 'none' });
      const existing = (await cache.create({ eventId: 'faults', priceId: 'p', quantity: 1 })).id;
      const operations = faultedOperations(() => ({ cache, existing }));
      proxy.set(injected);
      for (const [operation, call, boundMs] of operations) {
        let slowestMs = 0;
        let typed = true;
        for (let i = 0; i < samples; i++) {
          const started = performance.now();
          const error = await call().then(() => undefined, (e: unknown) => e);
          slowestMs = Math.max(slowestMs, Math.round(performance.now() - started));
          typed &&= error instanceof CheckoutSessionStoreUnavailableError;
        }
        rows.push({ fault, operation, slowestMs, boundMs, typed });
      }
      proxy.set({ kind: 'none' });
      await app.close();
    }
  } finally {
    await proxy.stop();
  }
  return { rows, met: rows.every((row) => row.typed && row.slowestMs <= row.boundMs) };
}

/** Prints the rows as a table, with the verdict. */
export function printFaultBounds(result: { rows: FaultBoundRow[]; met: boolean }, log: (line: string) => void): void {
  const lines = tableLines(
    `failing calls against their documented bounds (maxAttempts ${FAULT_SETTINGS.maxAttempts}, requestTimeoutMs ${FAULT_SETTINGS.requestTimeoutMs})`,
    ['fault', 'operation', 'slowest ms', 'bound ms', 'typed', 'within'],
    result.rows.map((r) => [r.fault, r.operation, r.slowestMs, r.boundMs, r.typed ? 'yes' : 'NO', r.slowestMs <= r.boundMs ? 'yes' : 'NO']),
  );
  for (const line of lines) log(line);
  log(`  verdict: ${result.met ? 'met' : 'missed'} (every failing call typed and within its bound)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const local = await startDynamoDbLocal();
  Object.assign(process.env, DYNAMODB_LOCAL_ENV);
  try {
    printFaultBounds(await measureFaultBounds(local.endpoint), (line) => process.stdout.write(`${line}\n`));
  } finally {
    await local.stop();
  }
}
