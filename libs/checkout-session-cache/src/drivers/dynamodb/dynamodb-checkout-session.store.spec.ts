import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { bootCache, directClient, ManualClock, settled, testOptions, uniqueTableName } from '../../../../../test/support/checkout-session-cache.harness.js';
import { countKeyOf, countShardOf } from './dynamodb-checkout-session.keys.js';
import { CHECKOUT_SESSION_TABLE_LAYOUT, COUNT_INDEX_NAME, EVENT_PRICE_INDEX_NAME } from './dynamodb-checkout-session.layout.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { CheckoutSessionCacheModuleOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import { startDynamoDbLocal } from '../../../../../scripts/dynamodb-local.launcher.mjs';
import { MAX_TRANSITION_TOKENS } from './dynamodb-checkout-session.items.js';
import { createCheckoutSessionDynamoDbClient } from './dynamodb-client.factory.js';
import { inspectCheckoutSessionTable } from './dynamodb-checkout-session.inspection.js';
import { backfillCheckoutSessionCountKeys } from './dynamodb-checkout-session.migration.js';
import { ensureCheckoutSessionTable } from './dynamodb-checkout-session.provisioning.js';
import { marshall } from '@aws-sdk/util-dynamodb';

const rawClient = () => directClient();

/** Boots the DynamoDB driver on a fresh table and hands back what the test needs. */
async function dynamo(extra: CheckoutSessionCacheModuleOptions = {}) {
  const options = testOptions('dynamodb', extra);
  const booted = await bootCache(options);
  return { ...booted, tableName: options.tableName! };
}

describe('DynamoDB driver on DynamoDB Local', () => {
  let client: DynamoDBClient;

  beforeAll(() => {
    client = rawClient();
  });

  afterAll(() => {
    client.destroy();
  });

  it('stores expiresAt as whole epoch seconds (the TTL attribute), createdAt as epoch ms, numbers as N, metadata apart', async () => {
    const { module, cache, tableName } = await dynamo();
    try {
      const created = await cache.create({ eventId: 'e', priceId: 'p', quantity: 3, price: 12.5, metadata: { a: [1, 'b'] } });
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: created.id } }, ConsistentRead: true }));
      expect(Item).toEqual({
        id: { S: created.id },
        eventId: { S: 'e' },
        priceId: { S: 'p' },
        quantity: { N: '3' },
        price: { N: '12.5' },
        status: { S: 'CREATED' },
        hasMetadata: { BOOL: true },
        // The count index's keys: the shard comes from the id's first two hex digits.
        countShard: { S: `e#${parseInt(created.id.slice(0, 2), 16) % 32}` },
        countKey: { S: 'CREATED#p' },
        createdAt: { N: String(created.createdAt.getTime()) },
        expiresAt: { N: String(created.expiresAt.getTime() / 1000) },
        // The end of the hold ledger's bucket: 2 % of the 24 h TTL less the 1 s release margin, 1727 s.
        holdBucket: { N: String(Math.ceil(created.expiresAt.getTime() / 1000 / 1727) * 1727) },
      });
      expect(Number(Item!.expiresAt!.N)).toBe(Math.ceil((created.createdAt.getTime() + 24 * 3_600_000) / 1000));
      expect(Item!.expiresAt!.N).toMatch(/^\d{10}$/);
      // Metadata lives in an item of its own, which a status change never rewrites.
      const metadataKey = { id: { S: `metadata#${created.id}` } };
      const metadata = await client.send(new GetItemCommand({ TableName: tableName, Key: metadataKey, ConsistentRead: true }));
      expect(metadata.Item).toEqual({ ...metadataKey, metadata: { M: { a: { L: [{ N: '1' }, { S: 'b' }] } } }, expiresAt: Item!.expiresAt });
      await cache.updateStatus(created.id, 'CONFIRMING');
      const after = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: created.id } }, ConsistentRead: true }));
      expect(after.Item).toMatchObject({ status: { S: 'CONFIRMING' }, countKey: { S: 'CONFIRMING#p' } });
      await cache.deleteById(created.id);
      await expect(client.send(new GetItemCommand({ TableName: tableName, Key: metadataKey, ConsistentRead: true }))).resolves.not.toHaveProperty('Item');
    } finally {
      await module.close();
    }
  });

  it('provisions the table idempotently: on-demand, the count index with a narrow projection, TTL on expiresAt', async () => {
    const tableName = uniqueTableName();
    const first: string[] = [];
    const second: string[] = [];
    // What the library asks for, not only what DynamoDB Local echoes back.
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    const recording = rawClient();
    recording.middlewareStack.add(
      (next, context) => (args) => {
        if (/^(Create|Update)Table|UpdateTimeToLive/.test(context.commandName ?? '')) sent.push({ command: context.commandName!, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordProvisioning' },
    );
    try {
      await ensureCheckoutSessionTable(recording, tableName, (line) => first.push(line));
      await ensureCheckoutSessionTable(recording, tableName, (line) => second.push(line));
    } finally {
      recording.destroy();
    }
    expect(sent.map((s) => s.command)).toEqual(['CreateTableCommand', 'UpdateTimeToLiveCommand']);
    expect(sent[0]!.input).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: CHECKOUT_SESSION_TABLE_LAYOUT.globalSecondaryIndexes,
    });
    expect(sent[1]!.input).toEqual({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } });
    expect(first).toHaveLength(2);
    expect(second).toEqual([]);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === COUNT_INDEX_NAME);
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'countShard', KeyType: 'HASH' },
      { AttributeName: 'countKey', KeyType: 'RANGE' },
    ]);
    expect(index?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'expiresAt'] });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);
  });

  it('reports a missing table, a missing index and a disabled TTL, and adds what is missing', async () => {
    // Its own DynamoDB Local: under the other suites' traffic the shared one can hold an online index in CREATING
    // for a long time.
    const own = await startDynamoDbLocal();
    const client = directClient(own.endpoint);
    try {
      const tableName = uniqueTableName();
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([`table "${tableName}" does not exist`]);
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      const problems = await inspectCheckoutSessionTable(client, tableName);
      expect(problems).toEqual([expect.stringContaining(`has no index "${COUNT_INDEX_NAME}"`), expect.stringContaining('TTL is not enabled')]);
      await ensureCheckoutSessionTable(client, tableName);
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);
    } finally {
      client.destroy();
      await own.stop();
    }
  });

  it('upgrades a table of the previous layout online: table:create adds the count index, the backfill keys old sessions', async () => {
    const own = await startDynamoDbLocal();
    const client = directClient(own.endpoint);
    const tableName = uniqueTableName();
    try {
      // The previous layout: one index on eventId/priceId, metadata inside the session, no ledger.
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['id', 'eventId', 'priceId'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: EVENT_PRICE_INDEX_NAME,
              KeySchema: [
                { AttributeName: 'eventId', KeyType: 'HASH' },
                { AttributeName: 'priceId', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', 'expiresAt'] },
            },
          ],
        }),
      );
      const now = Date.now();
      const old = (status: string, quantity: number, extra: Record<string, unknown> = {}) => ({
        id: randomUUID(),
        eventId: 'upgraded',
        priceId: 'p',
        quantity,
        status,
        createdAt: now,
        expiresAt: Math.ceil((now + 3_600_000) / 1000),
        transitionId: randomUUID(),
        ...extra,
      });
      const sessions = [old('CREATED', 1, { metadata: { seat: 'A1' } }), old('CONFIRMING', 2), old('CANCELLED', 4)];
      for (const item of sessions) await client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));

      const log: string[] = [];
      await ensureCheckoutSessionTable(client, tableName, (line) => log.push(line));
      expect(log).toEqual([
        `Adding index "${COUNT_INDEX_NAME}" to table "${tableName}"`,
        expect.stringContaining(`Index "${EVENT_PRICE_INDEX_NAME}" of the previous layout is no longer read`),
        `Enabled TTL on "expiresAt" of table "${tableName}"`,
      ]);
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);

      const { module, cache } = await bootCache({ driver: 'dynamodb', tableName, client, verifyTableOnStartup: false });
      try {
        // Old sessions read as before, metadata included; before the backfill the new index does not know them.
        await expect(cache.getById(sessions[0]!.id)).resolves.toMatchObject({ status: 'CREATED', metadata: { seat: 'A1' } });
        await expect(cache.count({ eventId: 'upgraded' })).resolves.toEqual({ sessions: 0, quantity: 0 });
        await expect(backfillCheckoutSessionCountKeys(client, tableName)).resolves.toBe(3);
        await expect(backfillCheckoutSessionCountKeys(client, tableName)).resolves.toBe(0);
        const all = { sessions: 3, quantity: 7 };
        expect(await settled(() => cache.count({ eventId: 'upgraded' }), all)).toEqual(all);
        // A change keeps the index keys right; old sessions were never in a ledger, so ending them releases nothing.
        await cache.create({ eventId: 'upgraded', priceId: 'p', quantity: 5 }, { maxHeld: 5 });
        await expect(cache.updateStatus(sessions[1]!.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
        await cache.deleteById(sessions[0]!.id);
        await expect(cache.held({ eventId: 'upgraded', priceId: 'p' })).resolves.toBe(5);
        const holding = { sessions: 1, quantity: 5 };
        expect(await settled(() => cache.count({ eventId: 'upgraded', status: ['CREATED', 'CONFIRMING'] }), holding)).toEqual(holding);
      } finally {
        await module.close();
      }
    } finally {
      client.destroy();
      await own.stop();
    }
  });

  it('treats an item past expiresAt as absent although DynamoDB still holds it', async () => {
    // The module's clock runs a minute past the item's expiresAt, which lies in the real future: DynamoDB Local's own
    // TTL, which deletes expired items in the background, leaves it in the table and in the index for this test.
    const clock = new ManualClock();
    const { module, cache, tableName } = await dynamo({ clock });
    try {
      const id = randomUUID();
      const past = Math.floor(Date.now() / 1000) + 3600;
      clock.set((past + 60) * 1000);
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: id },
            eventId: { S: 'stale' },
            priceId: { S: 'p' },
            quantity: { N: '5' },
            status: { S: 'CREATED' },
            // The index keys the driver writes: the stale session is in the count index, so only the expiry filter
            // keeps it out of the count.
            countShard: { S: countShardOf('stale', id) },
            countKey: { S: countKeyOf('CREATED', 'p') },
            createdAt: { N: String((past - 3600) * 1000) },
            expiresAt: { N: String(past) },
          },
        }),
      );
      // The precondition that makes the rest mean something: DynamoDB has not deleted it.
      const stillThere = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
      expect(stillThere.Item).toBeDefined();
      await expect(cache.getById(id)).resolves.toBeNull();
      await expect(cache.count({ eventId: 'stale' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      const scanned = await client.send(new QueryCommand({
        TableName: tableName,
        IndexName: COUNT_INDEX_NAME,
        KeyConditionExpression: 'countShard = :shard',
        ExpressionAttributeValues: { ':shard': { S: countShardOf('stale', id) } },
      }));
      expect(scanned.Count).toBe(1); // the index does hold it: the count left it out because it expired
      await expect(cache.updateStatus(id, 'CANCELLED')).resolves.toBeNull();
    } finally {
      await module.close();
    }
  });

  it('follows LastEvaluatedKey through every page of the count query', async () => {
    // 32 shards paged by 3 make hundreds of queries: a generous timeout, so a loaded machine only makes it slower.
    const counted = createCheckoutSessionDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 30_000 });
    let queries = 0;
    let pagesAfterTheFirst = 0;
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') {
          queries += 1;
          if ((args.input as { ExclusiveStartKey?: unknown }).ExclusiveStartKey) pagesAfterTheFirst += 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const { module, cache } = await dynamo({ client: counted, queryPageSize: 3 });
    try {
      // 160 sessions over 32 shards, pages of 3: most shards take several pages.
      const quantities = Array.from({ length: 160 }, (_, i) => (i % 4) + 1);
      await Promise.all(quantities.map((quantity) => cache.create({ eventId: 'paged', priceId: 'p', quantity })));
      const expected = { sessions: 160, quantity: quantities.reduce((a, b) => a + b, 0) };
      // The index is eventually consistent: a count may lag the last create by a moment.
      await settled(() => cache.count({ eventId: 'paged', priceId: 'p' }), expected);
      queries = 0;
      pagesAfterTheFirst = 0;
      await expect(cache.count({ eventId: 'paged', priceId: 'p' })).resolves.toEqual(expected);
      // 32 shards × 4 statuses, and for CREATED every page after the first of each shard.
      expect(pagesAfterTheFirst).toBeGreaterThan(0);
      expect(queries).toBe(32 * 4 + pagesAfterTheFirst);
    } finally {
      await module.close();
      counted.destroy();
    }
  });

  it('answers a missing table with CheckoutSessionTableNotFoundError, never null', async () => {
    const { module, cache } = await dynamo({ autoCreateTable: false });
    try {
      const error = await cache.getById(randomUUID()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckoutSessionTableNotFoundError);
      expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(cache.create({ eventId: 'e', priceId: 'p', quantity: 1 })).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.updateStatus(randomUUID(), 'CANCELLED')).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.count({ eventId: 'e' })).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
    } finally {
      await module.close();
    }
  });

  it('answers an unreachable endpoint with CheckoutSessionStoreUnavailableError carrying the cause', async () => {
    const { module, cache } = await bootCache({
      driver: 'dynamodb',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 2,
      requestTimeoutMs: 200,
    });
    try {
      const error = await cache.getById(randomUUID()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      expect((error as Error).cause).toBeInstanceOf(Error);
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
    } finally {
      await module.close();
    }
  });

  it('recognises its own write when the SDK retries a create, a keyed or limited create, an update, a release or a delete whose response was lost', async () => {
    const lossy = rawClient();
    // Every write's first response is lost after the write landed; the SDK retries the same request.
    const lost = new WeakSet<object>();
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (/^(Put|Update|Delete)Item|TransactWriteItems/.test(context.commandName ?? '') && !lost.has(args.input as object)) {
          lost.add(args.input as object);
          throw Object.assign(new Error('response lost after the write landed'), { name: 'TimeoutError', $metadata: {} });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseFirstResponse' },
    );
    const { module, cache, tableName } = await dynamo({ client: lossy, clock: new ManualClock() });
    try {
      const held = { eventId: 'lossy', priceId: 'p' };
      const created = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 2 });
      await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toMatchObject({ id: created.id, status: 'CONFIRMING' });
      const keyed = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { idempotencyKey: 'k-1' });
      const limited = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { maxHeld: 4 });
      await expect(cache.held(held)).resolves.toBe(4);
      await expect(cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { maxHeld: 4 })).rejects.toMatchObject({ available: 0 });
      await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toMatchObject({ id: created.id, status: 'CANCELLED' });
      await expect(cache.held(held)).resolves.toBe(2);
      await cache.deleteById(keyed.id);
      await expect(cache.held(held)).resolves.toBe(1);
      await expect(cache.getById(limited.id)).resolves.toEqual(limited);
      expect(await settled(() => cache.count({ eventId: 'lossy' }), { sessions: 2, quantity: 3 })).toEqual({ sessions: 2, quantity: 3 });
      const { Items } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      expect(Items).toHaveLength(4); // two sessions, one idempotency key record, one hold ledger
    } finally {
      await module.close();
      lossy.destroy();
    }
  });

  it('resolves transaction conflicts (contention on a hot ledger) inside the library: never sold out, never unavailable', async () => {
    const contended = rawClient();
    // The first two tries of every transaction are cancelled as DynamoDB cancels one that lost a race on an item.
    const tries = new Map<string, number>();
    contended.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          const parts = (args.input as { TransactItems: unknown[] }).TransactItems;
          const key = JSON.stringify(parts);
          const seen = (tries.get(key) ?? 0) + 1;
          tries.set(key, seen);
          if (seen <= 2) {
            throw Object.assign(new Error('Transaction cancelled'), {
              name: 'TransactionCanceledException',
              CancellationReasons: parts.map((_, i) => ({ Code: i === 1 ? 'TransactionConflict' : 'None' })),
              $metadata: {},
            });
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'conflictTwice' },
    );
    const { module, cache } = await dynamo({ client: contended });
    try {
      const created = await cache.create({ eventId: 'contended', priceId: 'p', quantity: 2 }, { maxHeld: 2 });
      const keyed = await cache.create({ eventId: 'contended', priceId: 'k', quantity: 1 }, { idempotencyKey: 'contended-key' });
      await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
      await cache.deleteById(keyed.id);
      await expect(cache.held({ eventId: 'contended', priceId: 'p' })).resolves.toBe(0);
      await expect(cache.held({ eventId: 'contended', priceId: 'k' })).resolves.toBe(0);
      expect([...tries.values()].every((n) => n === 3)).toBe(true);
      expect(tries.size).toBe(4);
    } finally {
      await module.close();
      contended.destroy();
    }
  });

  it('keeps a session small and changeable through thousands of CONFIRMING ↔ CREATED flips', async () => {
    const { module, cache, tableName } = await dynamo();
    try {
      const created = await cache.create({ eventId: 'flips', priceId: 'p', quantity: 1 }, { maxHeld: 1 });
      const size = async () => {
        const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: created.id } }, ConsistentRead: true }));
        return { bytes: JSON.stringify(Item).length, tokens: Item!.transitionTokens!.L!.length, count: Number(Item!.transitionCount!.N) };
      };
      await cache.updateStatus(created.id, 'CONFIRMING');
      const early = await size();
      for (let i = 0; i < 1000; i++) {
        await cache.updateStatus(created.id, 'CREATED');
        await cache.updateStatus(created.id, 'CONFIRMING');
      }
      const late = await size();
      expect(late.count).toBe(2001);
      expect(late.tokens).toBe(MAX_TRANSITION_TOKENS);
      // Eight tokens of 36 characters and a larger count: the item no longer grows with each change.
      expect(late.bytes).toBeLessThan(early.bytes + MAX_TRANSITION_TOKENS * 60);
      await expect(cache.updateStatus(created.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
      await expect(cache.held({ eventId: 'flips', priceId: 'p' })).resolves.toBe(0);
    } finally {
      await module.close();
    }
  }, 180_000);
});
