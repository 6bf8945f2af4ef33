import { afterAll } from '@jest/globals';
import { directClient, testOptions } from '../../../../../test/support/checkout-session-cache.harness.js';
import { resolveCheckoutSessionCacheOptions } from '../../checkout-session-cache.config.js';
import { describeCheckoutSessionStoreContract } from '../../testing/checkout-session-store.contract.js';
import { DynamoDbCheckoutSessionStore } from './dynamodb-checkout-session.store.js';

const client = directClient();
afterAll(() => client.destroy());

describeCheckoutSessionStoreContract('DynamoDB driver on DynamoDB Local', ({ clock, ttlHours }) => {
  const options = resolveCheckoutSessionCacheOptions(testOptions('dynamodb', { client, clock, ttlHours }), {});
  return new DynamoDbCheckoutSessionStore(client, options);
});
