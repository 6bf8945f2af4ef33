import { jest } from '@jest/globals';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { bootCache, directClient, ManualClock, testOptions, uniqueTableName } from '../../../../../test/support/checkout-session-cache.harness.js';
import { CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT, EVENT_PRICE_INDEX_NAME } from '../../checkout-session-cache.constants.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { CheckoutSessionCacheModuleOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import { startDynamoDbLocal } from '../../../../../test/support/dynamodb-local.mjs';
import { ensureCheckoutSessionTable, inspectCheckoutSessionTable } from './dynamodb-checkout-session.table.js';

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

  it('stores expiresAt as whole epoch seconds (the TTL attribute), createdAt as epoch ms, numbers as N', async () => {
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
        metadata: { M: { a: { L: [{ N: '1' }, { S: 'b' }] } } },
        createdAt: { N: String(created.createdAt.getTime()) },
        expiresAt: { N: String(created.expiresAt.getTime() / 1000) },
      });
      expect(Number(Item!.expiresAt!.N)).toBe(Math.ceil((created.createdAt.getTime() + 24 * 3_600_000) / 1000));
      expect(Item!.expiresAt!.N).toMatch(/^\d{10}$/);
    } finally {
      await module.close();
    }
  });

  it('provisions the table idempotently: on-demand, the count index with a narrow projection, TTL on expiresAt', async () => {
    const tableName = uniqueTableName();
    const first: string[] = [];
    const second: string[] = [];
    await ensureCheckoutSessionTable(client, tableName, (line) => first.push(line));
    await ensureCheckoutSessionTable(client, tableName, (line) => second.push(line));
    expect(first).toHaveLength(2);
    expect(second).toEqual([]);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === EVENT_PRICE_INDEX_NAME);
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'eventId', KeyType: 'HASH' },
      { AttributeName: 'priceId', KeyType: 'RANGE' },
    ]);
    expect(index?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', 'expiresAt'] });
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
      expect(problems).toEqual([expect.stringContaining(`has no index "${EVENT_PRICE_INDEX_NAME}"`), expect.stringContaining('TTL is not enabled')]);
      await ensureCheckoutSessionTable(client, tableName);
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);
    } finally {
      client.destroy();
      await own.stop();
    }
  });

  it('treats an item past expiresAt as absent although DynamoDB still holds it', async () => {
    const { module, cache, tableName } = await dynamo();
    try {
      const id = randomUUID();
      const past = Math.floor(Date.now() / 1000) - 60;
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: id },
            eventId: { S: 'stale' },
            priceId: { S: 'p' },
            quantity: { N: '5' },
            status: { S: 'CREATED' },
            createdAt: { N: String((past - 3600) * 1000) },
            expiresAt: { N: String(past) },
          },
        }),
      );
      const stillThere = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
      expect(stillThere.Item).toBeDefined();
      await expect(cache.getById(id)).resolves.toBeNull();
      await expect(cache.count({ eventId: 'stale' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(cache.updateStatus(id, 'CANCELLED')).resolves.toBeNull();
    } finally {
      await module.close();
    }
  });

  it('follows LastEvaluatedKey through every page of the count query', async () => {
    const counted = rawClient();
    let queries = 0;
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const { module, cache } = await dynamo({ client: counted, queryPageSize: 3 });
    try {
      const quantities = Array.from({ length: 20 }, (_, i) => (i % 4) + 1);
      for (const quantity of quantities) await cache.create({ eventId: 'paged', priceId: 'p', quantity });
      const expected = { sessions: 20, quantity: quantities.reduce((a, b) => a + b, 0) };
      let count = await cache.count({ eventId: 'paged', priceId: 'p' });
      // The index is eventually consistent: a count may lag the last create by a moment.
      for (let i = 0; i < 20 && count.sessions < 20; i++) count = await cache.count({ eventId: 'paged', priceId: 'p' });
      queries = 0;
      await expect(cache.count({ eventId: 'paged', priceId: 'p' })).resolves.toEqual(expected);
      expect(queries).toBeGreaterThanOrEqual(7);
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

  it.each([
    [true, ['DescribeTableCommand', 'DescribeTimeToLiveCommand']],
    [false, []],
  ])('with verifyTableOnStartup %s, start-up sends %j', async (verifyTableOnStartup, expected) => {
    const tableName = uniqueTableName();
    await ensureCheckoutSessionTable(client, tableName);
    const recorded = rawClient();
    const sent: string[] = [];
    recorded.middlewareStack.add((next, context) => (args) => (sent.push(context.commandName!), next(args)), { step: 'initialize' });
    const { module } = await bootCache({ driver: 'dynamodb', tableName, client: recorded, verifyTableOnStartup });
    try {
      expect(sent).toEqual(expected);
    } finally {
      await module.close();
      recorded.destroy();
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

  it('recognises its own write when the SDK retries a create, a keyed create or an update whose response was lost', async () => {
    const lossy = rawClient();
    const lose = new Set(['PutItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand']);
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (lose.delete(context.commandName ?? '')) {
          throw Object.assign(new Error('response lost after the write landed'), { name: 'TimeoutError', $metadata: {} });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseFirstResponse' },
    );
    const { module, cache, tableName } = await dynamo({ client: lossy, clock: new ManualClock() });
    try {
      const created = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 2 });
      await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toMatchObject({ id: created.id, status: 'CONFIRMING' });
      const keyed = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { idempotencyKey: 'k-1' });
      expect(lose.size).toBe(0);
      await expect(cache.getById(keyed.id)).resolves.toEqual(keyed);
      await expect(cache.count({ eventId: 'lossy' })).resolves.toEqual({ sessions: 2, quantity: 3 });
      const { Items } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      expect(Items).toHaveLength(3); // two sessions and one idempotency key record
    } finally {
      await module.close();
      lossy.destroy();
    }
  });

  it('destroys the client it created on shutdown, but not one passed in options', async () => {
    const own = await dynamo();
    const ownClient = own.module.get<DynamoDBClient>(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT);
    const ownDestroy = jest.spyOn(ownClient, 'destroy');
    await own.module.close();
    expect(ownDestroy).toHaveBeenCalledTimes(1);

    const passed = rawClient();
    const passedDestroy = jest.spyOn(passed, 'destroy');
    const borrowed = await dynamo({ client: passed });
    expect(borrowed.module.get(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT)).toBe(passed);
    await borrowed.module.close();
    expect(passedDestroy).not.toHaveBeenCalled();
    passedDestroy.mockRestore();
    passed.destroy();
  });
});
