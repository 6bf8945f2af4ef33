import { jest } from '@jest/globals';
import { type ConfigurableModuleOptionsFactory, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { withEnv } from '../../../test/support/env.js';
import { InjectCheckoutSessionCache } from './checkout-session-cache.decorators.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';
import { readCheckoutSessionCacheEnv, resolveCheckoutSessionCacheOptions } from './checkout-session-cache.config.js';
import { CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS } from './checkout-session-cache.tokens.js';
import * as publicApi from './index.js';
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
        CHECKOUT_SESSION_HOLD_SECONDS: '2',
        CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '3',
        AWS_REGION: 'eu-west-1',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'sessions-prod',
        DYNAMODB_MAX_ATTEMPTS: '4',
        DYNAMODB_REQUEST_TIMEOUT_MS: '750',
        DYNAMODB_AUTO_CREATE_TABLE: 'true',
        DYNAMODB_VERIFY_TABLE_ON_STARTUP: 'false',
        DYNAMODB_PING_CACHE_MS: '0',
      }),
    ).toEqual({
      driver: 'dynamodb',
      ttlHours: 0.001,
      holdSeconds: 2,
      confirmingHoldSeconds: 3,
      region: 'eu-west-1',
      endpoint: 'http://localhost:8000',
      tableName: 'sessions-prod',
      maxAttempts: 4,
      requestTimeoutMs: 750,
      autoCreateTable: true,
      verifyTableOnStartup: false,
      pingCacheMs: 0,
    });
  });

  it('reads the holds for every driver, as whole seconds, whatever their size (the TTL bounds them once merged)', () => {
    const env = { CHECKOUT_SESSION_HOLD_SECONDS: ' 300 ', CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '999999' };
    for (const driver of [undefined, 'memory', 'dynamodb'] as const) {
      expect(readCheckoutSessionCacheEnv(env, driver)).toEqual({ ...(driver && { driver }), holdSeconds: 300, confirmingHoldSeconds: 999_999 });
    }
    expect(readCheckoutSessionCacheEnv({ CHECKOUT_SESSION_HOLD_SECONDS: '', CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '' })).toEqual({});
  });

  it.each([
    ['CHECKOUT_SESSION_HOLD_SECONDS', '0'],
    ['CHECKOUT_SESSION_HOLD_SECONDS', '-1'],
    ['CHECKOUT_SESSION_HOLD_SECONDS', '1.5'],
    ['CHECKOUT_SESSION_HOLD_SECONDS', '10m'],
    ['CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS', '0'],
    ['CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS', '1e3'],
  ])('rejects %s=%j for every driver, naming the variable', (name, value) => {
    for (const driver of ['memory', 'dynamodb'] as const) {
      expect(configError(() => readCheckoutSessionCacheEnv({ [name]: value }, driver)).issues).toEqual([
        `${name} must be an integer from 1 to the TTL in seconds (got ${JSON.stringify(value)})`,
      ]);
    }
  });

  it('treats unset and empty variables as absent', () => {
    expect(readCheckoutSessionCacheEnv({ CHECKOUT_SESSION_TTL_HOURS: '', UNRELATED: 'x' })).toEqual({});
  });

  it("reads and validates only the chosen driver's variables", () => {
    // Variables meant for other clients of the app, invalid for this module, do not concern the memory driver.
    const foreign = { DYNAMODB_ENDPOINT: 'localhost', DYNAMODB_MAX_ATTEMPTS: 'many', AWS_REGION: 'eu-west-1', CHECKOUT_SESSION_TTL_HOURS: '2' };
    expect(readCheckoutSessionCacheEnv({ ...foreign, CHECKOUT_SESSION_CACHE_DRIVER: 'memory' })).toEqual({ driver: 'memory', ttlHours: 2 });
    expect(readCheckoutSessionCacheEnv(foreign)).toEqual({ ttlHours: 2 });
    expect(readCheckoutSessionCacheEnv({ ...foreign, CHECKOUT_SESSION_CACHE_DRIVER: 'redis' }, 'memory')).toEqual({ driver: 'memory', ttlHours: 2 });
    expect(configError(() => readCheckoutSessionCacheEnv(foreign, 'dynamodb')).issues).toEqual([
      'DYNAMODB_ENDPOINT must be a URL such as http://localhost:8000 (got "localhost")',
      'DYNAMODB_MAX_ATTEMPTS must be an integer from 1 to 10 (got "many")',
    ]);
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
    ['DYNAMODB_PING_CACHE_MS', '-1', 'DYNAMODB_PING_CACHE_MS must be an integer from 0 to 300000 (got "-1")'],
  ])('rejects %s=%j with a message naming the variable', (name, value, message) => {
    const env = { CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb', [name]: value };
    expect(configError(() => readCheckoutSessionCacheEnv(env)).issues).toEqual([message]);
  });
});

describe('resolveCheckoutSessionCacheOptions', () => {
  it('defaults to the memory driver, 24 h, the table "checkout-sessions", 3 attempts of 1 s', () => {
    expect(resolveCheckoutSessionCacheOptions({}, {}, 'development')).toMatchObject({
      driver: 'memory',
      ttlHours: 24,
      tableName: 'checkout-sessions',
      maxAttempts: 3,
      requestTimeoutMs: 1000,
      autoCreateTable: false,
      verifyTableOnStartup: true,
      pingCacheMs: 5000,
      consistentRead: true,
    });
  });

  it('holds 600 s from creation and 900 s from CONFIRMING by default', () => {
    expect(resolveCheckoutSessionCacheOptions({}, {}, 'development')).toMatchObject({ holdSeconds: 600, confirmingHoldSeconds: 900 });
  });

  it.each([
    [0.05, 180, 180],
    [0.2, 600, 720],
    [0.25, 600, 900],
    [1 / 3600, 1, 1],
    [0.0005, 1, 1],
  ])('caps the default holds at the TTL: ttlHours %d holds %d s and %d s', (ttlHours, holdSeconds, confirmingHoldSeconds) => {
    expect(resolveCheckoutSessionCacheOptions({ ttlHours }, {}, 'development')).toMatchObject({ ttlHours, holdSeconds, confirmingHoldSeconds });
    expect(resolveCheckoutSessionCacheOptions({}, { ttlHours }, 'development')).toMatchObject({ holdSeconds, confirmingHoldSeconds });
  });

  it.each(['holdSeconds', 'confirmingHoldSeconds'] as const)('accepts %s from 1 up to the TTL in seconds, from code or env', (key) => {
    for (const value of [1, 179, 180]) {
      expect(resolveCheckoutSessionCacheOptions({ ttlHours: 0.05, [key]: value }, {})[key]).toBe(value);
      expect(resolveCheckoutSessionCacheOptions({}, { ttlHours: 0.05, [key]: value })[key]).toBe(value);
    }
    expect(resolveCheckoutSessionCacheOptions({ [key]: 86_400 }, {})[key]).toBe(86_400);
  });

  it.each([
    ['holdSeconds', 0],
    ['holdSeconds', -5],
    ['holdSeconds', 1.5],
    ['holdSeconds', 181],
    ['confirmingHoldSeconds', 0],
    ['confirmingHoldSeconds', 1.5],
    ['confirmingHoldSeconds', 181],
  ] as const)('rejects %s %d in code, naming the option and its bounds', (key, value) => {
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: 0.05, [key]: value }, {})).message).toBe(
      `Invalid checkout-session-cache configuration: ${key}: must be an integer from 1 to 180, the TTL in seconds (got ${value})`,
    );
  });

  it('bounds the holds by the TTL in whole milliseconds, as the port measures it, whatever the rounding of ttlHours', () => {
    // 0.145 h is 521 999.99… ms in floating point: a hold of 522 s would outlast it, and the port refuses it per create.
    expect(resolveCheckoutSessionCacheOptions({ ttlHours: 0.145, holdSeconds: 521 }, {})).toMatchObject({ holdSeconds: 521, confirmingHoldSeconds: 521 });
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: 0.145, holdSeconds: 522 }, {})).issues).toEqual([
      'holdSeconds: must be an integer from 1 to 521, the TTL in seconds (got 522)',
    ]);
  });

  it('names the variable too when the hold beyond the TTL came from env, whatever set the TTL', () => {
    // The variables passed their own check (whole seconds of at least 1); the TTL, here from code, bounds them.
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: 0.05 }, { holdSeconds: 600, confirmingHoldSeconds: 900 })).issues).toEqual([
      'holdSeconds (CHECKOUT_SESSION_HOLD_SECONDS): must be an integer from 1 to 180, the TTL in seconds (got 600)',
      'confirmingHoldSeconds (CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS): must be an integer from 1 to 180, the TTL in seconds (got 900)',
    ]);
    expect(configError(() => resolveCheckoutSessionCacheOptions({}, readCheckoutSessionCacheEnv({ CHECKOUT_SESSION_HOLD_SECONDS: '86401' }))).issues).toEqual([
      'holdSeconds (CHECKOUT_SESSION_HOLD_SECONDS): must be an integer from 1 to 86400, the TTL in seconds (got 86401)',
    ]);
    // A hold given in code wins over env, and is named as an option.
    expect(configError(() => resolveCheckoutSessionCacheOptions({ holdSeconds: 86_401 }, { holdSeconds: 5 })).issues).toEqual([
      'holdSeconds: must be an integer from 1 to 86400, the TTL in seconds (got 86401)',
    ]);
    expect(resolveCheckoutSessionCacheOptions({ holdSeconds: 5 }, { holdSeconds: 86_401 }).holdSeconds).toBe(5);
  });

  it('reports the holds beside the other invalid options, and leaves a hold that is no number to the type check', () => {
    expect(configError(() => resolveCheckoutSessionCacheOptions({ maxAttempts: 0, holdSeconds: 0, confirmingHoldSeconds: 'x' as never }, {})).issues).toEqual([
      'confirmingHoldSeconds: Invalid input: expected number, received string',
      'maxAttempts: Too small: expected number to be >=1',
      'holdSeconds: must be an integer from 1 to 86400, the TTL in seconds (got 0)',
    ]);
    expect(configError(() => resolveCheckoutSessionCacheOptions({ holdSeconds: Number.NaN }, {})).issues).toEqual([
      'holdSeconds: Invalid input: expected number, received NaN',
    ]);
    // An invalid TTL bounds nothing: only its own issue.
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: -1, holdSeconds: 600 }, {})).issues).toEqual([
      'ttlHours: Too small: expected number to be >0',
    ]);
  });

  it('refuses a TTL shorter than one second, which no hold fits, naming where it came from', () => {
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: 0.0002 }, {})).issues).toEqual([
      'ttlHours: must be at least one second (1/3600 h), the shortest hold (got 0.0002)',
    ]);
    expect(configError(() => resolveCheckoutSessionCacheOptions({}, { ttlHours: 0.0002 })).issues).toEqual([
      'ttlHours (CHECKOUT_SESSION_TTL_HOURS): must be at least one second (1/3600 h), the shortest hold (got 0.0002)',
    ]);
  });

  it('refuses an option it does not know, naming it, whatever its value', () => {
    const typo = { driver: 'memory', ttlHour: 1 } as CheckoutSessionCacheModuleOptions;
    expect(configError(() => resolveCheckoutSessionCacheOptions(typo, {})).message).toBe(
      'Invalid checkout-session-cache configuration: unknown option(s): ttlHour',
    );
    const several = { holdSecond: undefined, tablename: 't', ttlHours: 2 } as CheckoutSessionCacheModuleOptions;
    expect(configError(() => resolveCheckoutSessionCacheOptions(several, { region: 'eu-west-1' }, 'development', true)).issues).toEqual([
      'unknown option(s): holdSecond, tablename',
    ]);
    // Before the driver checks, so a misspelt driver is named rather than reported missing in production.
    expect(configError(() => resolveCheckoutSessionCacheOptions({ drivr: 'dynamodb' } as CheckoutSessionCacheModuleOptions, {}, 'production')).issues).toEqual([
      'unknown option(s): drivr',
    ]);
  });

  it('takes isGlobal and store, which the module builder may leave among the options, for no unknown options', () => {
    const extras = (store: unknown) => ({ isGlobal: true, store, ttlHours: 2 }) as CheckoutSessionCacheModuleOptions;
    const resolved = resolveCheckoutSessionCacheOptions(extras({}), {}, 'development', true);
    expect(resolved).toMatchObject({ driver: 'custom', ttlHours: 2 });
    expect(resolved).not.toHaveProperty('store');
    expect(resolved).not.toHaveProperty('isGlobal');
    expect(resolveCheckoutSessionCacheOptions(extras(undefined), {}, 'development')).toMatchObject({ driver: 'memory', ttlHours: 2 });
  });

  it('refuses to default to the memory driver in production, naming CHECKOUT_SESSION_CACHE_DRIVER', () => {
    expect(configError(() => resolveCheckoutSessionCacheOptions({ ttlHours: 2 }, {}, 'production')).message).toContain(
      'no driver chosen while NODE_ENV is "production": set CHECKOUT_SESSION_CACHE_DRIVER',
    );
    expect(resolveCheckoutSessionCacheOptions({}, { driver: 'dynamodb' }, 'production').driver).toBe('dynamodb');
    expect(resolveCheckoutSessionCacheOptions({ driver: 'memory' }, {}, 'production').driver).toBe('memory');
  });

  it('lets options given in code win over env, and ignores undefined ones', () => {
    const resolved = resolveCheckoutSessionCacheOptions(
      { driver: 'dynamodb', ttlHours: 2, tableName: undefined },
      { driver: 'memory', ttlHours: 5, tableName: 'from-env' },
    );
    expect(resolved).toMatchObject({ driver: 'dynamodb', ttlHours: 2, tableName: 'from-env' });
  });

  it.each([
    [{ ttlHours: 0 }, 'ttlHours: Too small: expected number to be >0'],
    [{ ttlHours: Number.NaN }, 'ttlHours: Invalid input: expected number, received NaN'],
    [{ driver: 'redis' as never }, 'driver: Invalid option: expected one of "memory"|"dynamodb"'],
    [{ maxAttempts: 0 }, 'maxAttempts: Too small: expected number to be >=1'],
    [{ requestTimeoutMs: 60_001 }, 'requestTimeoutMs: Too big: expected number to be <=60000'],
    [{ sweepIntervalMs: 1.5 }, 'sweepIntervalMs: Invalid input: expected int, received number'],
    [{ endpoint: 'not a url' }, 'endpoint: Invalid URL'],
    [{ autoCreateTable: 'yes' as never }, 'autoCreateTable: Invalid input: expected boolean, received string'],
    [{ clock: {} as never }, 'clock: must have a now() method'],
  ])('rejects invalid code options %j with the message "%s"', (options, message) => {
    // zod/mini has no messages of its own: the library passes zod's English ones at each parse, whatever the app's zod.
    expect(configError(() => resolveCheckoutSessionCacheOptions(options, {})).message).toBe(
      `Invalid checkout-session-cache configuration: ${message}`,
    );
  });

  it('names AWS_REGION when it is blank', () => {
    expect(configError(() => readCheckoutSessionCacheEnv({ AWS_REGION: '  ' }, 'dynamodb')).message).toBe(
      'Invalid checkout-session-cache configuration: AWS_REGION must not be blank',
    );
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

  it('stops naming CHECKOUT_SESSION_HOLD_SECONDS when it is invalid, or beyond the TTL set in code', async () => {
    await withEnv({ CHECKOUT_SESSION_HOLD_SECONDS: '0' }, async () => {
      await expect(Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('memory')] }).compile()).rejects.toThrow(
        'CHECKOUT_SESSION_HOLD_SECONDS must be an integer from 1 to the TTL in seconds (got "0")',
      );
    });
    await withEnv({ CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '900', CHECKOUT_SESSION_TTL_HOURS: undefined }, async () => {
      const short = CheckoutSessionCacheModule.forRoot({ driver: 'memory', ttlHours: 0.05 });
      await expect(Test.createTestingModule({ imports: [short] }).compile()).rejects.toThrow(
        'confirmingHoldSeconds (CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS): must be an integer from 1 to 180, the TTL in seconds (got 900)',
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

  it('starts forRoot("memory") although DynamoDB variables meant for another client are invalid', async () => {
    await withEnv({ DYNAMODB_ENDPOINT: 'dynamodb.internal', CHECKOUT_SESSION_CACHE_DRIVER: undefined }, async () => {
      const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('memory')] }).compile();
      expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS).driver).toBe('memory');
      await module.close();
      await expect(Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('dynamodb')] }).compile()).rejects.toThrow(
        'DYNAMODB_ENDPOINT must be a URL',
      );
    });
  });

  it('takes in forRootAsync only what the factory returns, and env when the factory reads it', async () => {
    const env = { CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'from-env', CHECKOUT_SESSION_TTL_HOURS: 'zero' };
    await withEnv(env, async () => {
      const factoryOnly = await Test.createTestingModule({
        imports: [CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ driver: 'dynamodb' as const, ttlHours: 2 }) })],
      }).compile();
      const resolved = factoryOnly.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS);
      expect(resolved).toMatchObject({ driver: 'dynamodb', ttlHours: 2, tableName: 'checkout-sessions' });
      expect(resolved.endpoint).toBeUndefined();
      await factoryOnly.close();

      const fromEnv = await Test.createTestingModule({
        imports: [CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ ...readCheckoutSessionCacheEnv({ ...process.env, CHECKOUT_SESSION_TTL_HOURS: '3' }) }) })],
      }).compile();
      expect(fromEnv.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS)).toMatchObject({
        driver: 'dynamodb',
        endpoint: 'http://127.0.0.1:9',
        tableName: 'from-env',
        ttlHours: 3,
      });
      await fromEnv.close();
    });
  });

  it.each([
    ['names no driver', undefined],
    ['names the memory driver', 'memory'],
    ['names the dynamodb driver', 'dynamodb'],
  ])('reads the DynamoDB env in a forRootAsync factory that passes the driver, when the env %s', async (_case, envDriver) => {
    const env = { CHECKOUT_SESSION_CACHE_DRIVER: envDriver, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1', CHECKOUT_SESSION_TTL_HOURS: '3' };
    await withEnv(env, async () => {
      const module = await Test.createTestingModule({
        imports: [
          CheckoutSessionCacheModule.forRootAsync({
            useFactory: () => ({ ...readCheckoutSessionCacheEnv(process.env, 'dynamodb'), tableName: 'from-factory', verifyTableOnStartup: false }),
          }),
        ],
      }).compile();
      expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS)).toMatchObject({
        driver: 'dynamodb',
        endpoint: 'http://127.0.0.1:9',
        region: 'eu-west-1',
        tableName: 'from-factory',
        ttlHours: 3,
      });
      await module.close();
    });
  });

  it('fails start-up in production when no driver is chosen, and warns when memory is chosen there', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      await withEnv({ NODE_ENV: 'production', CHECKOUT_SESSION_CACHE_DRIVER: undefined }, async () => {
        await expect(Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot()] }).compile()).rejects.toThrow(
          'CHECKOUT_SESSION_CACHE_DRIVER',
        );
        await expect(
          Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ ttlHours: 1 }) })] }).compile(),
        ).rejects.toThrow('CHECKOUT_SESSION_CACHE_DRIVER');
        expect(warn).not.toHaveBeenCalled();
        const module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('memory')] }).compile();
        await module.close();
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('memory driver runs with NODE_ENV=production'));
      });
    } finally {
      warn.mockRestore();
    }
  });

  it('lets an importing module inject every token the package exports', async () => {
    const tokens = Object.entries(publicApi as Record<string, unknown>).filter((entry): entry is [string, symbol] => typeof entry[1] === 'symbol');
    expect(tokens.map(([name]) => name).sort()).toEqual([
      'CHECKOUT_SESSION_CACHE',
      'CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT',
      'CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS',
    ]);
    @Injectable()
    class Consumer {
      constructor(@Inject(tokens[0]![1]) readonly a: unknown, @Inject(tokens[1]![1]) readonly b: unknown, @Inject(tokens[2]![1]) readonly c: unknown) {}
    }
    @Module({ imports: [CheckoutSessionCacheModule.forRoot('memory')], providers: [Consumer] })
    class FeatureModule {}
    const module = await Test.createTestingModule({ imports: [FeatureModule] }).compile();
    expect(module.get(Consumer).c).toMatchObject({ driver: 'memory' });
    await module.close();
  });
});
