// Holds in the benchmark: limited creates against plain creates (same run, interleaved), and `held` latency with
// 1, 1,000 and 100,000 live holds of one event/price, on both drivers, with the requests each `held` sends.
import { BatchWriteItemCommand, type BatchWriteItemCommandOutput, UpdateItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { holdBucketOf } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import { countKeyOf, countShardOf, ledgerIdOf } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.keys.js';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  type CheckoutSessionCache,
  type CheckoutSessionCacheModuleOptions,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV } from '../test/support/dynamodb-local.mjs';
import { compare, percentile, runBatch, type Summary } from './measure.js';

const TTL_MS = 24 * 3_600_000;
/** A `maxHeld` no bench create reaches: the limited side pays for the condition, never for a refusal. */
const UNREACHED = 1e12;

/** Settings of one holds benchmark run. */
export interface HoldsBenchConfig {
  rounds: number;
  n: number;
  live: number[];
  samples: number;
}

/** One driver's figures: limited vs plain creates, and `held` at each number of live holds. */
export interface HoldsBenchResult {
  limitedVsPlain: { limited: Summary; plain: Summary; ratio: number };
  held: { live: number; p50Ms: number; p99Ms: number; requestsPerCall: number }[];
}

async function boot(options: CheckoutSessionCacheModuleOptions) {
  const app = await NestFactory.createApplicationContext(CheckoutSessionCacheModule.forRoot(options), { logger: ['error', 'warn'] });
  return { app, cache: app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE) };
}

/** Limited and plain creates on their own events, interleaved, 32 in flight. */
function limitedVsPlain(cache: CheckoutSessionCache, config: HoldsBenchConfig) {
  const input = (eventId: string) => ({ eventId, priceId: 'p', quantity: 1, price: 10 });
  const none = async () => undefined;
  return compare(
    config.rounds,
    config.n,
    32,
    { prepare: none, op: () => cache.create(input('holds-limited'), { maxHeld: UNREACHED }) },
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

/** The memory driver: holds created through the library. */
export async function memoryHoldsBenchmark(config: HoldsBenchConfig): Promise<HoldsBenchResult> {
  const { app, cache } = await boot({ driver: 'memory' });
  try {
    await limitedVsPlain(cache, { ...config, rounds: 1, n: Math.min(config.n, 100) }); // warm-up
    const result = await limitedVsPlain(cache, config);
    const held: HoldsBenchResult['held'] = [];
    for (const live of config.live) {
      const eventId = `held-${live}`;
      await runBatch(live, 64, () => cache.create({ eventId, priceId: 'p', quantity: 1 }));
      held.push({ live, ...(await timeHeld(cache, eventId, config.samples, () => 0)) });
    }
    return { limitedVsPlain: { limited: result.a, plain: result.b, ratio: result.ratio }, held };
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
    await limitedVsPlain(cache, { ...config, rounds: 1, n: Math.min(config.n, 100) }); // warm-up
    const result = await limitedVsPlain(cache, config);
    const held: HoldsBenchResult['held'] = [];
    for (const live of config.live) {
      const eventId = `held-${live}`;
      const now = Date.now();
      const expiresAt = new Date(Math.ceil((now + TTL_MS) / 1000) * 1000);
      const holdBucket = holdBucketOf(expiresAt, TTL_MS);
      const item = () => {
        const id = randomUUID();
        return {
          id,
          eventId,
          priceId: 'p',
          quantity: 1,
          status: 'CREATED',
          countShard: countShardOf(eventId, id),
          countKey: countKeyOf('CREATED', 'p'),
          createdAt: now,
          expiresAt: expiresAt.getTime() / 1000,
          holdBucket,
        };
      };
      await runBatch(Math.ceil(live / 25), 8, async (b) => {
        let unprocessed: WriteRequest[] | undefined = Array.from({ length: Math.min(25, live - b * 25) }, () => ({ PutRequest: { Item: marshall(item()) } }));
        while (unprocessed?.length) {
          const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: unprocessed } }));
          unprocessed = out.UnprocessedItems?.[table];
        }
      });
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: marshall({ id: ledgerIdOf(eventId, 'p') }),
          UpdateExpression: 'ADD held :live, #bucket :live',
          ExpressionAttributeNames: { '#bucket': `b${holdBucket}` },
          ExpressionAttributeValues: marshall({ ':live': live }),
        }),
      );
      const timed = await timeHeld(cache, eventId, config.samples, () => requests);
      const answered = await cache.held({ eventId, priceId: 'p' });
      if (answered !== live) throw new Error(`held answered ${answered} for ${live} live holds`);
      held.push({ live, ...timed });
    }
    return { limitedVsPlain: { limited: result.a, plain: result.b, ratio: result.ratio }, held };
  } finally {
    await app.close();
    client.destroy();
  }
}
