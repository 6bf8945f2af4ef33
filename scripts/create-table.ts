// `npm run table:create`: creates the sessions table, its count index and TTL if missing (on a table of the previous
// layout, adds the new index online); safe to run again. Reads the DynamoDB driver's env, whatever
// CHECKOUT_SESSION_CACHE_DRIVER says (DYNAMODB_CHECKOUT_SESSIONS_TABLE, AWS_REGION, DYNAMODB_ENDPOINT, ...). It goes
// to DYNAMODB_ENDPOINT, and to AWS only when asked with `-- --aws` (never both); it says where before and after.
// `-- --backfill` then gives sessions of the previous layout the count index's keys (docs/migration.md);
// `-- --wait-minutes N` sets how long it waits for an index DynamoDB is still building (default 30).
import { Logger } from '@nestjs/common';
import { parseArgs } from 'node:util';
import {
  backfillCheckoutSessionCountKeys,
  createCheckoutSessionDynamoDbClient,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TABLE_NAME,
  ensureCheckoutSessionTable,
  readCheckoutSessionCacheEnv,
} from '../libs/checkout-session-cache/src/index.js';

const USAGE = 'usage: npm run table:create [-- --aws] [--backfill] [--wait-minutes N]';

const logger = new Logger('table:create');
try {
  const { values: args } = parseArgs({
    options: { aws: { type: 'boolean', default: false }, backfill: { type: 'boolean', default: false }, 'wait-minutes': { type: 'string', default: '30' } },
    strict: true,
    allowPositionals: false,
  });
  const waitMinutes = Number(args['wait-minutes']);
  if (!(waitMinutes > 0)) throw new Error(`--wait-minutes takes a positive number of minutes (${USAGE})`);
  // The DynamoDB driver's env, validated as the module validates it, with the module's defaults.
  const env = readCheckoutSessionCacheEnv(process.env, 'dynamodb');
  const options = {
    tableName: env.tableName ?? DEFAULT_TABLE_NAME,
    region: env.region,
    endpoint: env.endpoint,
    maxAttempts: env.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestTimeoutMs: env.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  if (options.endpoint !== undefined && args.aws) {
    throw new Error(`--aws and DYNAMODB_ENDPOINT=${options.endpoint} ask for two places: unset DYNAMODB_ENDPOINT to create the table in AWS, or drop --aws`);
  }
  if (options.endpoint === undefined && !args.aws) {
    throw new Error(
      'DYNAMODB_ENDPOINT is not set, so the table would be created in the AWS account of your credentials. ' +
        'For DynamoDB Local, set DYNAMODB_ENDPOINT (e.g. http://localhost:8000); to create it in AWS, run npm run table:create -- --aws',
    );
  }
  // Provisioning calls (CreateTable, waiting for ACTIVE) are slower than item calls: allow them more time.
  const client = createCheckoutSessionDynamoDbClient({ ...options, requestTimeoutMs: Math.max(options.requestTimeoutMs, 10_000) });
  try {
    // The SDK's own endpoint variables redirect "AWS" too: name them when they do.
    const override = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'].find((name) => process.env[name]);
    const where =
      options.endpoint ?? `AWS, region ${await client.config.region()}${override ? `, endpoint ${process.env[override]} (from ${override})` : ''}`;
    logger.log(`Table "${options.tableName}" at ${where}`);
    // Building an index on a large table can take a long time: wait up to --wait-minutes; run again to go on
    // waiting, nothing is created twice.
    await ensureCheckoutSessionTable(client, options.tableName, (line) => logger.log(line), waitMinutes * 60_000);
    logger.log(`Ready: table "${options.tableName}" at ${where}: table ACTIVE, index ACTIVE, TTL on expiresAt`);
    if (args.backfill) await backfillCheckoutSessionCountKeys(client, options.tableName, (line) => logger.log(line));
  } finally {
    client.destroy();
  }
} catch (error) {
  logger.error(`${(error as Error).name}: ${(error as Error).message}`);
  process.exitCode = 1;
}
