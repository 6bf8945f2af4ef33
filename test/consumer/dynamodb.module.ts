import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutSessionCacheModule } from '@ticketoffice/checkout-session-cache';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { LifecycleService } from './lifecycle.service.js';

/** Consumer wiring 2: the DynamoDB driver through forRootAsync, settings read from the app's own env via ConfigModule. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TerminusModule,
    CheckoutSessionCacheModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        driver: 'dynamodb' as const,
        tableName: config.getOrThrow<string>('SESSIONS_TABLE'),
        endpoint: config.getOrThrow<string>('SESSIONS_ENDPOINT'),
        region: config.getOrThrow<string>('AWS_REGION'),
        ttlHours: 1,
        autoCreateTable: true,
      }),
    }),
  ],
  providers: [LifecycleService, CheckoutSessionCacheHealthIndicator],
})
export class DynamoDbConsumerModule {}
