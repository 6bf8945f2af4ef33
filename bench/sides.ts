// The port's operations as benchmark sides (bench/measure.ts): through the library, and the raw-SDK floor that sends
// the driver's own requests, built by its pure builders, straight through a DynamoDBDocumentClient. Shared by the
// DynamoDB Local comparison (bench/bench.ts) and the in-process overhead measurement (bench/overhead.ts).
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { holdBucketOf } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import {
  countQueries,
  deleteSession,
  getById,
  putNewSession,
  type SessionChange,
  transitionUpdate,
  updateLedger,
} from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.commands.js';
import type { CheckoutSessionItem } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.items.js';
import { countKeyOf, countShardOf, ledgerIdOf } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.keys.js';
import { ledgerChange } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-hold-ledger.plan.js';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  type CheckoutSessionCache,
  type CheckoutSessionCacheModuleOptions,
} from '../libs/checkout-session-cache/src/index.js';
import { runBatch, type Side } from './measure.js';
import { HOLD_MS, TTL_MS } from './seed.js';

/** The port's operations, on both drivers. */
export const OPERATIONS = ['create', 'getById', 'updateStatus', 'count', 'deleteById'] as const;
export type Operation = (typeof OPERATIONS)[number];
/** The DynamoDB driver's also: creates over {@link SPREAD_PRICES} prices, one per call in flight, where nothing is batched. */
export const DYNAMODB_OPERATIONS = [...OPERATIONS, 'createSpread'] as const;
export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];
/** What moving to `CONFIRMING` extends a hold to (the module's default `confirmingHoldSeconds`). */
const CONFIRMING_HOLD_MS = 900_000;
/** Prices of `createSpread`: as many as calls in flight at the highest concurrency measured. */
export const SPREAD_PRICES = 32;
/** The event `count` counts, and its sessions. */
export const COUNT_EVENT = 'bench-count';
export const COUNT_EVENT_SESSIONS = 20;

export const none = async (): Promise<string[]> => [];
export const input = (eventId: string, priceId = 'p') => ({ eventId, priceId, quantity: 2, price: 10 });
const spreadPrice = (i: number) => `p${i % SPREAD_PRICES}`;

/** The module with `options`, in a Nest application context. */
export async function bootCache(options: CheckoutSessionCacheModuleOptions) {
  const app = await NestFactory.createApplicationContext(CheckoutSessionCacheModule.forRoot(options), { logger: ['error', 'warn'] });
  return { app, cache: app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE) };
}

/** Creates `n` sessions through `cache` (not timed) and returns their ids. */
export async function seedSessions(cache: CheckoutSessionCache, n: number, eventId: string): Promise<string[]> {
  const ids: string[] = [];
  await runBatch(n, 64, async () => ids.push((await cache.create(input(eventId))).id));
  return ids;
}

/** The port's operations over prepared sessions; `reset`, when given, runs before each batch. */
export function librarySides(cache: () => CheckoutSessionCache, tag: string, reset?: () => Promise<void>): Record<DynamoDbOperation, Side<string[]>> {
  const seeded = (n: number) => seedSessions(cache(), n, `${tag}-seed`);
  return {
    create: { reset, prepare: none, op: () => cache().create(input(`${tag}-create`)) },
    createSpread: { reset, prepare: none, op: (_, i) => cache().create(input(`${tag}-create`, spreadPrice(i))) },
    getById: { reset, prepare: seeded, op: (ids, i) => cache().getById(ids[i]!) },
    updateStatus: { reset, prepare: seeded, op: (ids, i) => cache().updateStatus(ids[i]!, 'CONFIRMING') },
    count: { reset, prepare: none, op: () => cache().count({ eventId: COUNT_EVENT, priceId: 'p' }) },
    deleteById: { reset, prepare: seeded, op: (ids, i) => cache().deleteById(ids[i]!) },
  };
}

/**
 * The floor for the DynamoDB driver: the requests the driver sends for a call alone (a batch of one), built by the
 * driver's own builders and sent directly through `documents`, without validation, outcome handling or retries.
 */
export function rawSdkSides(documents: DynamoDBDocumentClient, table: string, seed: (n: number) => Promise<string[]>): Record<DynamoDbOperation, Side<string[]>> {
  const read = async (id: string) => (await documents.send(new GetCommand(getById(table, id, true)))).Item as CheckoutSessionItem;
  /** One create: the ledger update and the session's put in one transaction, with a token, as the batcher sends it. */
  const create = (priceId: string) => {
    const now = Date.now();
    const id = randomUUID();
    const session = input('raw-create', priceId);
    const expiresAt = Math.ceil((now + TTL_MS) / 1000);
    const holdExpiresAt = Math.ceil((now + HOLD_MS) / 1000);
    const holdBucket = holdBucketOf(new Date(holdExpiresAt * 1000), HOLD_MS);
    const item: CheckoutSessionItem = {
      id,
      ...session,
      status: 'CREATED',
      countShard: countShardOf(session.eventId, id),
      countKey: countKeyOf('CREATED', session.priceId, holdExpiresAt),
      createdAt: now,
      expiresAt,
      holdBucket,
      holdExpiresAt,
    };
    const ledger = updateLedger(table, ledgerIdOf(session.eventId, priceId), ledgerChange([{ kind: 'hold', quantity: session.quantity, bucket: holdBucket }]));
    return documents.send(new TransactWriteCommand({ TransactItems: [ledger, ...putNewSession(table, item, undefined, undefined, now)], ClientRequestToken: randomUUID() }));
  };
  /**
   * The first `CREATED → CONFIRMING` of a session, as the driver sends it: the hold extended to `now + 900 s` (the
   * default, never past `expiresAt`), the session's update and its ledger's move of the tickets to the new bucket, in
   * one transaction with a token.
   */
  const confirm = (item: CheckoutSessionItem) => {
    const now = Date.now();
    const extended = Math.min(item.expiresAt * 1000, Math.ceil((now + CONFIRMING_HOLD_MS) / 1000) * 1000);
    const bucket = holdBucketOf(new Date(extended), extended - now);
    const change: SessionChange = { status: 'CONFIRMING', holdExpiresAt: extended / 1000, holdExtended: true, holdBucket: bucket };
    const move = updateLedger(table, ledgerIdOf(item.eventId, item.priceId), ledgerChange([{ kind: 'move', quantity: item.quantity, bucket: item.holdBucket!, to: bucket }]));
    const update = transitionUpdate(table, item, change, randomUUID(), now);
    return documents.send(new TransactWriteCommand({ TransactItems: [move, { Update: update }], ClientRequestToken: randomUUID() }));
  };
  return {
    create: { prepare: none, op: () => create('p') },
    createSpread: { prepare: none, op: (_, i) => create(spreadPrice(i)) },
    getById: { prepare: seed, op: (ids, i) => read(ids[i]!) },
    updateStatus: {
      prepare: seed,
      op: async (ids, i) => confirm(await read(ids[i]!)),
    },
    count: {
      prepare: none,
      // Every shard's queries in parallel, each one page after another.
      op: async () => {
        const shards = await Promise.all(
          countQueries(table, { eventId: COUNT_EVENT, priceId: 'p' }, Date.now(), undefined).map(async (queries) => {
            let quantity = 0;
            for (const query of queries) {
              let startKey: Record<string, unknown> | undefined;
              do {
                const page = await documents.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey }));
                for (const item of page.Items ?? []) quantity += item.quantity as number;
                startKey = page.LastEvaluatedKey;
              } while (startKey);
            }
            return quantity;
          }),
        );
        return shards.reduce((a, b) => a + b, 0);
      },
    },
    deleteById: {
      prepare: seed,
      // As the driver does for a live holding session: read it, then delete it and release its hold in one transaction.
      op: async (ids, i) => {
        const item = await read(ids[i]!);
        const now = Date.now();
        const release = updateLedger(table, ledgerIdOf(item.eventId, item.priceId), ledgerChange([{ kind: 'release', quantity: item.quantity, bucket: item.holdBucket! }]));
        return documents.send(new TransactWriteCommand({ TransactItems: [release, { Delete: deleteSession(table, item, true, now) }], ClientRequestToken: randomUUID() }));
      },
    },
  };
}
