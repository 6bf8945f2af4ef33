import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DRIVERS, settled } from './support/checkout-session-cache.harness.js';
import type { FaultProxy } from './support/fault-proxy.js';
import { buildIsolatedBundle, LambdaEnvironment } from './support/lambda-environment.js';
import { httpEvent, readAnswer, type HttpEventRequest, type HttpEventSource } from './support/lambda-events.js';
import { faultedTable } from './support/reliability.harness.js';

// Builds the bundle (npm run build:lambda), copies it out of the repository and runs it in its own process as one
// Lambda execution environment per driver, driven with API Gateway HTTP API and Function URL events.
jest.setTimeout(120_000);

const SOURCES: HttpEventSource[] = ['http-api', 'function-url'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The admin token of the environments (`CHECKOUT_API_ADMIN_TOKEN`), which the test sets each price's stock with. */
const ADMIN_TOKEN = 'lambda-admin-token-0123456789';

let bundle: ReturnType<typeof buildIsolatedBundle>;

beforeAll(() => {
  bundle = buildIsolatedBundle();
});

afterAll(() => {
  bundle?.remove();
});

describe.each(DRIVERS)('the Lambda bundle on the %s driver', (driver) => {
  let environment: LambdaEnvironment;
  let proxy: FaultProxy | undefined;

  beforeAll(async () => {
    let extra: Record<string, string> = {};
    if (driver === 'dynamodb') {
      // The table is provisioned beforehand, as the CDK stack does; the store is reached through a fault proxy.
      const table = await faultedTable();
      proxy = table.proxy;
      extra = {
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: table.tableName,
        DYNAMODB_MAX_ATTEMPTS: '2',
        DYNAMODB_REQUEST_TIMEOUT_MS: '2000',
      };
    }
    environment = await LambdaEnvironment.start(bundle.entry, { CHECKOUT_SESSION_CACHE_DRIVER: driver, CHECKOUT_API_ADMIN_TOKEN: ADMIN_TOKEN, ...extra });
  });

  afterAll(async () => {
    await environment?.stop();
    await proxy?.stop();
  });

  /** Sends one request through `source` and reads the answer. */
  async function send(source: HttpEventSource, request: HttpEventRequest) {
    return readAnswer((await environment.invoke(httpEvent(source, request))).result);
  }

  it('makes no network call during init', () => {
    expect(environment.init.initConnections).toBe(0);
  });

  it.each(SOURCES)('runs the session lifecycle with stock through %s events, on the one app of the environment', async (source) => {
    const eventId = `lambda-${driver}-${source}`;
    const path = '/checkout-sessions';
    const availability = () => send(source, { method: 'GET', path: `/events/${eventId}/prices/vip/availability` });
    const stock = { method: 'PUT', path: `/events/${eventId}/prices/vip/stock`, body: JSON.stringify({ total: 5 }) };
    await expect(send(source, stock)).resolves.toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringMatching(/^Bearer /) } });
    await expect(send(source, { ...stock, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).resolves.toMatchObject({
      status: 200,
      body: { stock: 5, held: 0, sold: 0, available: 5 },
    });
    // The count index may lag a write on DynamoDB: read it until it settles.
    const count = (expected: unknown) => settled(async () => (await send(source, { method: 'GET', path: `${path}/count`, query: { eventId } })).body, expected);
    const created = await send(source, { method: 'POST', path, body: JSON.stringify({ eventId, priceId: 'vip', quantity: 3 }) });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(UUID), eventId, quantity: 3, status: 'CREATED' } });
    const session = created.body as { id: string };
    const tooMany = await send(source, { method: 'POST', path, body: JSON.stringify({ eventId, priceId: 'vip', quantity: 3 }) });
    expect(tooMany).toMatchObject({ status: 409, body: { message: expect.stringContaining('Only 2 ticket(s) available') } });

    await expect(send(source, { method: 'GET', path: `${path}/${session.id}` })).resolves.toMatchObject({ status: 200, body: session });
    await expect(count({ sessions: 1, quantity: 3 })).resolves.toEqual({ sessions: 1, quantity: 3 });
    const confirm = { method: 'PATCH', path: `${path}/${session.id}`, body: JSON.stringify({ status: 'CONFIRMING' }) };
    // Paying extends the hold: holdExpiresAt moves.
    await expect(send(source, confirm)).resolves.toMatchObject({ status: 200, body: { ...session, status: 'CONFIRMING', holdExpiresAt: expect.any(String) } });
    await expect(send(source, confirm)).resolves.toMatchObject({ status: 409 });
    await expect(availability()).resolves.toMatchObject({ status: 200, body: { stock: 5, held: 3, sold: 0, available: 2 } });
    const complete = { method: 'PATCH', path: `${path}/${session.id}`, body: JSON.stringify({ status: 'COMPLETED' }) };
    await expect(send(source, complete)).resolves.toMatchObject({ status: 200, body: { status: 'COMPLETED' } });
    await expect(availability()).resolves.toMatchObject({ status: 200, body: { stock: 5, held: 0, sold: 3, available: 2 } });

    await expect(send(source, { method: 'DELETE', path: `${path}/${session.id}` })).resolves.toMatchObject({ status: 204 });
    await expect(send(source, { method: 'GET', path: `${path}/${session.id}` })).resolves.toMatchObject({ status: 404 });
    await expect(count({ sessions: 0, quantity: 0 })).resolves.toEqual({ sessions: 0, quantity: 0 });
  });

  it('reads a base64-encoded body and honours the Idempotency-Key header', async () => {
    const request = {
      method: 'POST',
      path: '/checkout-sessions',
      headers: { 'idempotency-key': `lambda-key-${driver}` },
      body: JSON.stringify({ eventId: `lambda-base64-${driver}`, priceId: 'p', quantity: 2 }),
      base64: true,
    };
    const first = await send('function-url', request);
    expect(first).toMatchObject({ status: 201, body: { quantity: 2 } });
    await expect(send('http-api', request)).resolves.toMatchObject({ status: 201, body: first.body });
  });

  it.each([
    ['malformed JSON', '{"eventId": ', /JSON/i],
    ['a quantity of 1001', JSON.stringify({ eventId: `lambda-invalid-${driver}`, priceId: 'p', quantity: 1001 }), /quantity/],
    ['an unknown field', JSON.stringify({ eventId: `lambda-invalid-${driver}`, priceId: 'p', quantity: 1, status: 'COMPLETED' }), /status/],
  ])('answers a body with %s with 400 naming the problem, and stores nothing', async (_, body, problem) => {
    const answer = await send('http-api', { method: 'POST', path: '/checkout-sessions', body });
    expect(answer.status).toBe(400);
    expect(JSON.stringify((answer.body as { message: unknown }).message)).toMatch(problem);
    // held is strongly consistent, and each body would hold tickets: a session stored by mistake shows at once.
    const held = await send('http-api', { method: 'GET', path: '/checkout-sessions/held', query: { eventId: `lambda-invalid-${driver}`, priceId: 'p' } });
    expect(held).toMatchObject({ status: 200, body: { held: 0 } });
  });

  if (driver === 'dynamodb') {
    it('answers 503 with Retry-After while the store is out, and serves again afterwards without a new init', async () => {
      const body = JSON.stringify({ eventId: 'lambda-outage', priceId: 'p', quantity: 1 });
      const created = await send('http-api', { method: 'POST', path: '/checkout-sessions', body });
      const { id } = created.body as { id: string };
      proxy!.set({ kind: 'reset' });
      for (const request of [
        { method: 'POST', path: '/checkout-sessions', body },
        { method: 'GET', path: `/checkout-sessions/${id}` },
        { method: 'GET', path: '/health' },
      ]) {
        const answer = await send('function-url', request);
        expect(answer).toMatchObject({ status: 503 });
        if (request.path !== '/health') expect(answer.headers['retry-after']).toBe('1');
      }
      proxy!.set({ kind: 'none' });
      await expect(send('function-url', { method: 'GET', path: `/checkout-sessions/${id}` })).resolves.toMatchObject({ status: 200 });
    });
  }
});

describe('the Lambda bundle with DYNAMODB_VERIFY_TABLE_ON_STARTUP=true', () => {
  it('checks the table during init, over the network, and finds it ready', async () => {
    const { proxy, tableName } = await faultedTable();
    const environment = await LambdaEnvironment.start(bundle.entry, {
      CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
      DYNAMODB_ENDPOINT: proxy.endpoint,
      DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
      DYNAMODB_VERIFY_TABLE_ON_STARTUP: 'true',
    });
    try {
      expect(environment.init.initConnections).toBeGreaterThan(0);
      expect(environment.output.join('')).not.toMatch(/"level":"error"/);
    } finally {
      await environment.stop();
      await proxy.stop();
    }
  });
});

/** The bundle's chunks that hold the SDK's container credential provider, which it imports only when it needs it. */
const containerProviderChunks = (dir: string) =>
  readdirSync(join(dir, 'chunks'))
    .map((name) => join(dir, 'chunks', name))
    .filter((file) => readFileSync(file, 'utf8').includes('AWS_CONTAINER_CREDENTIALS_FULL_URI'));

describe('the Lambda bundle without credentials in env', () => {
  it('needs the chunks of the container credential provider neither for init nor for requests with env credentials', async () => {
    // A copy of the bundle without those chunks: anything that loads them, statically or not, fails.
    const copy = mkdtempSync(join(tmpdir(), 'lambda-without-provider-'));
    cpSync(dirname(bundle.entry), copy, { recursive: true });
    const removed = containerProviderChunks(copy);
    expect(removed).not.toEqual([]);
    for (const file of removed) rmSync(file);
    const { proxy, tableName } = await faultedTable();
    const environment = await LambdaEnvironment.start(join(copy, 'index.mjs'), {
      CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
      DYNAMODB_ENDPOINT: proxy.endpoint,
      DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
    });
    try {
      const send = async (request: HttpEventRequest) => readAnswer((await environment.invoke(httpEvent('http-api', request))).result);
      const body = { eventId: 'lambda-trimmed', priceId: 'std', quantity: 1 };
      const created = await send({ method: 'POST', path: '/checkout-sessions', body: JSON.stringify(body) });
      expect(created).toMatchObject({ status: 201 });
      await expect(send({ method: 'GET', path: `/checkout-sessions/${(created.body as { id: string }).id}` })).resolves.toMatchObject({ status: 200 });
    } finally {
      await environment.stop();
      await proxy.stop();
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('loads the container credential provider from its chunk when it needs it: credentials from a container endpoint', async () => {
    const { proxy, tableName } = await faultedTable();
    let served = 0;
    // The container credentials endpoint of ECS (and of Lambda's own, for SnapStart), on loopback.
    const endpoint = createServer((_request, response) => {
      served++;
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      response.setHeader('content-type', 'application/json');
      // DynamoDB Local keeps one database per access key: the same key as the table's creator, delivered another way.
      const { AWS_ACCESS_KEY_ID: AccessKeyId, AWS_SECRET_ACCESS_KEY: SecretAccessKey } = process.env;
      response.end(JSON.stringify({ AccessKeyId, SecretAccessKey, Token: 'containerToken', Expiration: expiration }));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const environment = await LambdaEnvironment.start(bundle.entry, {
      CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
      DYNAMODB_ENDPOINT: proxy.endpoint,
      DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      // No shared config or credentials file either, whatever this machine has in ~/.aws.
      AWS_CONFIG_FILE: join(dirname(bundle.entry), 'absent-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dirname(bundle.entry), 'absent-credentials'),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/credentials`,
    });
    try {
      const answer = readAnswer((await environment.invoke(httpEvent('http-api', { method: 'GET', path: `/checkout-sessions/${randomUUID()}` }))).result);
      expect(answer).toMatchObject({ status: 404 });
      expect(served).toBeGreaterThan(0);
    } finally {
      await environment.stop();
      await proxy.stop();
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});

describe('the bundle of npm run build:lambda', () => {
  it('holds no @nestjs/swagger: the OpenAPI page is served by npm start only (README)', () => {
    const files = readdirSync(dirname(bundle.entry), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(readFileSync(join(dirname(bundle.entry), file), 'utf8')).not.toMatch(/swagger-ui|SwaggerModule/);
  });

  it('is what npm run infra:synth, run next as the README prints it, packs: it writes the template and says where', () => {
    // dist/lambda is the build of this file's beforeAll; no other suite writes it.
    const synth = spawnSync('npm', ['run', 'infra:synth'], { encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: undefined } });
    expect(synth.status).toBe(0);
    expect(synth.stderr).toContain('CloudFormation template of stack CheckoutApi: cdk.out/CheckoutApi.template.json');
    const template = JSON.parse(readFileSync('cdk.out/CheckoutApi.template.json', 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).map((resource) => resource.Type)).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::DynamoDB::Table']));
  });
});
