import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { AppModule } from '../apps/checkout-api/src/app.module.js';
import { configureApp } from '../apps/checkout-api/src/app.setup.js';
import { setupOpenApi } from '../apps/checkout-api/src/openapi/checkout-api.openapi.js';
import { appEnv } from './support/checkout-api.harness.js';
import { withEnv } from './support/env.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the app's Express router serves, as `METHOD /path` with OpenAPI's `{param}`. */
function servedRoutes(app: NestExpressApplication): string[] {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
  return router.stack.flatMap((layer) =>
    layer.route ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`) : [],
  );
}

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> };
  responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
}
interface Schema {
  $ref?: string;
  required?: string[];
  properties?: Record<string, { enum?: string[]; format?: string; nullable?: boolean }>;
  allOf?: Schema[];
}
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
};

describe('the OpenAPI document and page of npm start', () => {
  let app: NestExpressApplication;
  let document: Document;
  const http = () => request(app.getHttpServer() as App);

  beforeAll(async () => {
    app = await withEnv(appEnv('memory'), async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const created = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false }));
      setupOpenApi(created);
      await created.init();
      return created;
    });
    document = (await http().get('/docs-json').expect(200).expect('content-type', /json/)).body as Document;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the page at /docs', async () => {
    const page = await http().get('/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('holds every route the app serves, and no other', () => {
    const served = servedRoutes(app).filter((route) => !/ \/docs/.test(route));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(served.length).toBeGreaterThanOrEqual(7);
    expect(documented.sort()).toEqual(served.sort());
  });

  it("describes bodies and queries from the library's schemas, and each answer with its error codes", () => {
    expect(document.openapi).toMatch(/^3\./);
    const create = document.paths['/checkout-sessions']!.post!;
    const body = create.requestBody!.content['application/json']!.schema;
    expect(body.required).toEqual(['eventId', 'priceId', 'quantity']);
    expect(Object.keys(body.properties!)).toEqual(['eventId', 'priceId', 'quantity', 'price', 'metadata']);
    expect(create.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }));
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '409', '413', '415', '503']);
    expect(create.responses['201']!.headers).toHaveProperty('Idempotent-Replayed');
    const count = document.paths['/checkout-sessions/count']!.get!;
    expect(count.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'eventId', in: 'query', required: true })]));
    const patch = document.paths['/checkout-sessions/{id}']!.patch!;
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
    expect(patch.requestBody!.content['application/json']!.schema.required).toEqual(['status']);
    expect(Object.keys(patch.responses)).toContain('409');
    expect(document.components.schemas.ApiError!.properties!.code!.enum).toEqual(
      expect.arrayContaining(['SOLD_OUT', 'IDEMPOTENCY_KEY_REUSED', 'TRANSITION_NOT_ALLOWED', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'NOT_FOUND', 'STORE_UNAVAILABLE']),
    );
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) expect(Object.keys(operation.responses).length).toBeGreaterThan(1);
    }
  });
});

describe('the OpenAPI document of the stock routes and the hold window', () => {
  let app: NestExpressApplication;
  let document: Document;

  beforeAll(async () => {
    app = await withEnv(appEnv('memory'), async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const created = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false }));
      setupOpenApi(created);
      await created.init();
      return created;
    });
    document = (await request(app.getHttpServer() as App).get('/docs-json').expect(200)).body as Document;
  });

  afterAll(async () => {
    await app?.close();
  });

  const price = '/events/{eventId}/prices/{priceId}';
  const bodyOf = (operation: Operation) => operation.requestBody!.content['application/json']!.schema;

  it('documents the three price routes with their path parameters, bodies and answers', () => {
    const setStock = document.paths[`${price}/stock`]!.put!;
    const availability = document.paths[`${price}/availability`]!.get!;
    const returns = document.paths[`${price}/returns`]!.post!;
    for (const operation of [setStock, availability, returns]) {
      expect(operation.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'eventId', in: 'path', required: true }), expect.objectContaining({ name: 'priceId', in: 'path', required: true })]),
      );
      expect(operation.responses['200']!.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Availability' } } });
    }
    expect(bodyOf(setStock)).toMatchObject({ required: ['total'], properties: { total: expect.objectContaining({ type: 'integer', minimum: 0, maximum: 1e9 }) } });
    expect(bodyOf(returns)).toMatchObject({ required: ['quantity'], properties: { quantity: expect.objectContaining({ type: 'integer', minimum: 1 }) } });
    expect(availability.requestBody).toBeUndefined();
    expect(document.components.schemas.Availability).toMatchObject({
      required: ['stock', 'held', 'sold', 'available'],
      properties: { stock: { nullable: true }, available: { nullable: true } },
    });
  });

  it('marks exactly the stock and returns routes with the bearer scheme, and documents their 401 and 403', () => {
    expect(document.components.securitySchemes).toEqual({ adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    const secured = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).filter(([, operation]) => operation.security !== undefined).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(secured.sort()).toEqual([`POST ${price}/returns`, `PUT ${price}/stock`]);
    for (const operation of [document.paths[`${price}/stock`]!.put!, document.paths[`${price}/returns`]!.post!]) {
      expect(operation.security).toEqual([{ adminToken: [] }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '503']));
      expect(operation.responses['401']!.headers).toHaveProperty('WWW-Authenticate');
    }
  });

  it('shows holdExpiresAt and the EXPIRED status on sessions, and HOLD_EXPIRED among the codes of a status change', () => {
    const session = document.components.schemas.CheckoutSession!.allOf![1]!;
    expect(session.required).toContain('holdExpiresAt');
    expect(session.properties!.holdExpiresAt).toMatchObject({ format: 'date-time' });
    expect(session.properties!.status!.enum).toContain('EXPIRED');
    expect(document.components.schemas.ApiError!.properties!.code!.enum).toEqual(expect.arrayContaining(['HOLD_EXPIRED', 'UNAUTHORIZED', 'FORBIDDEN']));
    const patch = document.paths['/checkout-sessions/{id}']!.patch!;
    expect((patch.responses['409'] as { description?: string }).description).toBe('TRANSITION_NOT_ALLOWED, HOLD_EXPIRED');
    // A status change cannot ask for EXPIRED: a lapse is read, never set.
    expect((bodyOf(patch).properties!.status as { enum: string[] }).enum).not.toContain('EXPIRED');
    expect(document.components.schemas.Held!.properties).toEqual({ held: { type: 'integer' } });
  });
});
