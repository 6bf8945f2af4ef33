// `npm run table:create`: creates the sessions table, its count index and TTL if missing (on a table of the previous
// layout, adds the new index online); safe to run again. `npm run table:create -- --backfill` then gives sessions of
// the previous layout the count index's keys (docs/migration.md); `-- --wait-minutes N` sets how long it waits for an
// index DynamoDB is still building (default 30). Reads the same env as the app
// (DYNAMODB_CHECKOUT_SESSIONS_TABLE, AWS_REGION, DYNAMODB_ENDPOINT, ...).
import { Logger } from '@nestjs/common';
import {
  backfillCheckoutSessionCountKeys,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  readCheckoutSessionCacheEnv,
} from '../libs/checkout-session-cache/src/index.js';
import { resolveCheckoutSessionCacheOptions } from '../libs/checkout-session-cache/src/checkout-session-cache.config.js';

const logger = new Logger('table:create');
try {
  const options = resolveCheckoutSessionCacheOptions({ driver: 'dynamodb' }, readCheckoutSessionCacheEnv(process.env));
  // Provisioning calls (CreateTable, waiting for ACTIVE) are slower than item calls: allow them more time.
  const client = createCheckoutSessionDynamoDbClient({ ...options, requestTimeoutMs: Math.max(options.requestTimeoutMs, 10_000) });
  try {
    logger.log(`Table "${options.tableName}" at ${options.endpoint ?? `AWS (${options.region ?? 'SDK default region'})`}`);
    // Building an index on a large table can take a long time: wait up to --wait-minutes (default 30); run again to
    // go on waiting, nothing is created twice.
    const waitArgument = process.argv.indexOf('--wait-minutes');
    const waitMinutes = waitArgument === -1 ? 30 : Number(process.argv[waitArgument + 1]);
    if (!(waitMinutes > 0)) throw new Error('--wait-minutes takes a positive number of minutes');
    await ensureCheckoutSessionTable(client, options.tableName, (line) => logger.log(line), waitMinutes * 60_000);
    logger.log('Ready: table ACTIVE, index ACTIVE, TTL on expiresAt');
    if (process.argv.includes('--backfill')) await backfillCheckoutSessionCountKeys(client, options.tableName, (line) => logger.log(line));
  } finally {
    client.destroy();
  }
} catch (error) {
  logger.error(`${(error as Error).name}: ${(error as Error).message}`);
  process.exitCode = 1;
}
