import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Provider } from '@nestjs/common';
import { checkoutSessionCacheConfig, resolveCheckoutSessionCacheOptions } from './checkout-session-cache.config.js';
import {
  CHECKOUT_SESSION_CACHE,
  CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
  CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
  CHECKOUT_SESSION_STORE,
} from './checkout-session-cache.constants.js';
import { CHECKOUT_SESSION_CACHE_MODULE_OPTIONS } from './checkout-session-cache.module-definition.js';
import { CheckoutSessionCacheService } from './checkout-session-cache.service.js';
import { createCheckoutSessionDynamoDbClient } from './drivers/dynamodb/dynamodb-client.factory.js';
import { DynamoDbCheckoutSessionStore } from './drivers/dynamodb/dynamodb-checkout-session.store.js';
import { MemoryCheckoutSessionStore } from './drivers/memory/memory-checkout-session.store.js';
import type {
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionStore } from './interfaces/checkout-session-store.interface.js';

/** Creates the storage driver selected by `options.driver`: the one place that switches on the driver. */
export function createCheckoutSessionStore(
  options: ResolvedCheckoutSessionCacheOptions,
  client: DynamoDBClient | null,
): CheckoutSessionStore {
  switch (options.driver) {
    case 'memory':
      return new MemoryCheckoutSessionStore(options.clock, options.sweepIntervalMs);
    case 'dynamodb':
      return new DynamoDbCheckoutSessionStore(client!, options);
  }
}

/** Providers of the module: resolved options, the DynamoDB client, the driver and the port. */
export function createCheckoutSessionCacheProviders(): Provider[] {
  return [
    {
      provide: CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
      useFactory: (code: CheckoutSessionCacheModuleOptions, env: CheckoutSessionCacheModuleOptions) =>
        resolveCheckoutSessionCacheOptions(code, env),
      inject: [CHECKOUT_SESSION_CACHE_MODULE_OPTIONS, checkoutSessionCacheConfig.KEY],
    },
    {
      provide: CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
      useFactory: (options: ResolvedCheckoutSessionCacheOptions): DynamoDBClient | null =>
        options.driver === 'dynamodb' ? (options.client ?? createCheckoutSessionDynamoDbClient(options)) : null,
      inject: [CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
    },
    {
      provide: CHECKOUT_SESSION_STORE,
      useFactory: createCheckoutSessionStore,
      inject: [CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS, CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT],
    },
    {
      provide: CHECKOUT_SESSION_CACHE,
      useFactory: (store: CheckoutSessionStore, options: ResolvedCheckoutSessionCacheOptions) =>
        new CheckoutSessionCacheService(store, options.clock, options.ttlHours),
      inject: [CHECKOUT_SESSION_STORE, CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
    },
  ];
}
