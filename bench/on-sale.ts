// The on-sale scenario: thousands of buyers on one event (one price, then 20 prices), creates within the stock the
// library keeps (`setStock` once per price, before the on-sale), sessions that
// accumulate (confirmed, completed, cancelled, never deleted). From the library's own requests, recorded by an SDK
// middleware: the write units of each operation (ReturnConsumedCapacity) and how the writes spread over table and
// index key values. Then `count` and `held` latency by live sessions, and keyed against plain creates.
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  CheckoutSessionSoldOutError,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  type CheckoutSession,
  type CheckoutSessionCache,
  type CheckoutSessionStatus,
  type CheckoutSessionStoredStatus,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV } from '../scripts/dynamodb-local.launcher.mjs';
import { compare, percentile, runBatch, type Summary } from './measure.js';
import { addToLedger, batchWrite, sessionItem, TTL_MS } from './seed.js';

const TABLE = 'bench-on-sale';
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand']);

/** Settings of one on-sale run. */
export interface OnSaleConfig {
  buyers: number;
  live: number[];
  samples: number;
  rounds: number;
  n: number;
}

/** Write units of one operation, measured: per call, on the table and on the count index. */
export interface WriteCost {
  calls: number;
  tableWcuPerCall: number;
  indexWcuPerCall: number;
}

/** One on-sale run over `prices` prices of one event. */
export interface OnSaleRun {
  prices: number;
  buyers: number;
  holds: number;
  soldOut: number;
  /** Item writes on the most written table key (a hold ledger) per hold, and their write units by DynamoDB's rule. */
  hottestTableKey: { writesPerHold: number; wcuPerHold: number };
  /** Share of the event's count-index writes on its most written index key value (goal: ≤ 10 %). */
  hottestIndexKeyShare: number;
  /** Index entry writes on that key value per hold of the event, and their write units (an entry is under 1 KB). */
  hottestIndexKey: { writesPerHold: number; wcuPerHold: number };
  costs: Record<string, WriteCost>;
}

/** Everything the on-sale benchmark reports. */
export interface OnSaleResult {
  runs: OnSaleRun[];
  latency: { live: number; countP50Ms: number; countP99Ms: number; heldP50Ms: number; heldP99Ms: number }[];
  keyedVsPlain: { keyed: Summary; plain: Summary; ratio: number };
}

/** What the recorder keeps of the library's writes. */
class WriteRecorder {
  readonly tableWrites = new Map<string, number>();
  readonly indexWrites = new Map<string, number>();
  tableWcu = 0;
  indexWcu = 0;
  private readonly shardOf = new Map<string, string>();

  reset(): void {
    this.tableWrites.clear();
    this.indexWrites.clear();
    this.tableWcu = 0;
    this.indexWcu = 0;
  }

  /** Counts the item writes of one request by key value, and the index entries they write. */
  request(input: Record<string, unknown>): void {
    const parts = (input.TransactItems as Record<string, Record<string, unknown>>[] | undefined)?.map((part) => Object.values(part)[0]!) ?? [input];
    for (const part of parts) {
      const item = part.Item as Record<string, unknown> | undefined;
      const id = String((item ?? (part.Key as Record<string, unknown>)).id);
      this.tableWrites.set(id, (this.tableWrites.get(id) ?? 0) + 1);
      const values = (part.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
      const shard = (item?.countShard as string | undefined) ?? (values[':countShard'] as string | undefined) ?? (part.Key ? this.shardOf.get(id) : undefined);
      if (!shard) continue;
      this.shardOf.set(id, shard);
      // A status change moves the entry within its shard: one delete and one put on the same key value.
      const entries = values[':countKey'] !== undefined ? 2 : 1;
      this.indexWrites.set(shard, (this.indexWrites.get(shard) ?? 0) + entries);
    }
  }

  capacity(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    for (const c of [consumed ?? []].flat()) {
      this.tableWcu += c.Table?.CapacityUnits ?? 0;
      for (const index of Object.values(c.GlobalSecondaryIndexes ?? {})) this.indexWcu += index.CapacityUnits ?? 0;
    }
  }
}

async function boot(client: ReturnType<typeof createCheckoutSessionDynamoDbClient>, endpoint: string) {
  const app = await NestFactory.createApplicationContext(
    CheckoutSessionCacheModule.forRoot({ driver: 'dynamodb', endpoint, tableName: TABLE, client, maxAttempts: 3, requestTimeoutMs: 5000 }),
    { logger: ['error', 'warn'] },
  );
  return { app, cache: app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE) };
}

/** The on-sale runs: buyers race for stock set to 90 % of their demand, then sessions move on and accumulate. */
async function onSaleRun(cache: CheckoutSessionCache, recorder: WriteRecorder, prices: number, buyers: number): Promise<OnSaleRun> {
  const eventId = `on-sale-${prices}-${randomUUID().slice(0, 8)}`;
  const stock = Math.floor((0.9 * buyers) / prices);
  const costs: Record<string, WriteCost> = {};
  const phase = async <T>(name: string, items: T[], op: (item: T, i: number) => Promise<unknown>) => {
    recorder.reset();
    await runBatch(items.length, 32, (i) => op(items[i]!, i));
    costs[name] = {
      calls: items.length,
      tableWcuPerCall: Math.round((recorder.tableWcu / Math.max(1, items.length)) * 100) / 100,
      indexWcuPerCall: Math.round((recorder.indexWcu / Math.max(1, items.length)) * 100) / 100,
    };
    return { tableWrites: new Map(recorder.tableWrites), indexWrites: new Map(recorder.indexWrites) };
  };
  const created: CheckoutSession[] = [];
  let soldOut = 0;
  // The box office sets each price's stock once; the creates then fit within stock − held − sold by themselves.
  await phase('setStock', Array.from({ length: prices }, (_, i) => i), (i) => cache.setStock({ eventId, priceId: `p${i}` }, stock));
  const creates = await phase('create (within stock)', Array.from({ length: buyers }, (_, i) => i), async (i) => {
    try {
      created.push(await cache.create({ eventId, priceId: `p${i % prices}`, quantity: 1, price: 50 }));
    } catch (error) {
      if (!(error instanceof CheckoutSessionSoldOutError)) throw error;
      soldOut += 1;
    }
  });
  // Demand exceeds each price's stock: exactly the stock is held, as every price's availability reads.
  for (let i = 0; i < prices; i++) {
    const { held, available } = await cache.availability({ eventId, priceId: `p${i}` });
    if (held !== stock || available !== 0) throw new Error(`on-sale p${i}: ${held} held and ${available} available for a stock of ${stock}`);
  }
  if (created.length !== stock * prices) throw new Error(`on-sale: ${created.length} holds for a stock of ${stock * prices}`);
  const move = (to: CheckoutSessionStatus) => (session: CheckoutSession) => cache.updateStatus(session.id, to);
  const confirming = created.filter((_, i) => i % 2 === 0);
  const confirms = await phase('updateStatus CREATED → CONFIRMING', confirming, move('CONFIRMING'));
  const completes = await phase('updateStatus → COMPLETED (held → sold)', confirming.filter((_, i) => i % 2 === 0), move('COMPLETED'));
  // Among the sessions left CREATED (odd places): a fifth cancelled, up to 100 others deleted.
  const cancels = await phase('updateStatus → CANCELLED (release)', created.filter((_, i) => i % 2 === 1 && i % 5 === 1), move('CANCELLED'));
  const sample = created.filter((_, i) => i % 2 === 1 && i % 5 === 3).slice(0, 100);
  await phase('deleteById (release)', sample, (session) => cache.deleteById(session.id));

  // Over every session write of the run: how the event's writes spread over key values.
  const sum = (maps: Map<string, number>[]) => {
    const total = new Map<string, number>();
    for (const map of maps) for (const [key, n] of map) total.set(key, (total.get(key) ?? 0) + n);
    return total;
  };
  const table = sum([creates, confirms, completes, cancels].map((p) => p.tableWrites));
  const index = sum([creates, confirms, completes, cancels].map((p) => p.indexWrites));
  const hottestTable = Math.max(...table.values());
  const indexTotal = [...index.values()].reduce((a, b) => a + b, 0);
  const holds = created.length;
  return {
    prices,
    buyers,
    holds,
    soldOut,
    // A ledger is under 1 KB: each of its writes is transactional, 2 write units.
    hottestTableKey: { writesPerHold: Math.round((hottestTable / (holds / prices)) * 100) / 100, wcuPerHold: Math.round(((2 * hottestTable) / (holds / prices)) * 100) / 100 },
    hottestIndexKeyShare: Math.round((Math.max(...index.values()) / indexTotal) * 1000) / 10,
    hottestIndexKey: {
      writesPerHold: Math.round((Math.max(...index.values()) / holds) * 1000) / 1000,
      wcuPerHold: Math.round((Math.max(...index.values()) / holds) * 1000) / 1000,
    },
    costs,
  };
}

/** Loads `live` sessions of one event (20 prices; 70 % CREATED, 10 % CONFIRMING, 20 % COMPLETED) and its ledgers. */
async function loadLive(client: ReturnType<typeof createCheckoutSessionDynamoDbClient>, eventId: string, live: number): Promise<void> {
  const expiresAt = Date.now() + TTL_MS;
  const status = (i: number): CheckoutSessionStoredStatus => (i % 10 < 7 ? 'CREATED' : i % 10 < 8 ? 'CONFIRMING' : 'COMPLETED');
  await batchWrite(client, TABLE, live, (i) => sessionItem(eventId, `p${i % 20}`, status(i), expiresAt));
  const held = new Map<string, number>();
  for (let i = 0; i < live; i++) if (status(i) !== 'COMPLETED') held.set(`p${i % 20}`, (held.get(`p${i % 20}`) ?? 0) + 1);
  for (const [priceId, tickets] of held) await addToLedger(client, TABLE, eventId, priceId, tickets, expiresAt);
}

async function latency(call: () => Promise<unknown>, samples: number) {
  for (let i = 0; i < 2; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { p50: round(percentile(times, 50)), p99: round(percentile(times, 99)) };
}

/** Runs the on-sale benchmark against DynamoDB Local at `endpoint`. */
export async function onSaleBenchmark(endpoint: string, config: OnSaleConfig): Promise<OnSaleResult> {
  const client = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
  const recorder = new WriteRecorder();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!WRITES.has(context.commandName ?? '')) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'INDEXES';
      recorder.request(input);
      const result = await next(args);
      recorder.capacity((result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity);
      return result;
    },
    // Before the document client marshals the input: ids and values are read as the driver wrote them.
    { step: 'initialize', name: 'recordWrites', priority: 'low' },
  );
  await ensureCheckoutSessionTable(client, TABLE);
  const { app, cache } = await boot(client, endpoint);
  try {
    const runs: OnSaleRun[] = [];
    for (const prices of [1, 20]) runs.push(await onSaleRun(cache, recorder, prices, config.buyers));

    const rows: OnSaleResult['latency'] = [];
    for (const live of config.live) {
      const eventId = `on-sale-live-${live}`;
      await loadLive(client, eventId, live);
      const count = await latency(() => cache.count({ eventId, status: ['CREATED', 'CONFIRMING'] }), Math.max(3, Math.min(config.samples, Math.ceil(200_000 / live))));
      const held = await latency(() => cache.held({ eventId, priceId: 'p0' }), config.samples);
      rows.push({ live, countP50Ms: count.p50, countP99Ms: count.p99, heldP50Ms: held.p50, heldP99Ms: held.p99 });
    }

    const none = async () => undefined;
    const create = (eventId: string, i: number, idempotencyKey?: string) =>
      cache.create({ eventId, priceId: `p${i % 20}`, quantity: 1 }, idempotencyKey === undefined ? {} : { idempotencyKey });
    await compare(1, Math.min(config.n, 100), 32, { prepare: none, op: (_, i) => create('keyed', i, randomUUID()) }, { prepare: none, op: (_, i) => create('plain', i) });
    const keyedVsPlain = await compare(
      config.rounds,
      config.n,
      32,
      { prepare: none, op: (_, i) => create('keyed', i, randomUUID()) },
      { prepare: none, op: (_, i) => create('plain', i) },
    );
    return { runs, latency: rows, keyedVsPlain: { keyed: keyedVsPlain.a, plain: keyedVsPlain.b, ratio: keyedVsPlain.ratio } };
  } finally {
    await app.close();
    client.destroy();
  }
}
