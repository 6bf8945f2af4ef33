// Holds in the benchmark: creates on a price with stock against plain creates (same run, interleaved), and `held` latency with
// 1, 1,000 and 100,000 live holds of one event/price, on both drivers, with the requests each `held` sends.
import { NestFactory } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  createCheckoutSessionDynamoDbClient,
  MAX_STOCK,
  ensureCheckoutSessionTable,
  type CheckoutSessionCache,
  type CheckoutSessionCacheModuleOptions,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV } from '../scripts/dynamodb-local.launcher.mjs';
import { compare, percentile, runBatch, type Summary } from './measure.js';
import { addToLedger, batchWrite, sessionItem, TTL_MS } from './seed.js';

/** The event/price whose stock is set, to {@link MAX_STOCK}: no bench create runs out, so that side pays for the stock's condition, never for a refusal. */
const STOCKED = { eventId: 'holds-stock', priceId: 'p' } as const;

/** Settings of one holds benchmark run. */
export interface HoldsBenchConfig {
  rounds: number;
  n: number;
  live: number[];
  samples: number;
}

/** One driver's figures: creates within a stock vs plain creates, and `held` at each number of live holds. */
export interface HoldsBenchResult {
  stockVsPlain: { stock: Summary; plain: Summary; ratio: number };
  held: { live: number; p50Ms: number; p99Ms: number; requestsPerCall: number }[];
}

async function boot(options: CheckoutSessionCacheModuleOptions) {
  const app = await NestFactory.createApplicationContext(CheckoutSessionCacheModule.forRoot(options), { logger: ['error', 'warn'] });
  return { app, cache: app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE) };
}

/** Plain creates on a price with stock and on one without, on their own events, interleaved, 32 in flight. */
function stockVsPlain(cache: CheckoutSessionCache, config: HoldsBenchConfig) {
  const input = (eventId: string) => ({ eventId, priceId: 'p', quantity: 1, price: 10 });
  const none = async () => undefined;
  return compare(
    config.rounds,
    config.n,
    32,
    { prepare: none, op: () => cache.create(input(STOCKED.eventId)) },
    { prepare: none, op: () => cache.create(input('holds-plain')) },
  );
}

/** `held` latency over `samples` calls, after a warm-up, and the requests one call sends. */
async function timeHeld(cache: CheckoutSessionCache, eventId: string, samples: number, requests: () => number) {
  for (let i = 0; i < 3; i++) await cache.held({ eventId, priceId: 'p' });
  const latencies: number[] = [];
  const before = requests();
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await cache.held({ eventId, priceId: 'p' });
    latencies.push(performance.now() - t);
  }
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), requestsPerCall: (requests() - before) / samples };
}

/** Creates within a stock (set once, before) vs plain creates, then `held` at each number of live holds, which `load` puts in place. */
async function measure(
  cache: CheckoutSessionCache,
  config: HoldsBenchConfig,
  load: (eventId: string, live: number) => Promise<void>,
  requests: () => number,
): Promise<HoldsBenchResult> {
  await cache.setStock(STOCKED, MAX_STOCK);
  await stockVsPlain(cache, { ...config, rounds: 1, n: Math.min(config.n, 100) }); // warm-up
  const result = await stockVsPlain(cache, config);
  const held: HoldsBenchResult['held'] = [];
  for (const live of config.live) {
    const eventId = `held-${live}`;
    await load(eventId, live);
    const timed = await timeHeld(cache, eventId, config.samples, requests);
    const answered = await cache.held({ eventId, priceId: 'p' });
    if (answered !== live) throw new Error(`held answered ${answered} for ${live} live holds`);
    held.push({ live, ...timed });
  }
  return { stockVsPlain: { stock: result.a, plain: result.b, ratio: result.ratio }, held };
}

/** The memory driver: holds created through the library. */
export async function memoryHoldsBenchmark(config: HoldsBenchConfig): Promise<HoldsBenchResult> {
  const { app, cache } = await boot({ driver: 'memory' });
  try {
    const load = async (eventId: string, live: number) => {
      await runBatch(live, 64, () => cache.create({ eventId, priceId: 'p', quantity: 1 }));
    };
    return await measure(cache, config, load, () => 0);
  } finally {
    await app.close();
  }
}

/**
 * The DynamoDB driver. Live holds for `held` are written with BatchWriteItem (sessions as the driver stores them)
 * plus the one ledger update the driver would have made for them: loading 100,000 holds through `create` would take
 * minutes and measure nothing more, since `held` reads the ledger alone — which the request count shows.
 */
export async function dynamoDbHoldsBenchmark(endpoint: string, config: HoldsBenchConfig): Promise<HoldsBenchResult> {
  const table = 'bench-holds';
  const client = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  await ensureCheckoutSessionTable(client, table);
  const { app, cache } = await boot({ driver: 'dynamodb', endpoint, tableName: table, client, maxAttempts: 3, requestTimeoutMs: 5000 });
  try {
    const load = async (eventId: string, live: number) => {
      const expiresAt = Date.now() + TTL_MS;
      await batchWrite(client, table, live, () => sessionItem(eventId, 'p', 'CREATED', expiresAt));
      await addToLedger(client, table, eventId, 'p', live, expiresAt);
    };
    return await measure(cache, config, load, () => requests);
  } finally {
    await app.close();
    client.destroy();
  }
}
