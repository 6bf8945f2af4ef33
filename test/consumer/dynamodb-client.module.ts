import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutSessionCacheModule } from '@ticketoffice/checkout-session-cache';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { LifecycleService } from './lifecycle.service.js';

/** The app's own DynamoDB client, from its own `@aws-sdk/client-dynamodb`, closed by the app. */
@Module({
  providers: [
    { provide: DynamoDBClient, useFactory: () => new DynamoDBClient({ endpoint: process.env.SESSIONS_ENDPOINT, region: process.env.AWS_REGION }) },
  ],
  exports: [DynamoDBClient],
})
export class AwsModule implements OnApplicationShutdown {
  constructor(@Inject(DynamoDBClient) private readonly client: DynamoDBClient) {}

  onApplicationShutdown(): void {
    this.client.destroy();
  }
}

/** Consumer wiring 3: the DynamoDB driver on a client the app made itself, passed in the `client` option. */
@Module({
  imports: [
    TerminusModule,
    CheckoutSessionCacheModule.forRootAsync({
      isGlobal: true,
      imports: [AwsModule],
      inject: [DynamoDBClient],
      useFactory: (client: DynamoDBClient) => ({
        driver: 'dynamodb' as const,
        client,
        tableName: process.env.SESSIONS_TABLE,
        ttlHours: 1,
        autoCreateTable: true,
      }),
    }),
  ],
  providers: [LifecycleService, CheckoutSessionCacheHealthIndicator],
})
export class DynamoDbClientConsumerModule {}
