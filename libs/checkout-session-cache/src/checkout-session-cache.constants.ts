import type { CheckoutSessionStatus } from './interfaces/checkout-session.interface.js';

/** Injection token of the {@link CheckoutSessionCache} port. */
export const CHECKOUT_SESSION_CACHE = Symbol('CHECKOUT_SESSION_CACHE');

/** Injection token of the `DynamoDBClient` used by the DynamoDB driver (`null` with the memory driver). */
export const CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT = Symbol('CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT');

/** Injection token of the resolved options (for `forRoot`, code options over env; then the defaults). */
export const CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS = Symbol('CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS');

/** Every status a checkout session can have. */
export const CHECKOUT_SESSION_STATUSES = ['CREATED', 'CONFIRMING', 'COMPLETED', 'CANCELLED'] as const;

/**
 * Allowed transitions: `CREATED → CONFIRMING | CANCELLED`, `CONFIRMING → COMPLETED | CANCELLED | CREATED`.
 * `COMPLETED` and `CANCELLED` are final.
 */
export const CHECKOUT_SESSION_TRANSITIONS: Readonly<Record<CheckoutSessionStatus, readonly CheckoutSessionStatus[]>> = {
  CREATED: ['CONFIRMING', 'CANCELLED'],
  CONFIRMING: ['COMPLETED', 'CANCELLED', 'CREATED'],
  COMPLETED: [],
  CANCELLED: [],
};

/** Default session lifetime in hours. */
export const DEFAULT_TTL_HOURS = 24;
/** Default DynamoDB table name. */
export const DEFAULT_TABLE_NAME = 'checkout-sessions';
/**
 * Name of the GSI that backs `count`: `countShard` (`<eventId>#<0–31>`) HASH, `countKey` (`<status>#<priceId>`) RANGE.
 * An event's sessions are spread over 32 partition-key values, and a count by status reads no other status.
 */
export const COUNT_INDEX_NAME = 'countShard-countKey-index';
/** Number of `countShard` values per event: each takes about 1/32 of an event's session writes (docs/scale.md). */
export const COUNT_INDEX_SHARDS = 32;
/**
 * Name of the previous layout's count index (`eventId` HASH, `priceId` RANGE), unused since `COUNT_INDEX_NAME`: on an
 * upgraded table, delete it once the rollout is done (docs/migration.md); until then it still takes every write.
 */
export const EVENT_PRICE_INDEX_NAME = 'eventId-priceId-index';
/** Default number of attempts per DynamoDB call, the first one included (SDK standard retry mode). */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default time in ms a DynamoDB request may take (and a connection may take to open) before it is aborted. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 1000;
/** Default time in ms a successful health probe (`ping`) of the DynamoDB driver is reused before the next one. */
export const DEFAULT_PING_CACHE_MS = 5000;
/** Default interval in ms of the memory driver's sweep of expired sessions. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Largest serialized size in bytes of a session's `metadata`. */
export const MAX_METADATA_BYTES = 8 * 1024;
