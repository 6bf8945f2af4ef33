import { type ConfigurableModuleOptionsFactory, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { withEnv } from '../../../test/support/env.js';
import { InjectCheckoutSessionCache } from './checkout-session-cache.decorators.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';
import { readCheckoutSessionCacheEnv, resolveCheckoutSessionCacheOptions } from './checkout-session-cache.config.js';
import { CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS } from './checkout-session-cache.constants.js';
import { CheckoutSessionCacheModule } from './checkout-session-cache.module.js';
import { CheckoutSessionCacheConfigError } from './errors/checkout-session-cache-config.error.js';
import type {
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';

const configError = (fn: () => unknown): CheckoutSessionCacheConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof CheckoutSessionCacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CheckoutSessionCacheConfigError');
};

describe('readCheckoutSessionCacheEnv', () => {
  it('reads every variable', () => {
    expect(
      readCheckoutSessionCacheEnv({
        CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
        CHECKOUT_SESSION_TTL_HOURS: '0.001',
        AWS_REGION: 'eu-west-1',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'sessions-prod',
        DYNAMODB_MAX_ATTEMPTS: '4',
        DYNAMODB_REQUEST_TIMEOUT_MS: '750',
        DYNAMODB_AUTO_CREATE_TABLE: 'true',
        DYNAMODB_VERIFY_TABLE_ON_STARTUP: 'false',
      }),
    ).toEqual({
      driver: 'dynamodb',
      ttlHours: 0.001,
      region: 'eu-west-1',
      endpoint: 'http://localhost:8000',
      tableName: 'sessions-prod',
      maxAttempts: 4,
      requestTimeoutMs: 750,
      autoCreateTable: true,
      verifyTableOnStartup: false,
    });
  });

  it('treats unset and empty variables as absent', () => {
    expect(readCheckoutSessionCacheEnv({ CHECKOUT_SESSION_TTL_HOURS: '', UNRELATED: 'x' })).toEqual({});
  });

  it.each([
    ['CHECKOUT_SESSION_CACHE_DRIVER', 'redis', 'CHECKOUT_SESSION_CACHE_DRIVER must be "memory" or "dynamodb" (got "redis")'],
    ['CHECKOUT_SESSION_TTL_HOURS', '0', 'CHECKOUT_SESSION_TTL_HOURS must be a positive decimal number (got "0")'],
    ['CHECKOUT_SESSION_TTL_HOURS', '-1', 'CHECKOUT_SESSION_TTL_HOURS must be a positive decimal number (got "-1")'],
    ['CHECKOUT_SESSION_TTL_HOURS', 'abc', 'CHECKOUT_SESSION_TTL_HOURS must be a positive decimal number (got "abc")'],
    ['CHECKOUT_SESSION_TTL_HOURS', '1e3', 'CHECKOUT_SESSION_TTL_HOURS must be a positive decimal number (got "1e3")'],
    ['DYNAMODB_MAX_ATTEMPTS', '0', 'DYNAMODB_MAX_ATTEMPTS must be an integer from 1 to 10 (got "0")'],
    ['DYNAMODB_REQUEST_TIMEOUT_MS', '1.5', 'DYNAMODB_REQUEST_TIMEOUT_MS must be an integer from 50 to 60000 (got "1.5")'],
    ['DYNAMODB_ENDPOINT', 'localhost', 'DYNAMODB_ENDPOINT must be a URL such as http://localhost:8000 (got "localhost")'],
    ['DYNAMODB_CHECKOUT_SESSIONS_TABLE', 'a b', 'DYNAMODB_CHECKOUT_SESSIONS_TABLE must be a DynamoDB table name (got "a b")'],
    ['DYNAMODB_AUTO_CREATE_TABLE', 'yes', 'DYNAMODB_AUTO_CREATE_TABLE must be "true" or "false" (got "yes")'],
    ['DYNAMODB_VERIFY_TABLE_ON_STARTUP', '0', 'DYNAMODB_VERIFY_TABLE_ON_STARTUP must be "true" or "false" (got "0")'],
  ])('rejects %s=%j with a message naming the variable', (name, value, message) => {
    expect(configError(() => readCheckoutSessionCacheEnv({ [name]: value })).issues).toEqual([message]);
  });
});

describe('resolveCheckoutSessionCacheOptions', () => {
  it('defaults to the memory driver, 24 h, the table "checkout-sessions", 3 attempts of 1 s', () => {
    expect(resolveCheckoutSessionCacheOptions({}, {})).toMatchObject({
      driver: 'memory',
      ttlHours: 24,
      tableName: 'checkout-sessions',
      maxAttempts: 3,
      requestTimeoutMs: 1000,
      autoCreateTable: false,
      verifyTableOnStartup: true,
      consistentRead: true,
    });
  });

  it('lets options given in code win over env, and ignores undefined ones', () => {
    const resolved = resolveCheckoutSessionCacheOptions(
      { driver: 'dynamodb', ttlHours: 2, tableName: undefined },
      { driver: 'memory', ttlHours: 5, tableName: 'from-env' },
    );
    expect(resolved).toMatchObject({ driver: 'dynamodb', ttlHours: 2, tableName: 'from-env' });
  });

  it.each([
    [{ ttlHours: 0 }, 'ttlHours'],
    [{ ttlHours: Number.NaN }, 'ttlHours'],
    [{ driver: 'redis' as never }, 'driver'],
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ clock: {} as never }, 'clock'],
  ])('rejects invalid code options %j naming %s', (options, name) => {
    expect(configError(() => resolveCheckoutSessionCacheOptions(options, {})).message).toContain(`${name}:`);
  });
});

describe('CheckoutSessionCacheModule start-up', () => {
  it('stops with a message naming the variable when env is invalid', async () => {
    await withEnv({ CHECKOUT_SESSION_TTL_HOURS: 'zero' }, async () => {
      await expect(Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('memory')] }).compile()).rejects.toThrow(
        'CHECKOUT_SESSION_TTL_HOURS must be a positive decimal number (got "zero")',
      );
    });
  });

  it('takes the driver from CHECKOUT_SESSION_CACHE_DRIVER when forRoot() gets none', async () => {
    await withEnv({ CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }, async () => {
      const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot()] }).compile();
      expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS).driver).toBe('dynamodb');
      await module.close();
    });
  });

  it('accepts options from a forRootAsync useClass and useExisting', async () => {
    @Injectable()
    class CacheOptions implements ConfigurableModuleOptionsFactory<CheckoutSessionCacheModuleOptions, 'create'> {
      create(): CheckoutSessionCacheModuleOptions {
        return { driver: 'memory', ttlHours: 5 };
      }
    }
    @Module({ providers: [CacheOptions], exports: [CacheOptions] })
    class OptionsModule {}

    for (const async of [{ useClass: CacheOptions }, { imports: [OptionsModule], useExisting: CacheOptions }]) {
      const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRootAsync(async)] }).compile();
      expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS).ttlHours).toBe(5);
      await module.close();
    }
  });

  it('registers the port for the whole app with isGlobal', async () => {
    @Injectable()
    class Consumer {
      constructor(@InjectCheckoutSessionCache() readonly cache: CheckoutSessionCache) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}

    const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ driver: 'memory', isGlobal: true }), FeatureModule] }).compile();
    await expect(module.get(Consumer).cache.count({ eventId: 'e' })).resolves.toEqual({ sessions: 0, quantity: 0 });
    await module.close();
    await expect(
      Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ driver: 'memory' }), FeatureModule] }).compile(),
    ).rejects.toThrow(/can't resolve dependencies of the Consumer/);
  });

  it('accepts the same options from a forRootAsync factory', async () => {
    const module = await Test.createTestingModule({
      imports: [CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ driver: 'memory' as const, ttlHours: 3 }) })],
    }).compile();
    expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS)).toMatchObject({
      driver: 'memory',
      ttlHours: 3,
    });
    await module.close();
  });
});
