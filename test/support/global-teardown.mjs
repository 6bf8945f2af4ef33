/** Stops the DynamoDB Local that the global setup started, if any. */
export default async function globalTeardown() {
  const local = /** @type {{ __DYNAMODB_LOCAL__?: import('../../scripts/dynamodb-local.launcher.mjs').DynamoDbLocal }} */ (globalThis).__DYNAMODB_LOCAL__;
  await local?.stop();
}
