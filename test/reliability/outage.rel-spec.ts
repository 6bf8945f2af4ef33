import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT, ensureCheckoutSessionTable } from '../../libs/checkout-session-cache/src/index.js';
import { appEnv, createTestApp } from '../support/checkout-api.harness.js';
import { directClient } from '../support/checkout-session-cache.harness.js';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/dynamodb-local.launcher.mjs';
import { FAULT_SETTINGS } from '../support/fault-bounds.js';
import { GENEROUS_TIMEOUT_MS } from '../support/reliability.harness.js';

jest.setTimeout(120_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('DynamoDB Local stopped mid-load, then started again', () => {
  let folder: string;
  let port: number;
  let local: DynamoDbLocal | undefined;
  let app: NestExpressApplication;
  let checker: NestExpressApplication | undefined;
  const http = () => request(app.getHttpServer() as App);

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'checkout-sessions-outage-'));
    port = await freePort();
    local = await startDynamoDbLocal({ port, path: folder });
    const client = directClient(local.endpoint);
    await ensureCheckoutSessionTable(client, 'outage');
    client.destroy();
    app = await createTestApp(
      appEnv('dynamodb', {
        DYNAMODB_ENDPOINT: local.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'outage',
        DYNAMODB_AUTO_CREATE_TABLE: 'false',
        DYNAMODB_MAX_ATTEMPTS: String(FAULT_SETTINGS.maxAttempts),
        DYNAMODB_REQUEST_TIMEOUT_MS: String(FAULT_SETTINGS.requestTimeoutMs),
      }),
    );
  });

  afterAll(async () => {
    await checker?.close();
    await app?.close();
    await local?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('answers 503 quickly during the outage, serves again without a restart, and every answer matches the server', async () => {
    // What the server answered, recorded below the library: the ids of sessions whose write DynamoDB Local
    // acknowledged (HTTP 200 to the write request), and of sessions it returned to a read — a create whose first
    // attempt landed but timed out is answered from the stored session on the retry (the idempotency key's replay).
    const serverAcknowledged = new Set<string>();
    const serverReturned = new Set<string>();
    const client = app.get<DynamoDBClient>(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT, { strict: false });
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        for (const part of (args.input as { TransactItems?: { Put?: { Item?: Record<string, { S?: string }> } }[] }).TransactItems ?? []) {
          const id = part.Put?.Item?.id?.S;
          if (id && UUID.test(id)) serverAcknowledged.add(id);
        }
        return result;
      },
      { step: 'deserialize', name: 'recordServerAnswers' },
    );
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const read = (result.output as { Item?: Record<string, { S?: string } | string> }).Item?.id;
        const id = typeof read === 'string' ? read : read?.S;
        if (id && UUID.test(id)) serverReturned.add(id);
        return result;
      },
      { step: 'initialize', name: 'recordServerReads' },
    );

    const acknowledged = new Map<string, number>();
    const acknowledgedAt = new Map<string, number>();
    const statuses = new Set<number>();
    let key = 0;
    const create = async () => {
      const idempotencyKey = `order-${key}`;
      const quantity = 1 + (key++ % 3);
      const response = await http().post('/checkout-sessions').set('Idempotency-Key', idempotencyKey).send({ eventId: 'outage', priceId: 'p', quantity });
      statuses.add(response.status);
      if (response.status === 201) {
        acknowledged.set(response.body.id, response.body.quantity);
        acknowledgedAt.set(response.body.id, Date.now());
      }
      return { idempotencyKey, quantity, response };
    };
    // Load before and while the server goes away.
    for (let i = 0; i < 20; i++) await create();
    let loading = true;
    const failed: { idempotencyKey: string; quantity: number }[] = [];
    const load = (async () => {
      while (loading) {
        const { idempotencyKey, quantity, response } = await create();
        if (response.status !== 201) failed.push({ idempotencyKey, quantity });
      }
    })();
    await sleep(200);
    // A crash (SIGKILL), as a failing host: a graceful shutdown could still answer requests it no longer stores.
    const crashedAt = Date.now();
    await local!.crash();

    // At once, not after the whole outage: how long within its bound is the benchmark's to measure.
    await http().get('/health').expect(503);
    const write = await http().post('/checkout-sessions').send({ eventId: 'outage', priceId: 'p', quantity: 1 });
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toBe('1');
    for (const id of [...acknowledged.keys()].slice(0, 3)) await http().get(`/checkout-sessions/${id}`).expect(503);

    local = await startDynamoDbLocal({ port, path: folder });
    loading = false;
    await load;
    let healthy = 0;
    for (let i = 0; i < 50 && healthy !== 200; i++) {
      healthy = (await http().get('/health')).status;
      if (healthy !== 200) await sleep(200);
    }
    expect(healthy).toBe(200);
    expect([...statuses].sort()).toEqual([201, 503]);

    // The checks below read and retry through a second app on the same table with generous timeouts: what they
    // assert is what the table holds and what a keyed retry answers, which a loaded machine must not turn into a 503.
    checker = await createTestApp(
      appEnv('dynamodb', {
        DYNAMODB_ENDPOINT: local.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'outage',
        DYNAMODB_AUTO_CREATE_TABLE: 'false',
        DYNAMODB_REQUEST_TIMEOUT_MS: String(GENEROUS_TIMEOUT_MS),
      }),
    );
    const check = () => request(checker!.getHttpServer() as App);

    // The library's answers match the server's: a 201 only for a session DynamoDB acknowledged writing or returned
    // stored, and every write it acknowledged was answered 201 (none turned into a 503).
    expect([...acknowledged.keys()].filter((id) => !serverAcknowledged.has(id) && !serverReturned.has(id))).toEqual([]);
    expect([...serverAcknowledged].filter((id) => !acknowledged.has(id))).toEqual([]);

    // DynamoDB Local answers a transaction before its SQLite COMMIT has run, and a crash rolls that COMMIT back
    // (README, "What DynamoDB Local does on a crash"): a write acknowledged in the emulator's last moments may be gone,
    // which DynamoDB itself never does. So what is asserted here is the library's part: every session it reports is
    // whole and as acknowledged, and what the emulator lost is reported, not counted as a library failure.
    const present = new Map<string, number>();
    const lostByEmulator: string[] = [];
    for (const [id, quantity] of acknowledged) {
      const response = await check().get(`/checkout-sessions/${id}`);
      expect([200, 404]).toContain(response.status);
      if (response.status === 200) {
        expect(response.body).toMatchObject({ id, quantity, eventId: 'outage', priceId: 'p', status: 'CREATED' });
        present.set(id, quantity);
      } else lostByEmulator.push(`${acknowledgedAt.get(id)! - crashedAt} ms`);
    }
    if (lostByEmulator.length > 0) {
      process.stdout.write(`outage: DynamoDB Local lost ${lostByEmulator.length} acknowledged transaction(s), acknowledged at ${lostByEmulator.join(', ')} relative to the crash\n`);
    }
    // Creates that failed during the outage are retried with their key: each ends as exactly one session.
    for (const { idempotencyKey, quantity } of failed) {
      const retry = await check().post('/checkout-sessions').set('Idempotency-Key', idempotencyKey).send({ eventId: 'outage', priceId: 'p', quantity }).expect(201);
      expect(present.has(retry.body.id)).toBe(false);
      present.set(retry.body.id, retry.body.quantity);
      const again = await check().post('/checkout-sessions').set('Idempotency-Key', idempotencyKey).send({ eventId: 'outage', priceId: 'p', quantity }).expect(201);
      expect(again.body.id).toBe(retry.body.id);
    }
    // The table holds exactly the sessions the client ended with: nothing duplicated, nothing half-stored.
    const direct = directClient(local.endpoint);
    try {
      const { Items } = await direct.send(
        new ScanCommand({ TableName: 'outage', ConsistentRead: true, FilterExpression: 'eventId = :e', ExpressionAttributeValues: { ':e': { S: 'outage' } } }),
      );
      expect(new Map(Items!.map((item) => [item.id!.S!, Number(item.quantity!.N)]))).toEqual(present);
    } finally {
      direct.destroy();
    }
  });
});
