// The table code is split by role: layout (dynamodb-checkout-session.layout.ts), inspection (.inspection.ts),
// provisioning (.provisioning.ts) and the data migration (.migration.ts). This re-export serves the importers not yet
// moved to them (the DynamoDB store and its spec).
export { inspectCheckoutSessionTable } from './dynamodb-checkout-session.inspection.js';
export { backfillCheckoutSessionCountKeys } from './dynamodb-checkout-session.migration.js';
export { ensureCheckoutSessionTable } from './dynamodb-checkout-session.provisioning.js';
