import { measureColdStart } from './cold-start.js';
import { startDynamoDbLocal, DYNAMODB_LOCAL_ENV } from '../test/support/dynamodb-local.mjs';
import { createCheckoutSessionDynamoDbClient, ensureCheckoutSessionTable } from '../libs/checkout-session-cache/src/index.js';
const local = await startDynamoDbLocal();
Object.assign(process.env, DYNAMODB_LOCAL_ENV);
const c = createCheckoutSessionDynamoDbClient({ endpoint: local.endpoint, region: 'us-east-1', maxAttempts: 3, requestTimeoutMs: 5000 });
await ensureCheckoutSessionTable(c, 'cold'); c.destroy();
try { const r = await measureColdStart(local.endpoint, 'cold', 7); console.log(JSON.stringify(r, null, 1)); } finally { await local.stop(); }
