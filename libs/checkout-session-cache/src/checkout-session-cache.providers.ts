import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger, type Provider, type Type } from '@nestjs/common';
import { readCheckoutSessionCacheEnv, resolveCheckoutSessionCacheOptions } from './checkout-session-cache.config.js';
import {
  CHECKOUT_SESSION_CACHE,
  CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
  CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
} from './checkout-session-cache.tokens.js';
import { CHECKOUT_SESSION_CACHE_MODULE_OPTIONS } from './checkout-session-cache.module-definition.js';
import { CheckoutSessionCacheService } from './checkout-session-cache.service.js';
import { createCheckoutSessionDynamoDbClient, LazyDynamoDbClient } from './drivers/dynamodb/dynamodb-client.factory.js';
import { DynamoDbCheckoutSessionStore } from './drivers/dynamodb/dynamodb-checkout-session.store.js';
import { MemoryCheckoutSessionStore } from './drivers/memory/memory-checkout-session.store.js';
import { CheckoutSessionCacheConfigError } from './errors/checkout-session-cache-config.error.js';
import type {
  CheckoutSessionCacheDriver,
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionStore } from './interfaces/checkout-session-store.interface.js';

/** Internal token of the options read from env: `forRoot` reads them, `forRootAsync` does not. */
const CHECKOUT_SESSION_CACHE_ENV_OPTIONS = Symbol('CHECKOUT_SESSION_CACHE_ENV_OPTIONS');
/** Internal token of the storage driver behind the port. */
const CHECKOUT_SESSION_STORE = Symbol('CHECKOUT_SESSION_STORE');
/** Internal token of the app's own store given in the `store` option, `null` without one. */
const CHECKOUT_SESSION_CUSTOM_STORE = Symbol('CHECKOUT_SESSION_CUSTOM_STORE');
/** Internal token of whether the module was given a `store`, known before any provider is instantiated. */
const CHECKOUT_SESSION_CUSTOM_STORE_GIVEN = Symbol('CHECKOUT_SESSION_CUSTOM_STORE_GIVEN');
/**
 * Internal token of the client of the health probe, a {@link LazyDynamoDbClient} created on the first ping: one
 * attempt, so a probe never retries against a failing store.
 */
export const CHECKOUT_SESSION_CACHE_PROBE_CLIENT = Symbol('CHECKOUT_SESSION_CACHE_PROBE_CLIENT');

/** The DynamoDB client of the module's data calls: the one given in options, or one it creates. */
function createDynamoDbClient(options: ResolvedCheckoutSessionCacheOptions): DynamoDBClient | null {
  if (options.driver !== 'dynamodb') return null;
  return options.client ?? createCheckoutSessionDynamoDbClient(options);
}

/** The health probe's client, created on the first ping: the one given in options, or one of its own with one attempt. */
function createProbeClient(options: ResolvedCheckoutSessionCacheOptions): LazyDynamoDbClient | null {
  if (options.driver !== 'dynamodb') return null;
  return new LazyDynamoDbClient(() => options.client ?? createCheckoutSessionDynamoDbClient({ ...options, maxAttempts: 1 }));
}

/** A built-in driver: how it is made from the resolved options and the module's DynamoDB clients. */
type BuiltInStoreFactory = (
  options: ResolvedCheckoutSessionCacheOptions,
  client: DynamoDBClient | null,
  probeClient: LazyDynamoDbClient | null,
) => CheckoutSessionStore;

/** The two built-in implementations of the store, by `driver`. */
const BUILT_IN_STORES: Record<CheckoutSessionCacheDriver, BuiltInStoreFactory> = {
  memory: (options) => new MemoryCheckoutSessionStore(options.clock, options.sweepIntervalMs),
  dynamodb: (options, client, probeClient) => new DynamoDbCheckoutSessionStore(client!, options, () => probeClient!.get()),
};

/** The methods the port calls on a store: what the `store` option is checked for at start-up. */
const STORE_METHODS = ['insert', 'get', 'transition', 'delete', 'count', 'setStock', 'returnTickets', 'availability', 'ping', 'init', 'close'] as const satisfies readonly (keyof CheckoutSessionStore)[];

/** The store behind the port: the app's own when the module was given one, else the built-in `options.driver`. */
export function createCheckoutSessionStore(
  options: ResolvedCheckoutSessionCacheOptions,
  client: DynamoDBClient | null,
  probeClient: LazyDynamoDbClient | null,
  custom: CheckoutSessionStore | null,
): CheckoutSessionStore {
  // resolveCheckoutSessionCacheOptions sets the driver to `custom` exactly when a store is given.
  if (options.driver !== 'custom') return BUILT_IN_STORES[options.driver as CheckoutSessionCacheDriver](options, client, probeClient);
  const missing = STORE_METHODS.filter((method) => typeof (custom as Partial<Record<string, unknown>> | null)?.[method] !== 'function');
  if (missing.length > 0) {
    throw new CheckoutSessionCacheConfigError([`store must be a CheckoutSessionStore (an instance or a class); it has no ${missing.join(', ')}`]);
  }
  return custom!;
}

/** The providers of the `store` option: the app's store (an instance, or a class Nest instantiates) and whether there is one. */
export function createCustomStoreProviders(store: CheckoutSessionStore | Type<CheckoutSessionStore> | undefined): Provider[] {
  const custom: Provider =
    store === undefined
      ? { provide: CHECKOUT_SESSION_CUSTOM_STORE, useValue: null }
      : typeof store === 'function'
        ? { provide: CHECKOUT_SESSION_CUSTOM_STORE, useClass: store }
        : { provide: CHECKOUT_SESSION_CUSTOM_STORE, useValue: store };
  return [custom, { provide: CHECKOUT_SESSION_CUSTOM_STORE_GIVEN, useValue: store !== undefined }];
}

/**
 * What `forRoot` reads from env beside a custom store: the variables every driver reads (the TTL and the holds), no
 * driver. Reading them for the memory driver reads exactly those, and names the driver, which is dropped.
 */
function readCustomStoreEnv(): CheckoutSessionCacheModuleOptions {
  const { driver: _driver, ...common } = readCheckoutSessionCacheEnv(process.env, 'memory');
  return common;
}

/**
 * The provider of the options read from env: `forRoot` reads only the chosen driver's variables (only the TTL and the
 * holds beside a custom store), `forRootAsync` none.
 */
export function createEnvOptionsProvider(source: 'env' | 'none'): Provider {
  if (source === 'none') return { provide: CHECKOUT_SESSION_CACHE_ENV_OPTIONS, useValue: {} };
  return {
    provide: CHECKOUT_SESSION_CACHE_ENV_OPTIONS,
    useFactory: (code: CheckoutSessionCacheModuleOptions, customStore: boolean) =>
      customStore ? readCustomStoreEnv() : readCheckoutSessionCacheEnv(process.env, code.driver),
    inject: [CHECKOUT_SESSION_CACHE_MODULE_OPTIONS, CHECKOUT_SESSION_CUSTOM_STORE_GIVEN],
  };
}

/** Resolves the options; warns when production runs on the memory driver, which each instance holds on its own. */
function resolveOptions(
  code: CheckoutSessionCacheModuleOptions,
  env: CheckoutSessionCacheModuleOptions,
  customStore: boolean,
): ResolvedCheckoutSessionCacheOptions {
  const options = resolveCheckoutSessionCacheOptions(code, env, process.env.NODE_ENV, customStore);
  if (options.driver === 'memory' && process.env.NODE_ENV === 'production') {
    new Logger('CheckoutSessionCache').warn(
      'The memory driver runs with NODE_ENV=production: each instance keeps and counts only its own sessions and loses them on restart',
    );
  }
  return options;
}

/** Providers of the module (beside the env options and the `store` option's): resolved options, DynamoDB clients, the store and the port. */
export function createCheckoutSessionCacheProviders(): Provider[] {
  return [
    {
      provide: CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
      useFactory: resolveOptions,
      inject: [CHECKOUT_SESSION_CACHE_MODULE_OPTIONS, CHECKOUT_SESSION_CACHE_ENV_OPTIONS, CHECKOUT_SESSION_CUSTOM_STORE_GIVEN],
    },
    {
      provide: CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
      useFactory: createDynamoDbClient,
      inject: [CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
    },
    {
      provide: CHECKOUT_SESSION_CACHE_PROBE_CLIENT,
      useFactory: createProbeClient,
      inject: [CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
    },
    {
      provide: CHECKOUT_SESSION_STORE,
      useFactory: createCheckoutSessionStore,
      inject: [
        CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
        CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
        CHECKOUT_SESSION_CACHE_PROBE_CLIENT,
        CHECKOUT_SESSION_CUSTOM_STORE,
      ],
    },
    {
      provide: CHECKOUT_SESSION_CACHE,
      useFactory: (store: CheckoutSessionStore, options: ResolvedCheckoutSessionCacheOptions) =>
        new CheckoutSessionCacheService(store, options.clock, options),
      inject: [CHECKOUT_SESSION_STORE, CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS],
    },
  ];
}
