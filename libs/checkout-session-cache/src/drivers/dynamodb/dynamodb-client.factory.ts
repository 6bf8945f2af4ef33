import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ResolvedCheckoutSessionCacheOptions } from '../../interfaces/checkout-session-cache-options.interface.js';

/**
 * Creates the DynamoDB client with the SDK's own retries (standard mode: exponential backoff with jitter) and a
 * per-attempt timeout that aborts hung connections. Credentials come from the SDK's default provider chain.
 * Worst case for one call: `maxAttempts × requestTimeoutMs` plus the backoff between attempts.
 */
export function createCheckoutSessionDynamoDbClient(
  options: Pick<ResolvedCheckoutSessionCacheOptions, 'region' | 'endpoint' | 'maxAttempts' | 'requestTimeoutMs'>,
): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: options.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}
