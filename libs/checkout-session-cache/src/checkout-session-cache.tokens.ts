/** Injection token of the {@link CheckoutSessionCache} port. */
export const CHECKOUT_SESSION_CACHE = Symbol('CHECKOUT_SESSION_CACHE');

/** Injection token of the `DynamoDBClient` used by the DynamoDB driver (`null` with the memory driver). */
export const CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT = Symbol('CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT');

/** Injection token of the resolved options (for `forRoot`, code options over env; then the defaults). */
export const CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS = Symbol('CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS');
