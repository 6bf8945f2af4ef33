import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type HeadersObject,
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
  checkoutSessionReturnSchema,
  checkoutSessionStatusUpdateSchema,
  checkoutSessionStockUpdateSchema,
  newCheckoutSessionSchema,
} from '@ticketoffice/checkout-session-cache';
import * as z from 'zod/mini';
import { ADMIN_REALM } from '../auth/admin-token.guard.js';
import { IDEMPOTENT_REPLAYED_HEADER } from '../checkout-sessions/checkout-sessions.controller.js';
import { API_ERROR_CODES, type ApiErrorCode } from '../errors/api-error.interface.js';

/** Where `npm start` serves the OpenAPI page; the document is at `/docs-json`. */
export const OPENAPI_PATH = 'docs';

/** The security scheme of the admin routes: `Authorization: Bearer <CHECKOUT_API_ADMIN_TOKEN>`. */
export const ADMIN_SECURITY_SCHEME = 'adminToken';

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

/** The headers an error answer carries with a code: a store failure's `Retry-After`, a 401's challenge. */
const ERROR_HEADERS: Partial<Record<ApiErrorCode, HeadersObject>> = {
  STORE_UNAVAILABLE: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  UNAUTHORIZED: {
    'WWW-Authenticate': { description: `Bearer realm="${ADMIN_REALM}", with error="invalid_token" when a wrong token was sent`, schema: { type: 'string' } },
  },
};

/** The error answers of an operation: status → the codes it may carry. */
function errors(answers: Record<number, ApiErrorCode[]>): ResponsesObject {
  return Object.fromEntries(
    Object.entries(answers).map(([status, codes]) => {
      const headers: HeadersObject = Object.assign({}, ...codes.map((code) => ERROR_HEADERS[code] ?? {}));
      return [status, { description: codes.join(', '), ...json(ref('ApiError')), ...(Object.keys(headers).length > 0 && { headers }) }];
    }),
  );
}

const ID_ERRORS = { 400: ['VALIDATION_FAILED'], 404: ['NOT_FOUND'], 503: ['STORE_UNAVAILABLE'] } satisfies Record<number, ApiErrorCode[]>;
const QUERY_ERRORS = { 400: ['VALIDATION_FAILED'], 503: ['STORE_UNAVAILABLE'] } satisfies Record<number, ApiErrorCode[]>;
/** The answers of an admin route with a body, besides its own 400s. */
const ADMIN_ERRORS = {
  401: ['UNAUTHORIZED'],
  403: ['FORBIDDEN'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  503: ['STORE_UNAVAILABLE'],
} satisfies Record<number, ApiErrorCode[]>;
const ADMIN_SECURITY = [{ [ADMIN_SECURITY_SCHEME]: [] }];

/** What the routes' own metadata cannot say — the library validates bodies and queries itself — by operation id. */
const OPERATIONS: Record<string, Partial<OperationObject>> = {
  CheckoutSessionsController_create: {
    summary: 'Create a session: hold tickets while the buyer pays, until holdExpiresAt',
    description: 'On a price with stock, the hold fits only in what is free (stock − held − sold), decided atomically with the write.',
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
    summary: 'Count live sessions and sum their tickets (reporting); a lapsed hold counts under EXPIRED',
    parameters: queryParameters(checkoutSessionCountQuerySchema, { status: 'Repeat it, or separate statuses with commas' }),
    responses: { 200: { description: 'The count', ...json(ref('CheckoutSessionCount')) }, ...errors(QUERY_ERRORS) },
  },
  CheckoutSessionsController_held: {
    summary: 'Tickets held now by the live holds of a pair',
    description: 'The stock, what is sold and what is free: GET /events/{eventId}/prices/{priceId}/availability.',
    parameters: queryParameters(checkoutSessionHeldQuerySchema),
    responses: { 200: { description: 'Tickets held', ...json(ref('Held')) }, ...errors(QUERY_ERRORS) },
  },
  CheckoutSessionsController_get: {
    summary: 'Read a session',
    responses: { 200: { description: 'The session', ...json(ref('CheckoutSession')) }, ...errors(ID_ERRORS) },
  },
  CheckoutSessionsController_updateStatus: {
    summary: 'Change the status',
    description:
      'CONFIRMING extends the hold once (never past expiresAt); COMPLETED moves the tickets from held to sold. A lapsed (EXPIRED) ' +
      'session may be cancelled, and completed if it was CONFIRMING and its tickets are still free (a late payment); ' +
      'anything else the lapse forbids is 409 HOLD_EXPIRED.',
    requestBody: { required: true, ...json(jsonSchemaOf(checkoutSessionStatusUpdateSchema)) },
    responses: {
      200: { description: 'The updated session', ...json(ref('CheckoutSession')) },
      ...errors({ ...ID_ERRORS, 409: ['TRANSITION_NOT_ALLOWED', 'HOLD_EXPIRED'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] }),
    },
  },
  CheckoutSessionsController_delete: {
    summary: 'Delete a session, releasing its hold; also when already gone',
    responses: { 204: { description: 'Deleted' }, ...errors({ 400: ['VALIDATION_FAILED'], 503: ['STORE_UNAVAILABLE'] }) },
  },
  PricesController_availability: {
    summary: "A price's stock, held, sold and available tickets, from one strongly consistent read",
    responses: { 200: { description: '`stock` and `available` are null for a price that never got stock', ...json(ref('Availability')) }, ...errors(QUERY_ERRORS) },
  },
  PricesController_setStock: {
    summary: "Set a price's stock (admin)",
    description: 'Up or down; below held + sold it takes nothing back, and nothing new fits until holds free up.',
    security: ADMIN_SECURITY,
    requestBody: { required: true, ...json(jsonSchemaOf(checkoutSessionStockUpdateSchema)) },
    responses: { 200: { description: 'The availability after the change', ...json(ref('Availability')) }, ...errors({ 400: ['VALIDATION_FAILED'], ...ADMIN_ERRORS }) },
  },
  PricesController_returnTickets: {
    summary: 'Take sold tickets back into stock: a refund (admin)',
    description: 'More than are sold is 400 VALIDATION_FAILED and changes nothing.',
    security: ADMIN_SECURITY,
    requestBody: { required: true, ...json(jsonSchemaOf(checkoutSessionReturnSchema)) },
    responses: { 200: { description: 'The availability after the return', ...json(ref('Availability')) }, ...errors({ 400: ['VALIDATION_FAILED'], ...ADMIN_ERRORS }) },
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
        required: ['id', 'status', 'createdAt', 'expiresAt', 'holdExpiresAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES], description: 'EXPIRED: a CREATED or CONFIRMING session whose hold has lapsed' },
          createdAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time', description: 'createdAt + TTL, never renewed: the session reads 404 from then on' },
          holdExpiresAt: {
            type: 'string',
            format: 'date-time',
            description: 'When the hold lapses: createdAt + the hold window, moved once on the move to CONFIRMING; never past expiresAt',
          },
        },
      },
    ],
  },
  CheckoutSessionCount: {
    type: 'object',
    required: ['sessions', 'quantity'],
    properties: { sessions: { type: 'integer' }, quantity: { type: 'integer' } },
  },
  Held: { type: 'object', required: ['held'], properties: { held: { type: 'integer' } } },
  Availability: {
    type: 'object',
    required: ['stock', 'held', 'sold', 'available'],
    properties: {
      stock: { type: 'integer', nullable: true, description: 'The stock last set; null for a price that never got one' },
      held: { type: 'integer', description: 'Tickets held by live holds' },
      sold: { type: 'integer', description: 'Tickets of completed sessions, less returns' },
      available: { type: 'integer', nullable: true, description: 'max(0, stock − held − sold); null without stock' },
    },
  },
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
      currentStatus: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES], description: 'TRANSITION_NOT_ALLOWED, HOLD_EXPIRED' },
      requestedStatus: { type: 'string', enum: [...CHECKOUT_SESSION_STATUSES], description: 'TRANSITION_NOT_ALLOWED, HOLD_EXPIRED' },
    },
  },
};

/**
 * The sample app's OpenAPI document: routes and path parameters from the controllers, bodies and queries from the
 * library's schemas, answers, error codes and the admin routes' bearer scheme from {@link OPERATIONS}.
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
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...SCHEMAS },
    // Not DocumentBuilder.addBearerAuth, which says the token is a JWT: it is any opaque string.
    securitySchemes: {
      [ADMIN_SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'CHECKOUT_API_ADMIN_TOKEN; while it is unset, the admin routes answer 403' },
    },
  };
  return document;
}

/** Serves the OpenAPI page at `/docs` and the document at `/docs-json`. Call before `init()` or `listen()`. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => createCheckoutApiDocument(app));
}
