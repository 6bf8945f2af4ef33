import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { appEnv, CapturingLogger, createTestApp, expectHttpCount } from './support/checkout-api.harness.js';
import { DRIVERS, ManualClock } from './support/checkout-session-cache.harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ABSENT = '00000000-0000-4000-8000-000000000000';

describe.each(DRIVERS)('checkout-api over HTTP (%s driver)', (driver) => {
  let app: NestExpressApplication;
  let http: () => ReturnType<typeof request>;

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver));
    http = () => request(app.getHttpServer() as App);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('runs the full session lifecycle', async () => {
    const eventId = `lifecycle-${driver}`;
    const created = await http()
      .post('/checkout-sessions')
      .send({ eventId, priceId: 'vip', quantity: 3, price: 49.5, metadata: { buyer: 'b-1' } })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      eventId,
      priceId: 'vip',
      quantity: 3,
      price: 49.5,
      metadata: { buyer: 'b-1' },
      status: 'CREATED',
      createdAt: expect.stringMatching(ISO),
      expiresAt: expect.stringMatching(ISO),
    });
    const { id } = created.body as { id: string };
    const lifetime = Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt);
    expect(lifetime).toBeGreaterThan(24 * 3_600_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000 + 1000);

    await http().get(`/checkout-sessions/${id}`).expect(200, created.body);
    await expectHttpCount(app, { eventId }, { sessions: 1, quantity: 3 });

    const confirming = await http().patch(`/checkout-sessions/${id}`).send({ status: 'CONFIRMING' }).expect(200);
    expect(confirming.body).toEqual({ ...created.body, status: 'CONFIRMING' });
    const doubleClick = await http().patch(`/checkout-sessions/${id}`).send({ status: 'CONFIRMING' }).expect(409);
    expect(doubleClick.body.message).toContain('cannot move from CONFIRMING to CONFIRMING');

    await expectHttpCount(app, { eventId, priceId: 'vip', status: 'CONFIRMING' }, { sessions: 1, quantity: 3 });
    await expectHttpCount(app, { eventId, status: 'CREATED' }, { sessions: 0, quantity: 0 });

    await http().patch(`/checkout-sessions/${id}`).send({ status: 'COMPLETED' }).expect(200);
    await http().patch(`/checkout-sessions/${id}`).send({ status: 'CANCELLED' }).expect(409);

    await http().delete(`/checkout-sessions/${id}`).expect(204);
    await http().get(`/checkout-sessions/${id}`).expect(404);
    await http().delete(`/checkout-sessions/${id}`).expect(204);
    await http().patch(`/checkout-sessions/${id}`).send({ status: 'CANCELLED' }).expect(404);
    await expectHttpCount(app, { eventId }, { sessions: 0, quantity: 0 });
  });

  it('makes a retried POST with the same Idempotency-Key return the first session', async () => {
    const eventId = `idempotent-${driver}`;
    const body = { eventId, priceId: 'p', quantity: 2 };
    const first = await http().post('/checkout-sessions').set('Idempotency-Key', `order-${driver}`).send(body).expect(201);
    const retry = await http().post('/checkout-sessions').set('Idempotency-Key', `order-${driver}`).send(body).expect(201);
    expect(retry.body).toEqual(first.body);
    await http().post('/checkout-sessions').set('Idempotency-Key', `order-${driver}`).send({ ...body, quantity: 3 }).expect(409);
    await http().post('/checkout-sessions').set('Idempotency-Key', '').send(body).expect(400);
    await expectHttpCount(app, { eventId }, { sessions: 1, quantity: 2 });
  });

  it('answers GET /health with 200 while the store answers, naming the driver', async () => {
    const response = await http().get('/health').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { checkoutSessionCache: { status: 'up', driver } } });
  });

  it('answers 404 for an absent id', async () => {
    await http().get(`/checkout-sessions/${ABSENT}`).expect(404);
    await http().patch(`/checkout-sessions/${ABSENT}`).send({ status: 'CANCELLED' }).expect(404);
    await http().delete(`/checkout-sessions/${ABSENT}`).expect(204);
  });

  describe('bad input gets a 4xx that says what is wrong, and stores nothing', () => {
    const eventId = `bad-input-${driver}`;
    const valid = { eventId, priceId: 'p', quantity: 1 };

    afterEach(async () => {
      await expectHttpCount(app, { eventId }, { sessions: 0, quantity: 0 });
    });

    it.each<[string, unknown, string]>([
      ['missing quantity', { eventId, priceId: 'p' }, 'quantity: is required'],
      ['missing eventId', { priceId: 'p', quantity: 1 }, 'eventId: is required'],
      ['quantity 0', { ...valid, quantity: 0 }, 'quantity: must be at least 1'],
      ['quantity 1001', { ...valid, quantity: 1001 }, 'quantity: must be at most 1000'],
      ['fractional quantity', { ...valid, quantity: 2.5 }, 'quantity: must be an integer'],
      ['quantity as a string', { ...valid, quantity: '1' }, 'quantity: must be a number'],
      ['huge quantity', { ...valid, quantity: 1e308 }, 'quantity'],
      ['eventId of 129 characters', { ...valid, eventId: 'x'.repeat(129) }, 'eventId: must be at most 128 characters'],
      ['empty priceId', { ...valid, priceId: '' }, 'priceId: must not be empty'],
      ['priceId as a number', { ...valid, priceId: 7 }, 'priceId: must be a string'],
      ['negative price', { ...valid, price: -0.01 }, 'price: must be ≥ 0'],
      ['price as a string', { ...valid, price: '10' }, 'price: must be a number'],
      ['metadata as an array', { ...valid, metadata: ['a'] }, 'metadata: must be a JSON object'],
      ['metadata over 8 KB', { ...valid, metadata: { note: 'n'.repeat(9000) } }, 'metadata: must be at most 8192 bytes'],
      ['a caller-chosen id', { ...valid, id: ABSENT }, 'unknown field(s): id'],
      ['a caller-chosen status', { ...valid, status: 'COMPLETED' }, 'unknown field(s): status'],
      ['a caller-chosen expiresAt', { ...valid, expiresAt: '2099-01-01T00:00:00Z' }, 'unknown field(s): expiresAt'],
    ])('POST with %s → 400', async (_case, body, message) => {
      const response = await http().post('/checkout-sessions').send(body as object).expect(400);
      expect(JSON.stringify(response.body.message)).toContain(message);
    });

    it('POST with malformed JSON → 400', async () => {
      await http().post('/checkout-sessions').set('content-type', 'application/json').send('{"eventId": ').expect(400);
    });

    it('POST with a body over 64 KB → 413', async () => {
      await http()
        .post('/checkout-sessions')
        .send({ ...valid, metadata: { blob: 'b'.repeat(70 * 1024) } })
        .expect(413);
    });

    it('POST with a non-JSON content type → 400', async () => {
      const response = await http().post('/checkout-sessions').set('content-type', 'text/plain').send('eventId=e').expect(400);
      expect(JSON.stringify(response.body.message)).toContain('must be a JSON object');
    });

    it.each(['not-a-uuid', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(3000), '%00'])('a malformed id %j in the path → 400', async (id) => {
      await http().get(`/checkout-sessions/${id}`).expect(400);
      await http().patch(`/checkout-sessions/${id}`).send({ status: 'CANCELLED' }).expect(400);
      await http().delete(`/checkout-sessions/${id}`).expect(400);
    });

    it.each<[string, unknown, string]>([
      ['an unknown status', { status: 'PAID' }, 'status: must be one of'],
      ['no status', {}, 'status: must be one of'],
      ['an extra field', { status: 'CANCELLED', expiresAt: 0 }, 'unknown field(s): expiresAt'],
    ])('PATCH with %s → 400', async (_case, body, message) => {
      const response = await http().patch(`/checkout-sessions/${ABSENT}`).send(body as object).expect(400);
      expect(JSON.stringify(response.body.message)).toContain(message);
    });

    it.each<[string, Record<string, string | string[]>]>([
      ['no eventId', {}],
      ['two eventIds', { eventId: ['a', 'b'] }],
      ['an unknown status', { eventId, status: 'PAID' }],
      ['an unknown parameter', { eventId, pattern: '.*' }],
    ])('count with %s → 400', async (_case, query) => {
      await http().get('/checkout-sessions/count').query(query).expect(400);
    });
  });
});

describe.each(DRIVERS)('checkout-api expiry with CHECKOUT_SESSION_TTL_HOURS=0.5 and a hand-moved clock (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const clock = new ManualClock();

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver, { CHECKOUT_SESSION_TTL_HOURS: '0.5' }), false, clock);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves a session until expiresAt and answers 404 from then on; counts drop it', async () => {
    const http = () => request(app.getHttpServer() as App);
    const eventId = `expiry-${driver}`;
    const created = await http().post('/checkout-sessions').send({ eventId, priceId: 'p', quantity: 2 }).expect(201);
    const expiresAt = Date.parse(created.body.expiresAt);
    expect(Date.parse(created.body.createdAt)).toBe(clock.now());
    expect(expiresAt).toBe(Math.ceil((clock.now() + 1_800_000) / 1000) * 1000);
    clock.set(expiresAt - 1);
    await http().get(`/checkout-sessions/${created.body.id}`).expect(200);
    await expectHttpCount(app, { eventId }, { sessions: 1, quantity: 2 });
    clock.set(expiresAt);
    await http().get(`/checkout-sessions/${created.body.id}`).expect(404);
    await http().patch(`/checkout-sessions/${created.body.id}`).send({ status: 'CONFIRMING' }).expect(404);
    await expectHttpCount(app, { eventId }, { sessions: 0, quantity: 0 });
  });
});

describe('checkout-api when the store fails (dynamodb driver)', () => {
  it.each<[string, Record<string, string>, RegExp[]]>([
    [
      'the table is missing',
      { DYNAMODB_AUTO_CREATE_TABLE: 'false' },
      // A clear line at start-up, and one per failure.
      [/^ERROR table "e2e-[^"]+" does not exist \(run `npm run table:create`/, /^ERROR getById: table "e2e-[^"]+" or its index does not exist/],
    ],
    [
      'DynamoDB is unreachable',
      { DYNAMODB_AUTO_CREATE_TABLE: 'false', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_MAX_ATTEMPTS: '2', DYNAMODB_REQUEST_TIMEOUT_MS: '200' },
      [],
    ],
  ])('answers 503 with Retry-After when %s, never a false 404 or a 500', async (_case, env, logged) => {
    const logger = new CapturingLogger();
    const app = await createTestApp(appEnv('dynamodb', env), logger);
    try {
      const http = () => request(app.getHttpServer() as App);
      const expect503 = async (response: request.Response) => {
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
      };
      await expect503(await http().get(`/checkout-sessions/${ABSENT}`));
      await expect503(await http().post('/checkout-sessions').send({ eventId: 'e', priceId: 'p', quantity: 1 }));
      await expect503(await http().patch(`/checkout-sessions/${ABSENT}`).send({ status: 'CANCELLED' }));
      await expect503(await http().delete(`/checkout-sessions/${ABSENT}`));
      await expect503(await http().get('/checkout-sessions/count').query({ eventId: 'e' }));
      await expect503(await http().get('/checkout-sessions/held').query({ eventId: 'e', priceId: 'p' }));
      const health = await http().get('/health').expect(503);
      expect(health.body).toMatchObject({ status: 'error', error: { checkoutSessionCache: { status: 'down', driver: 'dynamodb', error: expect.stringMatching(/^CheckoutSession\w+Error$/) } } });
      expect(JSON.stringify(health.body)).not.toContain('127.0.0.1');
      for (const line of logged) expect(logger.lines).toContainEqual(expect.stringMatching(line));
    } finally {
      await app.close();
    }
  });
});

describe('checkout-api start-up', () => {
  it.each([
    ['CHECKOUT_SESSION_CACHE_DRIVER', 'redis'],
    ['CHECKOUT_SESSION_TTL_HOURS', '0'],
    ['CHECKOUT_SESSION_TTL_HOURS', 'soon'],
    ['PORT', 'eighty'],
    ['CHECKOUT_API_STOCK', '{"e1":'],
    ['CHECKOUT_API_STOCK', '[1,2]'],
    ['CHECKOUT_API_STOCK', '{"e1":{"p1":-1}}'],
    ['CHECKOUT_API_STOCK', '{"e1":{"p1":2.5}}'],
    ['CHECKOUT_API_STOCK', '{"e1":5}'],
  ])('stops when %s=%j, naming the variable', async (name, value) => {
    await expect(createTestApp({ [name]: value })).rejects.toThrow(name);
  });

  it('says where CHECKOUT_API_STOCK is wrong', async () => {
    await expect(createTestApp({ CHECKOUT_API_STOCK: '{"e1":{"p1":"ten"}}' })).rejects.toThrow('CHECKOUT_API_STOCK["e1"]["p1"] tickets must be a number');
  });
});

describe.each(DRIVERS)('checkout-api with CHECKOUT_API_STOCK (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer() as App);
  const eventId = `on-sale-${driver}`;

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver, { CHECKOUT_API_STOCK: JSON.stringify({ [eventId]: { ga: 2, vip: 3 } }) }));
  });

  afterAll(async () => {
    await app?.close();
  });

  // The library's conformance kit proves the atomicity under racing creates; this proves what the app adds to it.
  it('answers 409 SOLD_OUT with what is available once the listed tickets are held, and a cancelled hold frees its ticket', async () => {
    const held = await Promise.all([1, 2].map(() => http().post('/checkout-sessions').send({ eventId, priceId: 'ga', quantity: 1 }).expect(201)));
    const refused = await http().post('/checkout-sessions').send({ eventId, priceId: 'ga', quantity: 1 }).expect(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      code: 'SOLD_OUT',
      error: 'Conflict',
      message: `Only 0 ticket(s) available to hold for event ${eventId}, price ga: 1 requested`,
      requested: 1,
      available: 0,
    });
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'ga' }).expect(200, { held: 2, available: 0 });
    await http().patch(`/checkout-sessions/${held[0]!.body.id}`).send({ status: 'CANCELLED' }).expect(200);
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'ga' }).expect(200, { held: 1, available: 1 });
    await http().post('/checkout-sessions').send({ eventId, priceId: 'ga', quantity: 1 }).expect(201);
  });

  it('limits each listed price on its own, and leaves pairs that are not listed unlimited', async () => {
    await http().post('/checkout-sessions').send({ eventId, priceId: 'vip', quantity: 2 }).expect(201);
    const refused = await http().post('/checkout-sessions').send({ eventId, priceId: 'vip', quantity: 2 }).expect(409);
    expect(refused.body).toMatchObject({ code: 'SOLD_OUT', requested: 2, available: 1, message: expect.stringContaining('Only 1 ticket(s) available') });
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'vip' }).expect(200, { held: 2, available: 1 });
    await http().post('/checkout-sessions').send({ eventId, priceId: 'unlisted', quantity: 1000 }).expect(201);
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'unlisted' }).expect(200, { held: 1000 });
  });

  it('replays a keyed create without holding twice', async () => {
    const body = { eventId, priceId: 'keyed', quantity: 2 };
    const first = await http().post('/checkout-sessions').set('Idempotency-Key', `hold-${driver}`).send(body).expect(201);
    const retry = await http().post('/checkout-sessions').set('Idempotency-Key', `hold-${driver}`).send(body).expect(201);
    expect(retry.body.id).toBe(first.body.id);
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'keyed' }).expect(200, { held: 2 });
  });

  it('counts several statuses, repeated or comma-separated', async () => {
    const countEvent = `statuses-${driver}`;
    const a = await http().post('/checkout-sessions').send({ eventId: countEvent, priceId: 'p', quantity: 1 }).expect(201);
    await http().post('/checkout-sessions').send({ eventId: countEvent, priceId: 'p', quantity: 2 }).expect(201);
    await http().patch(`/checkout-sessions/${a.body.id}`).send({ status: 'CANCELLED' }).expect(200);
    await expectHttpCount(app, { eventId: countEvent, status: ['CREATED', 'CONFIRMING'] }, { sessions: 1, quantity: 2 });
    await expectHttpCount(app, { eventId: countEvent, status: 'CREATED,CANCELLED' }, { sessions: 2, quantity: 3 });
    await http().get('/checkout-sessions/count').query({ eventId: countEvent, status: 'CREATED,PAID' }).expect(400);
  });

  it('answers 400 for a held query without priceId', async () => {
    const response = await http().get('/checkout-sessions/held').query({ eventId }).expect(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: ['priceId: is required'] });
  });
});
