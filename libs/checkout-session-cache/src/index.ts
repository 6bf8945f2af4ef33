export * from './checkout-session-cache.defaults.js';
export * from './checkout-session-cache.state-machine.js';
export * from './checkout-session-cache.tokens.js';
export * from './checkout-session-cache.decorators.js';
export * from './checkout-session-cache.module.js';
export { readCheckoutSessionCacheEnv } from './checkout-session-cache.config.js';
export { effectiveStatus, hasLapsed } from './checkout-session-cache.lifecycle.js';
export {
  checkoutSessionCountQuerySchema,
  checkoutSessionCreateOptionsSchema,
  checkoutSessionHeldQuerySchema,
  checkoutSessionIdempotencyKeySchema,
  checkoutSessionIdSchema,
  checkoutSessionMetadataSchema,
  checkoutSessionPriceKeySchema,
  checkoutSessionReturnSchema,
  checkoutSessionStockUpdateSchema,
  checkoutSessionTargetStatusSchema,
  checkoutSessionStatusSchema,
  checkoutSessionStatusUpdateSchema,
  newCheckoutSessionSchema,
} from './checkout-session-cache.schemas.js';
export { CHECKOUT_SESSION_CACHE_IAM_ACTIONS } from './drivers/dynamodb/dynamodb-checkout-session.iam.js';
export { inspectCheckoutSessionTable } from './drivers/dynamodb/dynamodb-checkout-session.inspection.js';
export {
  CHECKOUT_SESSION_PREVIOUS_COUNT_INDEX,
  CHECKOUT_SESSION_TABLE_LAYOUT,
  COUNT_INDEX_NAME,
  COUNT_INDEX_SHARDS,
  EVENT_PRICE_INDEX_NAME,
} from './drivers/dynamodb/dynamodb-checkout-session.layout.js';
export { backfillCheckoutSessionCountKeys } from './drivers/dynamodb/dynamodb-checkout-session.migration.js';
export { ensureCheckoutSessionTable } from './drivers/dynamodb/dynamodb-checkout-session.provisioning.js';
export { createCheckoutSessionDynamoDbClient } from './drivers/dynamodb/dynamodb-client.factory.js';
export * from './errors/checkout-session-already-exists.error.js';
export * from './errors/checkout-session-cache-config.error.js';
export * from './errors/checkout-session-cache.error.js';
export * from './errors/checkout-session-conflict.error.js';
export * from './errors/checkout-session-idempotency-key-reused.error.js';
export * from './errors/checkout-session-sold-out.error.js';
export * from './errors/checkout-session-store-unavailable.error.js';
export * from './errors/checkout-session-table-not-found.error.js';
export * from './errors/checkout-session-validation.error.js';
export type * from './interfaces/checkout-session-cache-options.interface.js';
export type * from './interfaces/checkout-session-cache.interface.js';
export type * from './interfaces/checkout-session-clock.interface.js';
export type * from './interfaces/checkout-session-store.interface.js';
export type * from './interfaces/checkout-session.interface.js';
