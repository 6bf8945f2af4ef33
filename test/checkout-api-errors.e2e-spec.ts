import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { API_ERROR_CODES } from '../apps/checkout-api/src/errors/api-error.interface.js';
import { ADMIN_AUTHORIZATION, ADMIN_TOKEN, appEnv, createTestApp, releaseBoundMs } from './support/checkout-api.harness.js';
import { DRIVERS, ManualClock } from './support/checkout-session-cache.harness.js';

const ABSENT = '00000000-0000-4000-8000-000000000000';

/** Every error body has these fields and no other than the documented optional ones. */
const SHAPE = ['statusCode', 'code', 'error', 'message'];
const OPTIONAL = ['issues', 'requested', 'available', 'currentStatus', 'requestedStatus'];

function expectErrorBody(response: request.Response, statusCode: number, code: string): void {
  expect(response.status).toBe(statusCode);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).filter((key) => SHAPE.includes(key)).sort()).toEqual([...SHAPE].sort());
  expect(Object.keys(body).filter((key) => !SHAPE.includes(key) && !OPTIONAL.includes(key))).toEqual([]);
  expect(body).toMatchObject({ statusCode, code, error: expect.any(String), message: expect.any(String) });
  expect(API_ERROR_CODES).toContain(code);
}

describe.each(DRIVERS)('checkout-api error bodies (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer() as App);
  const eventId = `errors-${driver}`;
  // Moved by the HOLD_EXPIRED test only: every other session lives its 10-minute hold and 24 h TTL meanwhile.
  const clock = new ManualClock();

  beforeAll(async () => {
    app = await createTestApp(appEnv(driver, { CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN }), false, clock);
    await http().put(`/events/${eventId}/prices/ga/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total: 1 }).expect(200);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('VALIDATION_FAILED for a bad body, with a string message and the issues as a list', async () => {
    const response = await http().post('/checkout-sessions').send({ eventId, priceId: 'p' });
    expectErrorBody(response, 400, 'VALIDATION_FAILED');
    expect(response.body.issues).toEqual(['quantity: is required']);
    expect(response.body.message).toBe('Invalid request: quantity: is required');
  });

  it.each<[string, () => request.Test]>([
    ['malformed JSON', () => http().post('/checkout-sessions').set('content-type', 'application/json').send('{"eventId": ')],
    ['a PATCH body the pipe refuses', () => http().patch(`/checkout-sessions/${ABSENT}`).send({ status: 'PAID' })],
    ['a malformed id', () => http().get('/checkout-sessions/not-a-uuid')],
    ['a bad count query', () => http().get('/checkout-sessions/count')],
    ['a bad stock', () => http().put(`/events/${eventId}/prices/ga/stock`).set('Authorization', ADMIN_AUTHORIZATION).send({ total: -1 })],
    ['a return of more than is sold', () => http().post(`/events/${eventId}/prices/ga/returns`).set('Authorization', ADMIN_AUTHORIZATION).send({ quantity: 1 })],
  ])('VALIDATION_FAILED for %s, in the same shape', async (_case, send) => {
    const response = await send();
    expectErrorBody(response, 400, 'VALIDATION_FAILED');
    expect(response.body.issues).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('VALIDATION_FAILED naming the Idempotency-Key header, whose limit is 128 characters', async () => {
    const body = { eventId, priceId: 'p', quantity: 1 };
    const tooLong = await http().post('/checkout-sessions').set('Idempotency-Key', 'k'.repeat(129)).send(body);
    expectErrorBody(tooLong, 400, 'VALIDATION_FAILED');
    expect(tooLong.body.issues).toEqual(['Idempotency-Key header: must be at most 128 characters']);
    const empty = await http().post('/checkout-sessions').set('Idempotency-Key', '').send(body);
    expect(empty.body.issues).toEqual(['Idempotency-Key header: must not be empty']);
    await http().post('/checkout-sessions').set('Idempotency-Key', 'k'.repeat(128)).send(body).expect(201);
  });

  it('PAYLOAD_TOO_LARGE over 64 KB', async () => {
    const response = await http().post('/checkout-sessions').send({ eventId, priceId: 'p', quantity: 1, metadata: { blob: 'b'.repeat(70 * 1024) } });
    expectErrorBody(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['an unsupported charset', { 'content-type': 'application/json; charset=latin9' }],
    ['an unsupported content encoding', { 'content-type': 'application/json', 'content-encoding': 'compress' }],
  ])('UNSUPPORTED_MEDIA_TYPE for %s', async (_case, headers) => {
    const response = await http().post('/checkout-sessions').set(headers).send(JSON.stringify({ eventId, priceId: 'p', quantity: 1 }));
    expectErrorBody(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('NOT_FOUND for an absent session and for an unknown route', async () => {
    expectErrorBody(await http().get(`/checkout-sessions/${ABSENT}`), 404, 'NOT_FOUND');
    expectErrorBody(await http().patch(`/checkout-sessions/${ABSENT}`).send({ status: 'CANCELLED' }), 404, 'NOT_FOUND');
    expectErrorBody(await http().get('/no-such-route'), 404, 'NOT_FOUND');
  });

  it('SOLD_OUT with what is available', async () => {
    await http().post('/checkout-sessions').send({ eventId, priceId: 'ga', quantity: 1 }).expect(201);
    const response = await http().post('/checkout-sessions').send({ eventId, priceId: 'ga', quantity: 1 });
    expectErrorBody(response, 409, 'SOLD_OUT');
    expect(response.body).toMatchObject({ requested: 1, available: 0 });
  });

  it('TRANSITION_NOT_ALLOWED with both statuses', async () => {
    const { body } = await http().post('/checkout-sessions').send({ eventId, priceId: 'p', quantity: 1 }).expect(201);
    await http().patch(`/checkout-sessions/${body.id}`).send({ status: 'CANCELLED' }).expect(200);
    const response = await http().patch(`/checkout-sessions/${body.id}`).send({ status: 'CONFIRMING' });
    expectErrorBody(response, 409, 'TRANSITION_NOT_ALLOWED');
    expect(response.body).toMatchObject({ currentStatus: 'CANCELLED', requestedStatus: 'CONFIRMING' });
  });

  it('HOLD_EXPIRED with both statuses, once the hold has lapsed', async () => {
    const { body } = await http().post('/checkout-sessions').send({ eventId, priceId: 'lapse', quantity: 1 }).expect(201);
    clock.set(Date.parse(body.holdExpiresAt) + releaseBoundMs(600_000));
    const response = await http().patch(`/checkout-sessions/${body.id}`).send({ status: 'CONFIRMING' });
    expectErrorBody(response, 409, 'HOLD_EXPIRED');
    expect(response.body).toMatchObject({ currentStatus: 'EXPIRED', requestedStatus: 'CONFIRMING' });
  });

  it('UNAUTHORIZED with WWW-Authenticate: Bearer for an admin route without the admin token', async () => {
    const missing = await http().put(`/events/${eventId}/prices/ga/stock`).send({ total: 1 });
    expectErrorBody(missing, 401, 'UNAUTHORIZED');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    const wrong = await http().post(`/events/${eventId}/prices/ga/returns`).set('Authorization', 'Bearer wrong').send({ quantity: 1 });
    expectErrorBody(wrong, 401, 'UNAUTHORIZED');
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
  });

  it('IDEMPOTENCY_KEY_REUSED for a key used with another body; a replay says so in Idempotent-Replayed', async () => {
    const body = { eventId, priceId: 'p', quantity: 2 };
    const first = await http().post('/checkout-sessions').set('Idempotency-Key', `errors-${driver}`).send(body).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await http().post('/checkout-sessions').set('Idempotency-Key', `errors-${driver}`).send(body).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    const reused = await http().post('/checkout-sessions').set('Idempotency-Key', `errors-${driver}`).send({ ...body, quantity: 3 });
    expectErrorBody(reused, 409, 'IDEMPOTENCY_KEY_REUSED');
    const plain = await http().post('/checkout-sessions').send(body).expect(201);
    expect(plain.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('checkout-api error bodies without CHECKOUT_API_ADMIN_TOKEN', () => {
  it('FORBIDDEN for the admin routes, whatever the Authorization header', async () => {
    const app = await createTestApp(appEnv('memory'));
    try {
      const http = () => request(app.getHttpServer() as App);
      expectErrorBody(await http().put('/events/e/prices/p/stock').send({ total: 1 }), 403, 'FORBIDDEN');
      expectErrorBody(await http().post('/events/e/prices/p/returns').set('Authorization', ADMIN_AUTHORIZATION).send({ quantity: 1 }), 403, 'FORBIDDEN');
    } finally {
      await app.close();
    }
  });
});

describe('checkout-api error bodies when the store fails', () => {
  it('STORE_UNAVAILABLE with Retry-After; /health keeps terminus report', async () => {
    const app = await createTestApp(
      appEnv('dynamodb', { DYNAMODB_AUTO_CREATE_TABLE: 'false', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_MAX_ATTEMPTS: '1', DYNAMODB_REQUEST_TIMEOUT_MS: '200' }),
    );
    try {
      const http = () => request(app.getHttpServer() as App);
      const response = await http().get(`/checkout-sessions/${ABSENT}`);
      expectErrorBody(response, 503, 'STORE_UNAVAILABLE');
      expect(response.headers['retry-after']).toBe('1');
      const health = await http().get('/health').expect(503);
      expect(health.body).toMatchObject({ status: 'error', error: { checkoutSessionCache: { status: 'down' } } });
    } finally {
      await app.close();
    }
  });
});
