import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamicModule, Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { checkoutSessionCacheConfig } from './checkout-session-cache.config.js';
import {
  CHECKOUT_SESSION_CACHE,
  CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
  CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
} from './checkout-session-cache.constants.js';
import {
  CHECKOUT_SESSION_CACHE_ASYNC_OPTIONS_TYPE,
  CHECKOUT_SESSION_CACHE_OPTIONS_TYPE,
  CheckoutSessionCacheConfigurableModule,
} from './checkout-session-cache.module-definition.js';
import { createCheckoutSessionCacheProviders } from './checkout-session-cache.providers.js';
import type {
  CheckoutSessionCacheDriver,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';

/**
 * Provides the {@link CheckoutSessionCache} port under `CHECKOUT_SESSION_CACHE`.
 * `forRoot('memory' | 'dynamodb' | options)` or `forRootAsync({ useFactory | useClass | useExisting })`;
 * what is not given comes from env through `@nestjs/config`.
 */
@Module({
  imports: [ConfigModule.forFeature(checkoutSessionCacheConfig)],
  providers: createCheckoutSessionCacheProviders(),
  exports: [CHECKOUT_SESSION_CACHE, CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT],
})
export class CheckoutSessionCacheModule extends CheckoutSessionCacheConfigurableModule implements OnModuleDestroy {
  constructor(
    @Inject(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS) private readonly options: ResolvedCheckoutSessionCacheOptions,
    @Inject(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT) private readonly client: DynamoDBClient | null,
  ) {
    super();
  }

  /** Registers the module with a driver name or options; omitted settings come from env. */
  static override forRoot(
    driverOrOptions: CheckoutSessionCacheDriver | typeof CHECKOUT_SESSION_CACHE_OPTIONS_TYPE = {},
  ): DynamicModule {
    return super.forRoot(typeof driverOrOptions === 'string' ? { driver: driverOrOptions } : driverOrOptions);
  }

  /** Registers the module with options from a factory, class or existing provider (same shape as `forRoot`). */
  static override forRootAsync(options: typeof CHECKOUT_SESSION_CACHE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }

  /** Destroys the DynamoDB client the module created (a client passed in options belongs to the caller). */
  onModuleDestroy(): void {
    if (!this.options.client) this.client?.destroy();
  }
}
