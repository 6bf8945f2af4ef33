import { jest } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  CheckoutSessionStoreUnavailableError,
  type CheckoutSessionCache,
  type CheckoutSessionCacheModuleOptions,
} from '../../libs/checkout-session-cache/src/index.js';
import { appEnv, createTestApp } from '../support/checkout-api.harness.js';
import { bootCache } from '../support/checkout-session-cache.harness.js';
import type { Fault, FaultProxy } from '../support/fault-proxy.js';
import { FAULT_SETTINGS, faultedOperations, FAULTS } from '../support/fault-bounds.js';
import { eventually } from '../support/bounded-wait.js';
import { bootVerifier, faultedTable, GENEROUS_TIMEOUT_MS } from '../support/reliability.harness.js';

jest.setTimeout(120_000);

describe('library under injected faults (DynamoDB Local behind a fault proxy)', () => {
  let proxy: FaultProxy;
  let options: CheckoutSessionCacheModuleOptions;
  let module: TestingModule;
  let cache: CheckoutSessionCache;
  let verifier: { module: TestingModule; cache: CheckoutSessionCache };
  let existing: string;

  /**
   * A fresh module per scenario: the SDK's retry quota (a token bucket per client) starts full each time. The session
   * the operations work on is made straight on DynamoDB Local: no step but the one under test meets the short timeouts.
   */
  const boot = async () => {
    proxy.set({ kind: 'none' });
    await module?.close();
    ({ module, cache } = await bootCache(options));
    existing = (await verifier.cache.create({ eventId: 'faults', priceId: 'p', quantity: 2 })).id;
  };

  beforeAll(async () => {
    let tableName: string;
    ({ proxy, options, tableName } = await faultedTable());
    verifier = await bootVerifier(tableName);
  });

  afterAll(async () => {
    await module?.close();
    await verifier?.module.close();
    await proxy?.stop();
  });

  afterEach(() => proxy.set({ kind: 'none' }));

  // How long each takes against its documented bound is the benchmark's to measure (npm run bench:fault-bounds), not
  // a loaded machine's to assert.
  const operations = faultedOperations(() => ({ cache, existing }));

  describe.each(FAULTS)('with %s', (_name, fault) => {
    beforeAll(boot);

    it.each(operations)('%s fails with CheckoutSessionStoreUnavailableError, its cause attached', async (_op, call) => {
      proxy.set(fault);
      const before = { ...proxy.injected };
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      expect((error as Error).cause).toBeDefined();
      expect(proxy.injected[fault.kind]! - (before[fault.kind] ?? 0)).toBeGreaterThanOrEqual(1);
    });
  });

  it('succeeds through the SDK retries when one attempt in three is throttled, reset or answered 503', async () => {
    for (const fault of [{ kind: 'throttle' }, { kind: 'reset' }, { kind: 'http', status: 503 }] as Fault[]) {
      await boot();
      proxy.set(fault, 0.3);
      let succeeded = 0;
      let succeededAfterAFault = 0;
      for (let i = 0; i < 30; i++) {
        const injectedBefore = proxy.injected[fault.kind] ?? 0;
        await cache.getById(existing).then(
          () => {
            succeeded += 1;
            if ((proxy.injected[fault.kind] ?? 0) > injectedBefore) succeededAfterAFault += 1;
          },
          (e: unknown) => expect(e).toBeInstanceOf(CheckoutSessionStoreUnavailableError),
        );
      }
      // Calls that met a fault and still succeeded did so through a retry; most calls succeed.
      expect(succeededAfterAFault).toBeGreaterThanOrEqual(1);
      expect(succeeded).toBeGreaterThanOrEqual(15);
    }
  });

  it('serves normally with latency below the timeout, and again once the faults stop', async () => {
    await boot();
    // Served means served within the generous bound: one 300 ms attempt may be too short for a loaded machine alone.
    const served = (what: string, call: () => Promise<unknown>) => eventually(what, call, GENEROUS_TIMEOUT_MS);
    proxy.set({ kind: 'latency', ms: 20 });
    await expect(served('a read with 20 ms latency succeeds', () => cache.getById(existing))).resolves.toMatchObject({ id: existing });
    proxy.set({ kind: 'blackhole' });
    await expect(cache.count({ eventId: 'faults' })).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
    proxy.set({ kind: 'none' });
    await expect(served('a read after the faults succeeds', () => cache.getById(existing))).resolves.toMatchObject({ id: existing });
    await expect(served('a ping after the faults succeeds', () => cache.ping())).resolves.toBeUndefined();
  });
});

describe('sample app under injected faults', () => {
  let proxy: FaultProxy;
  let app: NestExpressApplication;
  let existing: string;
  const http = () => request(app.getHttpServer() as App);

  beforeAll(async () => {
    const table = await faultedTable();
    proxy = table.proxy;
    const verifier = await bootVerifier(table.tableName);
    existing = (await verifier.cache.create({ eventId: 'http-faults', priceId: 'p', quantity: 1 })).id;
    await verifier.module.close();
    app = await createTestApp(
      appEnv('dynamodb', {
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: table.tableName,
        DYNAMODB_AUTO_CREATE_TABLE: 'false',
        DYNAMODB_MAX_ATTEMPTS: String(FAULT_SETTINGS.maxAttempts),
        DYNAMODB_REQUEST_TIMEOUT_MS: String(FAULT_SETTINGS.requestTimeoutMs),
        // Each fault is checked right after /health answered 200: probe every time rather than reuse that success.
        DYNAMODB_PING_CACHE_MS: '0',
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
  });

  it.each(FAULTS)('answers every endpoint with 503 and Retry-After under %s, never 500 or a false 404', async (_name, fault) => {
    proxy.set(fault);
    const responses = await Promise.all([
      http().post('/checkout-sessions').send({ eventId: 'http-faults', priceId: 'p', quantity: 1 }),
      http().get(`/checkout-sessions/${existing}`),
      http().patch(`/checkout-sessions/${existing}`).send({ status: 'CONFIRMING' }),
      http().delete(`/checkout-sessions/${randomUUID()}`),
      http().get('/checkout-sessions/count').query({ eventId: 'http-faults' }),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
    }
    await http().get('/health').expect(503);
    proxy.set({ kind: 'none' });
    await eventually('the read after the faults answers 200', () => http().get(`/checkout-sessions/${existing}`).expect(200), GENEROUS_TIMEOUT_MS);
    await eventually('/health after the faults answers 200', () => http().get('/health').expect(200), GENEROUS_TIMEOUT_MS);
  });
});
