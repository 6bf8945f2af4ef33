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

/**
 * A DynamoDB client created on its first use: the health probe's, which many processes never need (a Lambda function
 * behind API Gateway is not health-checked), so that init does not build it.
 */
export class LazyDynamoDbClient {
  private client: DynamoDBClient | undefined;
  private destroyed = false;

  constructor(private readonly create: () => DynamoDBClient) {}

  /** Whether the client has been created. */
  get created(): boolean {
    return this.client !== undefined;
  }

  /** The client, created on the first call; throws once {@link destroy} has run, so that no client outlives it. */
  get(): DynamoDBClient {
    if (this.destroyed) throw new Error('The DynamoDB client has been destroyed: the module has shut down');
    return (this.client ??= this.create());
  }

  /** Destroys the client, if it was created. */
  destroy(): void {
    this.destroyed = true;
    this.client?.destroy();
  }
}
