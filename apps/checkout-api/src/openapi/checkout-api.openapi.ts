import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ResponsesObject,
  type SchemaObject,
} from '@nestjs/swagger';

import {
  CHECKOUT_SESSION_STATUSES,
  checkoutSessionCountQuerySchema,
  checkoutSessionHeldQuerySchema,
  checkoutSessionIdempotencyKeySchema,
  checkoutSessionStatusUpdateSchema,
  newCheckoutSessionSchema,
} from '@ticketoffice/checkout-session-cache';
import * as z from 'zod/mini';
import { IDEMPOTENT_REPLAYED_HEADER } from '../checkout-sessions/checkout-sessions.controller.js';
import { API_ERROR_CODES, type ApiErrorCode } from '../errors/api-error.interface.js';

/** Where `npm start` serves the OpenAPI page; the document is at `/docs-json`. */
export const OPENAPI_PATH = 'docs';

/** A library schema as OpenAPI 3.0 JSON Schema, as the request sees it (before transforms). */
const jsonSchemaOf = (schema: z.ZodMiniType): SchemaObject =>
  z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' }) as SchemaObject;

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;

/** Each property of an object schema as one query parameter. */
function queryParameters(schema: z.ZodMiniType, descriptions: Record<string, string> = {}): ParameterObject[] {
  const { properties = {}, required = [] } = jsonSchemaOf(schema);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema: property as SchemaObject,
    ...(descriptions[name] && { description: descriptions[name] }),
  }));
}

const json = (schema: SchemaObject) => ({ content: { 'application/json': { schema } } });

/** The error answers of an operation: status → the codes it may carry. */
function errors(answers: Record<number, ApiErrorCode[]>): ResponsesObject {
  return Object.fromEntries(
    Object.entries(answers).map(([status, codes]) => [
      status,
      {
        description: codes.join(', '),
        ...json(ref('ApiError')),
        ...(codes.includes('STORE_UNAVAILABLE') && { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }),
      },
    ]),
  );
}

const ID_ERRORS = { 400: ['VALIDATION_FAILED'], 404: ['NOT_FOUND'], 503: ['STORE_UNAVAILABLE'] } satisfies Record<number, ApiErrorCode[]>;
const QUERY_ERRORS = { 400: ['VALIDATION_FAILED'], 503: ['STORE_UNAVAILABLE'] } satisfies Record<number, ApiErrorCode[]>;

/** What the routes' own metadata cannot say — the library validates bodies and queries itself — by operation id. */
const OPERATIONS: Record<string, Partial<OperationObject>> = {
  CheckoutSessionsController_create: {
    summary: 'Create a session: hold tickets while the buyer pays',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Makes retries safe: the same key and body return the first session (1–128 characters)',
        schema: jsonSchemaOf(checkoutSessionIdempotencyKeySchema),
      },
    ],
    requestBody: { required: true, ...json(jsonSchemaOf(newCheckoutSessionSchema)) },
    responses: {
      201: {
        description: 'The session; with `Idempotent-Replayed: true` when an earlier create with the same key made it',
        headers: { [IDEMPOTENT_REPLAYED_HEADER]: { description: 'true on a replay; absent otherwise', schema: { type: 'string', enum: ['true'] } } },
        ...json(ref('CheckoutSession')),
      },
      ...errors({ 400: ['VALIDATION_FAILED'], 409: ['SOLD_OUT', 'IDEMPOTENCY_KEY_REUSED'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'], 503: ['STORE_UNAVAILABLE'] }),
    },
  },
  CheckoutSessionsController_count: {
    summary: 'Count live sessions and sum their tickets (reporting)',
    parameters: queryParameters(checkoutSessionCountQuerySchema, { status: 'Repeat it, or separate statuses with commas' }),
    responses: { 200: { description: 'The count', ...json(ref('CheckoutSessionCount')) }, ...errors(QUERY_ERRORS) },
  },
  CheckoutSessionsController_held: {
    summary: 'Tickets held now by live CREATED/CONFIRMING sessions of a pair (stock decisions)',
    parameters: queryParameters(checkoutSessionHeldQuerySchema),
    responses: { 200: { description: '`available` only for a pair listed in CHECKOUT_API_STOCK', ...json(ref('Held')) }, ...errors(QUERY_ERRORS) },
  },
  CheckoutSessionsController_get: {
    summary: 'Read a session',
    responses: { 200: { description: 'The session', ...json(ref('CheckoutSession')) }, ...errors(ID_ERRORS) },
  },
  CheckoutSessionsController_updateStatus: {
    summary: 'Change the status',
    requestBody: { required: true, ...json(jsonSchemaOf(checkoutSessionStatusUpdateSchema)) },
    responses: {
      200: { description: 'The updated session', ...json(ref('CheckoutSession')) },
      ...errors({ ...ID_ERRORS, 409: ['TRANSITION_NOT_ALLOWED'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] }),
    },
  },
  CheckoutSessionsController_delete: {
    summary: 'Delete a session, releasing its hold; also when already gone',
    responses: { 204: { description: 'Deleted' }, ...errors({ 400: ['VALIDATION_FAILED'], 503: ['STORE_UNAVAILABLE'] }) },
  },
  HealthController_check: {
    summary: "The store answers (terminus's report)",
    responses: { 200: { description: 'Up, naming the driver' }, 503: { description: 'Down' } },
  },
};

const SCHEMAS: Record<string, SchemaObject> = {
  CheckoutSession: {
    allOf: [
      jsonSchemaOf(newCheckoutSessionSchema),
      {
        type: 'object',
        required: ['id', 'status', 'createdAt', 'expiresAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES] },
          createdAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time', description: 'createdAt + TTL, never renewed' },
        },
      },
    ],
  },
  CheckoutSessionCount: {
    type: 'object',
    required: ['sessions', 'quantity'],
    properties: { sessions: { type: 'integer' }, quantity: { type: 'integer' } },
  },
  Held: { type: 'object', required: ['held'], properties: { held: { type: 'integer' }, available: { type: 'integer' } } },
  ApiError: {
    type: 'object',
    required: ['statusCode', 'code', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer' },
      code: { type: 'string', enum: [...API_ERROR_CODES] },
      error: { type: 'string' },
      message: { type: 'string' },
      issues: { type: 'array', items: { type: 'string' }, description: 'VALIDATION_FAILED' },
      requested: { type: 'integer', description: 'SOLD_OUT' },
      available: { type: 'integer', description: 'SOLD_OUT' },
      currentStatus: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES], description: 'TRANSITION_NOT_ALLOWED' },
      requestedStatus: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES], description: 'TRANSITION_NOT_ALLOWED' },
    },
  },
};

/**
 * The sample app's OpenAPI document: routes and path parameters from the controllers, bodies and queries from the
 * library's schemas, answers and error codes from {@link OPERATIONS}.
 */
export function createCheckoutApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('checkout-api')
    .setDescription('Checkout sessions over HTTP: the sample app of @ticketoffice/checkout-session-cache')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as OperationObject[]) {
      const extra = OPERATIONS[operation.operationId ?? ''];
      if (!extra) continue;
      const { parameters = [], responses, ...rest } = extra;
      Object.assign(operation, rest, { parameters: [...(operation.parameters ?? []), ...parameters], responses: responses ?? operation.responses });
    }
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  return document;
}

/** Serves the OpenAPI page at `/docs` and the document at `/docs-json`. Call before `init()` or `listen()`. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => createCheckoutApiDocument(app));
}
