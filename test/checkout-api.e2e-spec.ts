import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { eventually } from './support/bounded-wait.js';
import {
  ADMIN_AUTHORIZATION,
  ADMIN_TOKEN,
  appEnv,
  CapturingLogger,
  createTestApp,
  expectHttpCount,
  releaseBoundMs,
} from './support/checkout-api.harness.js';
import { DRIVERS, ManualClock } from './support/checkout-session-cache.harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** `ms` rounded up to the whole second, as the library rounds `expiresAt` and `holdExpiresAt`. */
const ceilToSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;
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
      holdExpiresAt: expect.stringMatching(ISO),
    });
    const { id } = created.body as { id: string };
    const lifetime = Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt);
    expect(lifetime).toBeGreaterThan(24 * 3_600_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000 + 1000);
    // The default hold: 10 minutes from creation, whatever the record's 24 h.
    expect(Date.parse(created.body.holdExpiresAt)).toBe(ceilToSecond(Date.parse(created.body.createdAt) + 600_000));

    await http().get(`/checkout-sessions/${id}`).expect(200, created.body);
    await expectHttpCount(app, { eventId }, { sessions: 1, quantity: 3 });

    const confirmedFrom = Date.now();
    const confirming = await http().patch(`/checkout-sessions/${id}`).send({ status: 'CONFIRMING' }).expect(200);
    const confirmedBy = Date.now();
    expect(confirming.body).toEqual({ ...created.body, status: 'CONFIRMING', holdExpiresAt: expect.stringMatching(ISO) });
    // Paying extends the hold once, to 15 minutes from the move.
    expect(Date.parse(confirming.body.holdExpiresAt)).toBeGreaterThanOrEqual(ceilToSecond(confirmedFrom + 900_000));
    expect(Date.parse(confirming.body.holdExpiresAt)).toBeLessThanOrEqual(ceilToSecond(confirmedBy + 900_000));
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

  it('answers 403 FORBIDDEN on the admin routes while CHECKOUT_API_ADMIN_TOKEN is unset, and changes nothing; buyers are served', async () => {
    const price = `/events/no-admin-${driver}/prices/p`;
    for (const send of [
      () => http().put(`${price}/stock`).send({ total: 5 }),
      () => http().put(`${price}/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total: 5 }),
      () => http().post(`${price}/returns`).set('Authorization', ADMIN_AUTHORIZATION).send({ quantity: 1 }),
    ]) {
      const response = await send().expect(403);
      expect(response.body).toEqual({ statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: expect.stringContaining('set CHECKOUT_API_ADMIN_TOKEN') });
      expect(response.headers['www-authenticate']).toBeUndefined();
    }
    await http().get(`${price}/availability`).expect(200, { stock: null, held: 0, sold: 0, available: null });
    await http().post('/checkout-sessions').send({ eventId: `no-admin-${driver}`, priceId: 'p', quantity: 1 }).expect(201);
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
      ['status EXPIRED', { status: 'EXPIRED' }, 'status: cannot be EXPIRED'],
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
    // Its 10-minute hold lapsed long ago: it reads EXPIRED until the record's TTL.
    expect((await http().get(`/checkout-sessions/${created.body.id}`).expect(200)).body.status).toBe('EXPIRED');
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
    const app = await createTestApp(appEnv('dynamodb', { ...env, CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN }), logger);
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
      await expect503(await http().get('/events/e/prices/p/availability'));
      await expect503(await http().put('/events/e/prices/p/stock').set('Authorization', ADMIN_AUTHORIZATION).send({ total: 5 }));
      await expect503(await http().post('/events/e/prices/p/returns').set('Authorization', ADMIN_AUTHORIZATION).send({ quantity: 1 }));
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
    ['CHECKOUT_SESSION_HOLD_SECONDS', '0'],
    ['CHECKOUT_SESSION_HOLD_SECONDS', '90000'],
    ['PORT', 'eighty'],
    ['CHECKOUT_API_ADMIN_TOKEN', 'two words'],
    ['CHECKOUT_API_ADMIN_TOKEN', 'line\nbreak'],
    ['CHECKOUT_API_ADMIN_TOKEN', '"quoted"'],
  ])('stops when %s=%j, naming the variable', async (name, value) => {
    await expect(createTestApp({ [name]: value })).rejects.toThrow(name);
  });

  it('never echoes a refused admin token', async () => {
    const error = await createTestApp({ CHECKOUT_API_ADMIN_TOKEN: 'secret value' }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('CHECKOUT_API_ADMIN_TOKEN must be a bearer token');
    expect((error as Error).message).not.toContain('secret');
  });
});

type Availability = { stock: number | null; held: number; sold: number; available: number | null };

describe.each(DRIVERS)('checkout-api with the stock the library keeps (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer() as App);
  const eventId = `on-sale-${driver}`;
  const price = (priceId: string) => `/events/${eventId}/prices/${priceId}`;
  const setStock = (priceId: string, total: unknown) => http().put(`${price(priceId)}/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total });
  const returnTickets = (priceId: string, quantity: unknown) => http().post(`${price(priceId)}/returns`).set('Authorization', ADMIN_AUTHORIZATION).send({ quantity });
  const hold = (priceId: string, quantity: number) => http().post('/checkout-sessions').send({ eventId, priceId, quantity });
  const status = (id: string, to: string) => http().patch(`/checkout-sessions/${id}`).send({ status: to });
  const expectAvailability = async (priceId: string, expected: Availability) => {
    await http().get(`${price(priceId)}/availability`).expect(200, expected);
  };

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver, { CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('walks a buyer who pays: stock, hold, confirm, complete; the library moves the tickets from held to sold', async () => {
    await setStock('paid', 5).expect(200, { stock: 5, held: 0, sold: 0, available: 5 });
    await expectAvailability('paid', { stock: 5, held: 0, sold: 0, available: 5 });
    const created = await hold('paid', 2).expect(201);
    await expectAvailability('paid', { stock: 5, held: 2, sold: 0, available: 3 });
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'paid' }).expect(200, { held: 2 });
    const confirmedFrom = Date.now();
    const confirming = await status(created.body.id, 'CONFIRMING').expect(200);
    expect(confirming.body.status).toBe('CONFIRMING');
    expect(Date.parse(confirming.body.holdExpiresAt)).toBeGreaterThan(Date.parse(created.body.holdExpiresAt));
    expect(Date.parse(confirming.body.holdExpiresAt)).toBeGreaterThanOrEqual(ceilToSecond(confirmedFrom + 900_000));
    await expectAvailability('paid', { stock: 5, held: 2, sold: 0, available: 3 });
    const completed = await status(created.body.id, 'COMPLETED').expect(200);
    expect(completed.body).toMatchObject({ status: 'COMPLETED', holdExpiresAt: confirming.body.holdExpiresAt });
    await expectAvailability('paid', { stock: 5, held: 0, sold: 2, available: 3 });
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'paid' }).expect(200, { held: 0 });
    // Deleting a completed session does not unsell it.
    await http().delete(`/checkout-sessions/${created.body.id}`).expect(204);
    await expectAvailability('paid', { stock: 5, held: 0, sold: 2, available: 3 });
  });

  it('walks a buyer who gives up: a cancelled or deleted hold frees its tickets at once', async () => {
    await setStock('abandoned', 4).expect(200);
    const cancelled = await hold('abandoned', 3).expect(201);
    const deleted = await hold('abandoned', 1).expect(201);
    await expectAvailability('abandoned', { stock: 4, held: 4, sold: 0, available: 0 });
    await status(cancelled.body.id, 'CONFIRMING').expect(200);
    await status(cancelled.body.id, 'CANCELLED').expect(200);
    await expectAvailability('abandoned', { stock: 4, held: 1, sold: 0, available: 3 });
    await http().delete(`/checkout-sessions/${deleted.body.id}`).expect(204);
    await expectAvailability('abandoned', { stock: 4, held: 0, sold: 0, available: 4 });
  });

  it('answers 409 SOLD_OUT with what is available once the stock is held or sold, and holds again when stock is added', async () => {
    await setStock('ga', 3).expect(200);
    const first = await hold('ga', 2).expect(201);
    const refused = await hold('ga', 2).expect(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      code: 'SOLD_OUT',
      error: 'Conflict',
      message: `Only 1 ticket(s) available to hold for event ${eventId}, price ga: 2 requested`,
      requested: 2,
      available: 1,
    });
    await status(first.body.id, 'COMPLETED').expect(409); // CREATED cannot complete: pay first
    await status(first.body.id, 'CONFIRMING').expect(200);
    await status(first.body.id, 'COMPLETED').expect(200);
    await hold('ga', 1).expect(201);
    await expectAvailability('ga', { stock: 3, held: 1, sold: 2, available: 0 });
    expect((await hold('ga', 1).expect(409)).body).toMatchObject({ code: 'SOLD_OUT', requested: 1, available: 0 });
    await setStock('ga', 4).expect(200, { stock: 4, held: 1, sold: 2, available: 1 });
    await hold('ga', 1).expect(201);
  });

  it('lowers the stock below held + sold without taking anything back; nothing fits until holds free up', async () => {
    await setStock('lowered', 5).expect(200);
    const held = await hold('lowered', 3).expect(201);
    await setStock('lowered', 1).expect(200, { stock: 1, held: 3, sold: 0, available: 0 });
    await hold('lowered', 1).expect(409);
    await status(held.body.id, 'CANCELLED').expect(200);
    await expectAvailability('lowered', { stock: 1, held: 0, sold: 0, available: 1 });
    await hold('lowered', 1).expect(201);
  });

  it('takes returns back into stock, and refuses a return of more than is sold with 400, changing nothing', async () => {
    await setStock('returned', 3).expect(200);
    const sold = await hold('returned', 2).expect(201);
    await status(sold.body.id, 'CONFIRMING').expect(200);
    await status(sold.body.id, 'COMPLETED').expect(200);
    await expectAvailability('returned', { stock: 3, held: 0, sold: 2, available: 1 });
    await returnTickets('returned', 1).expect(200, { stock: 3, held: 0, sold: 1, available: 2 });
    const tooMany = await returnTickets('returned', 2).expect(400);
    expect(tooMany.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.stringMatching(/^quantity: .*1 ticket\(s\) sold/)] });
    await expectAvailability('returned', { stock: 3, held: 0, sold: 1, available: 2 });
    await returnTickets('returned', 1).expect(200, { stock: 3, held: 0, sold: 0, available: 3 });
    await returnTickets('returned', 1).expect(400);
    await expectAvailability('returned', { stock: 3, held: 0, sold: 0, available: 3 });
  });

  it('reads a price that never got stock as null stock, and leaves its creates unlimited', async () => {
    await expectAvailability('unlisted', { stock: null, held: 0, sold: 0, available: null });
    await hold('unlisted', 1000).expect(201);
    await expectAvailability('unlisted', { stock: null, held: 1000, sold: 0, available: null });
  });

  describe('admin token', () => {
    const expectUnauthorized = (response: request.Response, challenge: string) => {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: expect.any(String) });
      expect(response.headers['www-authenticate']).toBe(challenge);
    };
    const NO_CREDENTIALS = 'Bearer realm="checkout-api admin"';
    const WRONG_TOKEN = 'Bearer realm="checkout-api admin", error="invalid_token"';

    it.each<[string, string | undefined, string]>([
      ['no Authorization header', undefined, NO_CREDENTIALS],
      ['another scheme', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`, NO_CREDENTIALS],
      ['the bare token', ADMIN_TOKEN, NO_CREDENTIALS],
      ['a wrong token', 'Bearer not-the-admin-token', WRONG_TOKEN],
      ['the token less its last character', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, WRONG_TOKEN],
      ['the token and more', `Bearer ${ADMIN_TOKEN}x`, WRONG_TOKEN],
      ['a token no client could mean', 'Bearer "e2e"', WRONG_TOKEN],
    ])('answers 401 with WWW-Authenticate for %s, and changes nothing', async (_case, authorization, challenge) => {
      await setStock('guarded', 2).expect(200);
      const withHeader = (test: request.Test) => (authorization === undefined ? test : test.set('Authorization', authorization));
      expectUnauthorized(await withHeader(http().put(`${price('guarded')}/stock`)).send({ total: 100 }), challenge);
      expectUnauthorized(await withHeader(http().post(`${price('guarded')}/returns`)).send({ quantity: 1 }), challenge);
      // Before the body is read: a bad body without the token is 401 too.
      expectUnauthorized(await withHeader(http().put(`${price('guarded')}/stock`)).send({ total: -1 }), challenge);
      await expectAvailability('guarded', { stock: 2, held: 0, sold: 0, available: 2 });
    });

    it('takes the scheme in any case', async () => {
      await http().put(`${price('any-case')}/stock`).set('Authorization', `bearer ${ADMIN_TOKEN}`).send({ total: 1 }).expect(200);
      await http().put(`${price('any-case')}/stock`).set('Authorization', `BEARER ${ADMIN_TOKEN}`).send({ total: 2 }).expect(200);
      await expectAvailability('any-case', { stock: 2, held: 0, sold: 0, available: 2 });
    });

    it("leaves the buyers' routes open", async () => {
      await http().get(`${price('open')}/availability`).expect(200);
      await hold('open', 1).expect(201);
    });
  });

  describe('bad input gets 400 VALIDATION_FAILED naming the field, and stores nothing', () => {
    beforeAll(async () => {
      await setStock('bad', 7).expect(200);
    });

    afterEach(async () => {
      await expectAvailability('bad', { stock: 7, held: 0, sold: 0, available: 7 });
    });

    it.each<[string, unknown, string]>([
      ['a negative total', { total: -1 }, 'total: must be at least 0'],
      ['a fractional total', { total: 2.5 }, 'total: must be an integer'],
      ['a huge total', { total: 1e12 }, 'total: must be at most 1000000000'],
      ['a total as a string', { total: '5' }, 'total: must be a number'],
      ['no total', {}, 'total: is required'],
      ['an extra field', { total: 5, sold: 0 }, 'unknown field(s): sold'],
      ['an array', [5], 'must be a JSON object'],
    ])('PUT stock with %s', async (_case, body, issue) => {
      const response = await http().put(`${price('bad')}/stock`).set('Authorization', ADMIN_AUTHORIZATION).send(body as object).expect(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: expect.arrayContaining([expect.stringContaining(issue)]) });
    });

    it.each<[string, unknown, string]>([
      ['quantity 0', { quantity: 0 }, 'quantity: must be at least 1'],
      ['a negative quantity', { quantity: -1 }, 'quantity: must be at least 1'],
      ['a fractional quantity', { quantity: 1.5 }, 'quantity: must be an integer'],
      ['a huge quantity', { quantity: 1e12 }, 'quantity: must be at most 1000000000'],
      ['no quantity', {}, 'quantity: is required'],
      ['more than is sold', { quantity: 1 }, 'quantity:'],
    ])('POST returns with %s', async (_case, body, issue) => {
      const response = await http().post(`${price('bad')}/returns`).set('Authorization', ADMIN_AUTHORIZATION).send(body as object).expect(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: expect.arrayContaining([expect.stringContaining(issue)]) });
    });

    it.each([
      ['an eventId of 129 characters', `/events/${'x'.repeat(129)}/prices/bad`, 'eventId: must be at most 128 characters'],
      ['a control character in the priceId', `/events/${eventId}/prices/bad%00`, 'priceId: must be well-formed text'],
    ])('a path with %s', async (_case, path, issue) => {
      const availability = await http().get(`${path}/availability`).expect(400);
      expect(availability.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.stringContaining(issue)] });
      await http().put(`${path}/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total: 1 }).expect(400);
      await http().post(`${path}/returns`).set('Authorization', ADMIN_AUTHORIZATION).send({ quantity: 1 }).expect(400);
    });
  });

  it('replays a keyed create without holding twice', async () => {
    await setStock('keyed', 3).expect(200);
    const body = { eventId, priceId: 'keyed', quantity: 2 };
    const first = await http().post('/checkout-sessions').set('Idempotency-Key', `hold-${driver}`).send(body).expect(201);
    const retry = await http().post('/checkout-sessions').set('Idempotency-Key', `hold-${driver}`).send(body).expect(201);
    expect(retry.body.id).toBe(first.body.id);
    await expectAvailability('keyed', { stock: 3, held: 2, sold: 0, available: 1 });
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

describe.each(DRIVERS)('checkout-api holds with CHECKOUT_SESSION_HOLD_SECONDS=60, CONFIRMING_HOLD_SECONDS=120 and a hand-moved clock (%s driver)', (driver) => {
  const HOLD_MS = 60_000;
  const CONFIRMING_HOLD_MS = 120_000;
  let app: NestExpressApplication;
  const clock = new ManualClock();
  const http = () => request(app.getHttpServer() as App);
  const eventId = `lapse-${driver}`;
  const price = (priceId: string) => `/events/${eventId}/prices/${priceId}`;
  const setStock = (priceId: string, total: number) => http().put(`${price(priceId)}/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total }).expect(200);
  const hold = (priceId: string, quantity: number) => http().post('/checkout-sessions').send({ eventId, priceId, quantity }).expect(201);
  const status = (id: string, to: string) => http().patch(`/checkout-sessions/${id}`).send({ status: to });
  const availability = async (priceId: string): Promise<Availability> => (await http().get(`${price(priceId)}/availability`).expect(200)).body;

  beforeAll(async () => {
    app = await createTestApp(
      appEnv(driver, { CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN, CHECKOUT_SESSION_HOLD_SECONDS: '60', CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '120' }),
      false,
      clock,
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  it('holds until holdExpiresAt, then reads EXPIRED and frees the tickets within the release bound, never before', async () => {
    await setStock('lapsed', 4);
    const created = await hold('lapsed', 3);
    const holdExpiresAt = Date.parse(created.body.holdExpiresAt);
    expect(holdExpiresAt).toBe(ceilToSecond(clock.now() + HOLD_MS));
    clock.set(holdExpiresAt - 1);
    expect((await http().get(`/checkout-sessions/${created.body.id}`).expect(200)).body.status).toBe('CREATED');
    await expect(availability('lapsed')).resolves.toEqual({ stock: 4, held: 3, sold: 0, available: 1 });
    clock.set(holdExpiresAt);
    const lapsed = await http().get(`/checkout-sessions/${created.body.id}`).expect(200);
    expect(lapsed.body).toEqual({ ...created.body, status: 'EXPIRED' });
    await expectHttpCount(app, { eventId, priceId: 'lapsed', status: 'EXPIRED' }, { sessions: 1, quantity: 3 });
    await expectHttpCount(app, { eventId, priceId: 'lapsed', status: ['CREATED', 'CONFIRMING'] }, { sessions: 0, quantity: 0 });
    clock.set(holdExpiresAt + releaseBoundMs(HOLD_MS));
    await expect(availability('lapsed')).resolves.toEqual({ stock: 4, held: 0, sold: 0, available: 4 });
    await http().get('/checkout-sessions/held').query({ eventId, priceId: 'lapsed' }).expect(200, { held: 0 });
    // Too late to pay; it may still be cancelled, which frees nothing twice.
    const refused = await status(created.body.id, 'CONFIRMING').expect(409);
    expect(refused.body).toEqual({
      statusCode: 409,
      code: 'HOLD_EXPIRED',
      error: 'Conflict',
      message: expect.stringContaining('its hold has expired'),
      currentStatus: 'EXPIRED',
      requestedStatus: 'CONFIRMING',
    });
    await status(created.body.id, 'CANCELLED').expect(200);
    await expect(availability('lapsed')).resolves.toEqual({ stock: 4, held: 0, sold: 0, available: 4 });
  });

  it('extends the hold once on CONFIRMING, so that a payment in flight keeps its tickets past the first hold', async () => {
    await setStock('paying', 2);
    const created = await hold('paying', 2);
    clock.advance(30_000);
    const confirming = await status(created.body.id, 'CONFIRMING').expect(200);
    const extended = Date.parse(confirming.body.holdExpiresAt);
    expect(extended).toBe(ceilToSecond(clock.now() + CONFIRMING_HOLD_MS));
    clock.set(Date.parse(created.body.holdExpiresAt) + releaseBoundMs(HOLD_MS));
    expect((await http().get(`/checkout-sessions/${created.body.id}`).expect(200)).body.status).toBe('CONFIRMING');
    await expect(availability('paying')).resolves.toEqual({ stock: 2, held: 2, sold: 0, available: 0 });
    // A second CONFIRMING (after CREATED) does not extend it again.
    await status(created.body.id, 'CREATED').expect(200);
    expect((await status(created.body.id, 'CONFIRMING').expect(200)).body.holdExpiresAt).toBe(confirming.body.holdExpiresAt);
    clock.set(extended - 1);
    await status(created.body.id, 'COMPLETED').expect(200);
    await expect(availability('paying')).resolves.toEqual({ stock: 2, held: 0, sold: 2, available: 0 });
  });

  it('completes a lapsed CONFIRMING session when its tickets are still free: a payment that came back late', async () => {
    await setStock('late', 3);
    const created = await hold('late', 2);
    const confirming = await status(created.body.id, 'CONFIRMING').expect(200);
    clock.set(Date.parse(confirming.body.holdExpiresAt) + releaseBoundMs(CONFIRMING_HOLD_MS));
    expect((await http().get(`/checkout-sessions/${created.body.id}`).expect(200)).body.status).toBe('EXPIRED');
    await expect(availability('late')).resolves.toEqual({ stock: 3, held: 0, sold: 0, available: 3 });
    await status(created.body.id, 'COMPLETED').expect(200);
    await expect(availability('late')).resolves.toEqual({ stock: 3, held: 0, sold: 2, available: 1 });
  });

  it('answers 409 HOLD_EXPIRED to a late payment whose tickets another buyer holds now', async () => {
    await setStock('taken', 2);
    const late = await hold('taken', 2);
    const confirming = await status(late.body.id, 'CONFIRMING').expect(200);
    clock.set(Date.parse(confirming.body.holdExpiresAt) + releaseBoundMs(CONFIRMING_HOLD_MS));
    await hold('taken', 2);
    const refused = await status(late.body.id, 'COMPLETED').expect(409);
    expect(refused.body).toMatchObject({ code: 'HOLD_EXPIRED', currentStatus: 'EXPIRED', requestedStatus: 'COMPLETED' });
    await expect(availability('taken')).resolves.toEqual({ stock: 2, held: 2, sold: 0, available: 0 });
    expect((await http().get(`/checkout-sessions/${late.body.id}`).expect(200)).body.status).toBe('EXPIRED');
  });
});

describe.each(DRIVERS)('checkout-api holds with CHECKOUT_SESSION_HOLD_SECONDS=2 on the real clock (%s driver)', (driver) => {
  const HOLD_MS = 2000;
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer() as App);

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver, { CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN, CHECKOUT_SESSION_HOLD_SECONDS: '2' }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lets an abandoned hold lapse: the session reads EXPIRED and its tickets are free again, with nothing but time', async () => {
    const eventId = `real-lapse-${driver}`;
    const availabilityPath = `/events/${eventId}/prices/p/availability`;
    await http().put(`/events/${eventId}/prices/p/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total: 2 }).expect(200);
    const created = await http().post('/checkout-sessions').send({ eventId, priceId: 'p', quantity: 2 }).expect(201);
    const holdExpiresAt = Date.parse(created.body.holdExpiresAt);
    expect(holdExpiresAt).toBe(ceilToSecond(Date.parse(created.body.createdAt) + HOLD_MS));
    /** Reads the availability, with the time its answer came back by: the server read it no later. */
    const read = async () => {
      const response = await http().get(availabilityPath).expect(200);
      return { availability: response.body as Availability, answeredBy: Date.now() };
    };
    const early = await read();
    // Never before holdExpiresAt: an answer back before it was read before it.
    if (early.answeredBy < holdExpiresAt) expect(early.availability).toEqual({ stock: 2, held: 2, sold: 0, available: 0 });
    const freed = await eventually(
      'the lapsed hold is released',
      async () => {
        const answer = await read();
        if (answer.availability.held !== 0) throw new Error(`still held: ${JSON.stringify(answer.availability)}`);
        return answer;
      },
      // The release bound, and room for a loaded machine's slow answers.
      holdExpiresAt + releaseBoundMs(HOLD_MS) - Date.now() + 10_000,
      50,
    );
    expect(freed.availability).toEqual({ stock: 2, held: 0, sold: 0, available: 2 });
    expect(freed.answeredBy).toBeGreaterThanOrEqual(holdExpiresAt);
    const session = await http().get(`/checkout-sessions/${created.body.id}`).expect(200);
    expect(session.body.status).toBe('EXPIRED');
    await http().post('/checkout-sessions').send({ eventId, priceId: 'p', quantity: 2 }).expect(201);
  });
});
