import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { CheckoutSessionValidationError, type CheckoutSessionCache } from '../../libs/checkout-session-cache/src/index.js';
import { appEnv, createTestApp, expectHttpCount } from '../support/checkout-api.harness.js';
import { bootCache, DRIVERS } from '../support/checkout-session-cache.harness.js';
import { announcedSeed } from '../support/seeded-random.js';

jest.setTimeout(180_000);

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const SENTINEL = 'fuzz-sentinel';
/** fast-check's seed for every property here, printed before any runs: a failure in a count or a timeout replays too. */
const SEED = announcedSeed('hostile input', 'FUZZ_SEED');

/** Values chosen to break things: wrong types, extremes, unicode, control characters, long strings. */
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 5e-324, 1e126, 2 ** 53 + 1, '', ' ', '\u0000', '\u202e', '\ud800', 'é'.repeat(200), '__proto__', null, true, [], {}),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ minLength: 129, maxLength: 3000 }),
  fc.object({ maxDepth: 4 }),
);
const field = fc.constantFrom('eventId', 'priceId', 'quantity', 'price', 'metadata', 'id', 'status', 'expiresAt', 'createdAt', '__proto__', 'constructor', 'x');
const mutatedBody = fc.record({ field, value: nasty, drop: fc.boolean() });
const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', '');
const pathId = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.constantFrom('..', '../..', '%2e%2e%2f', 'count', 'x/y', ' ', '\u0000', 'null', 'undefined'),
  fc.uuid(),
);

describe.each(DRIVERS)('hostile input to the sample app (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer() as App);
  const created = new Map<string, { sessions: number; quantity: number }>();
  let tried = 0;

  const never5xx = (status: number, what: string) => {
    tried += 1;
    if (status >= 500) throw new Error(`${what} answered ${status}`);
  };
  const record = (body: { eventId: string; quantity: number }) => {
    const count = created.get(body.eventId) ?? { sessions: 0, quantity: 0 };
    created.set(body.eventId, { sessions: count.sessions + 1, quantity: count.quantity + body.quantity });
  };

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver));
  });

  afterAll(async () => {
    // Nothing stored but what was acknowledged with 201.
    for (const [eventId, expected] of created) {
      await expectHttpCount(app, { eventId }, expected);
    }
    await expectHttpCount(app, { eventId: SENTINEL }, created.get(SENTINEL) ?? { sessions: 0, quantity: 0 });
    process.stdout.write(`hostile input (${driver}): ${tried} requests, none answered 5xx, counts match the ${[...created.values()].reduce((a, c) => a + c.sessions, 0)} acknowledged creates\n`);
    await app?.close();
  });

  it('POST with one field mutated, dropped or added: 201 only for valid input, otherwise 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBody, async ({ field, value, drop }) => {
        const body: Record<string, unknown> = { eventId: SENTINEL, priceId: 'p', quantity: 1 };
        if (drop) delete body[field];
        else Object.defineProperty(body, field, { value, enumerable: true, configurable: true, writable: true });
        const response = await http().post('/checkout-sessions').set('content-type', 'application/json').send(JSON.stringify(body));
        never5xx(response.status, `POST ${JSON.stringify(body).slice(0, 200)}`);
        if (response.status === 201) record(response.body);
        else expect([400, 409, 413]).toContain(response.status);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('POST with arbitrary bytes and content types: 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 2000 }), contentType, async (raw, type) => {
        const req = http().post('/checkout-sessions');
        if (type) req.set('content-type', type);
        const response = await req.send(raw);
        never5xx(response.status, `POST raw ${type}`);
        if (response.status === 201) record(response.body);
        else expect(response.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('GET, PATCH and DELETE with malformed ids and bodies: 400 or 404 (or 204 for a delete), never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(pathId, nasty, async (id, body) => {
        const path = `/checkout-sessions/${encodeURIComponent(id)}`;
        const get = await http().get(path);
        never5xx(get.status, `GET ${path.slice(0, 100)}`);
        expect([400, 404]).toContain(get.status);
        const patch = await http().patch(path).set('content-type', 'application/json').send(JSON.stringify(body));
        never5xx(patch.status, `PATCH ${path.slice(0, 100)}`);
        expect([400, 404, 413]).toContain(patch.status);
        const del = await http().delete(path);
        never5xx(del.status, `DELETE ${path.slice(0, 100)}`);
        expect([204, 400, 404]).toContain(del.status);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('count with arbitrary query parameters: 200 or 400, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('eventId', 'priceId', 'status', 'pattern', 'eventId[]', '__proto__'), fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.string(), { maxLength: 3 }))), async (query) => {
        const response = await http().get('/checkout-sessions/count').query(query);
        never5xx(response.status, `count ${JSON.stringify(query).slice(0, 200)}`);
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

// The conformance kit proves, on every store, that invalid calls reach no store method; this proves that on the
// DynamoDB driver they send no request at all (the start-up check aside).
describe('library calls with invalid arguments', () => {
  it('fail with CheckoutSessionValidationError before any request to DynamoDB', async () => {
    const client = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    let sent = 0;
    client.middlewareStack.add((next) => (args) => ((sent += 1), next(args)), { step: 'initialize', name: 'countSends' });
    const { module, cache } = await bootCache({ driver: 'dynamodb', client, verifyTableOnStartup: false });
    try {
      const calls: [string, (c: CheckoutSessionCache) => Promise<unknown>][] = [
        ['create with quantity 0', (c) => c.create({ eventId: 'e', priceId: 'p', quantity: 0 })],
        ['create with an empty eventId', (c) => c.create({ eventId: '', priceId: 'p', quantity: 1 })],
        ['create with a non-object', (c) => c.create(null as never)],
        ['getById with an empty id', (c) => c.getById('')],
        ['getById with a non-string', (c) => c.getById(42 as never)],
        ['updateStatus with an unknown status', (c) => c.updateStatus('00000000-0000-4000-8000-000000000000', 'PAID' as never)],
        ['deleteById with a long id', (c) => c.deleteById('x'.repeat(5000))],
        ['count without eventId', (c) => c.count({} as never)],
        ['held without priceId', (c) => c.held({ eventId: 'e' } as never)],
      ];
      for (const [, call] of calls) await expect(call(cache)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
      expect(sent).toBe(0);
      // The counter counts: a valid call does send (and fails, nothing listens on port 9).
      await expect(cache.getById('00000000-0000-4000-8000-000000000000')).rejects.toThrow();
      expect(sent).toBeGreaterThan(0);
    } finally {
      await module.close();
      client.destroy();
    }
  });
});
