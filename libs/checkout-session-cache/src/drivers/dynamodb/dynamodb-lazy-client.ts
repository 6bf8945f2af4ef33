import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * A DynamoDB client created on its first use: the health probe's, which many processes never need (a Lambda function
 * behind API Gateway is not health-checked), so that init does not build it.
 */
export class LazyDynamoDbClient {
  private client: DynamoDBClient | undefined;

  constructor(private readonly create: () => DynamoDBClient) {}

  /** Whether the client has been created. */
  get created(): boolean {
    return this.client !== undefined;
  }

  /** The client, created on the first call. */
  get(): DynamoDBClient {
    return (this.client ??= this.create());
  }

  /** Destroys the client, if it was created. */
  destroy(): void {
    this.client?.destroy();
  }
}
