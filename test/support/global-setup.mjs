import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from '../../scripts/dynamodb-local.launcher.mjs';

/**
 * Starts DynamoDB Local on a free port for the whole run, unless DYNAMODB_ENDPOINT points at one already.
 * Without Java this throws, so the run fails with a message instead of skipping the DynamoDB suites.
 */
export default async function globalSetup() {
  if (process.env.DYNAMODB_ENDPOINT) return;
  const local = await startDynamoDbLocal();
  /** @type {Record<string, unknown>} */ (globalThis).__DYNAMODB_LOCAL__ = local;
  process.env.DYNAMODB_ENDPOINT = local.endpoint;
  for (const [name, value] of Object.entries(DYNAMODB_LOCAL_ENV)) process.env[name] ??= value;
}
