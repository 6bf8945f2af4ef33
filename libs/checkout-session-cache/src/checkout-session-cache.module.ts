import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import {
  CHECKOUT_SESSION_CACHE,
  CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
  CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
} from './checkout-session-cache.tokens.js';
import {
  CHECKOUT_SESSION_CACHE_ASYNC_OPTIONS_TYPE,
  CHECKOUT_SESSION_CACHE_OPTIONS_TYPE,
  CheckoutSessionCacheConfigurableModule,
} from './checkout-session-cache.module-definition.js';
import {
  CHECKOUT_SESSION_CACHE_PROBE_CLIENT,
  createCheckoutSessionCacheProviders,
  createCustomStoreProviders,
  createEnvOptionsProvider,
} from './checkout-session-cache.providers.js';
import type { LazyDynamoDbClient } from './drivers/dynamodb/dynamodb-client.factory.js';
import type {
  CheckoutSessionCacheDriver,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';

const withProviders = (module: DynamicModule, providers: Provider[]): DynamicModule => ({
  ...module,
  providers: [...(module.providers ?? []), ...providers],
});

/**
 * Provides the {@link CheckoutSessionCache} port under `CHECKOUT_SESSION_CACHE`, with the DynamoDB client
 * (`CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT`) and the resolved options (`CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS`).
 * `forRoot('memory' | 'dynamodb' | options)` completes the options from env; `forRootAsync({ useFactory | useClass |
 * useExisting })` takes only what its factory returns. Both take `store`, an app's own store, instead of a `driver`.
 */
@Module({
  providers: createCheckoutSessionCacheProviders(),
  exports: [CHECKOUT_SESSION_CACHE, CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT, CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
})
export class CheckoutSessionCacheModule extends CheckoutSessionCacheConfigurableModule implements OnApplicationShutdown {
  constructor(
    @Inject(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS) private readonly options: ResolvedCheckoutSessionCacheOptions,
    @Inject(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT) private readonly client: DynamoDBClient | null,
    @Inject(CHECKOUT_SESSION_CACHE_PROBE_CLIENT) private readonly probeClient: LazyDynamoDbClient | null,
  ) {
    super();
  }

  /**
   * Registers the module with a driver name or options (and optionally `store`); omitted settings come from env (the
   * chosen driver's variables only; the TTL only beside a `store`).
   */
  static override forRoot(
    driverOrOptions: CheckoutSessionCacheDriver | typeof CHECKOUT_SESSION_CACHE_OPTIONS_TYPE = {},
  ): DynamicModule {
    const options = typeof driverOrOptions === 'string' ? { driver: driverOrOptions } : driverOrOptions;
    return withProviders(super.forRoot(options), [createEnvOptionsProvider('env'), ...createCustomStoreProviders(options.store)]);
  }

  /**
   * Registers the module with options from a factory, class or existing provider (same shape as `forRoot`, `store`
   * beside the factory); env is not read (call `readCheckoutSessionCacheEnv()` in the factory for that).
   */
  static override forRootAsync(options: typeof CHECKOUT_SESSION_CACHE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withProviders(super.forRootAsync(options), [createEnvOptionsProvider('none'), ...createCustomStoreProviders(options.store)]);
  }

  /**
   * Destroys the DynamoDB clients the module created (a client passed in options belongs to the caller). Nest runs
   * this after the HTTP server has closed, so requests still in flight during shutdown keep their connections.
   */
  onApplicationShutdown(): void {
    if (this.options.client) return;
    this.client?.destroy();
    this.probeClient?.destroy();
  }
}
