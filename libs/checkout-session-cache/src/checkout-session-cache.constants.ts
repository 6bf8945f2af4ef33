// The constants are split by role: injection tokens (checkout-session-cache.tokens.ts), the status state machine
// (checkout-session-cache.state-machine.ts), defaults and limits (checkout-session-cache.defaults.ts) and the DynamoDB
// index names (drivers/dynamodb/dynamodb-checkout-session.layout.ts). This re-export serves the importers not yet
// moved to them (the DynamoDB store, its keys and spec, the config spec).
export * from './checkout-session-cache.defaults.js';
export * from './checkout-session-cache.state-machine.js';
export * from './checkout-session-cache.tokens.js';
export { COUNT_INDEX_NAME, COUNT_INDEX_SHARDS, EVENT_PRICE_INDEX_NAME } from './drivers/dynamodb/dynamodb-checkout-session.layout.js';
