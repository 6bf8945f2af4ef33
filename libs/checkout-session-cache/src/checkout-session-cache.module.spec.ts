import { jest } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { MapCheckoutSessionStore } from '../../../test/custom-store/map-checkout-session.store.js';
import { withEnv } from '../../../test/support/env.js';
import {
  CHECKOUT_SESSION_CACHE,
  CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT,
  CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS,
} from './checkout-session-cache.tokens.js';
import { CheckoutSessionCacheModule } from './checkout-session-cache.module.js';
import { CheckoutSessionCacheConfigError } from './errors/checkout-session-cache-config.error.js';
import type {
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';

/** A store Nest instantiates, with the resolved options injected. */
@Injectable()
class OptionsAwareStore extends MapCheckoutSessionStore {
  constructor(@Inject(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS) readonly options: ResolvedCheckoutSessionCacheOptions) {
    super();
  }
}

const input = { eventId: 'e', priceId: 'p', quantity: 2 };

describe('CheckoutSessionCacheModule with a store of the app', () => {
  let module: TestingModule | undefined;
  afterEach(async () => {
    await module?.close();
    module = undefined;
  });

  it('serves the port from a store instance, calls its init() and close(), and creates no DynamoDB client', async () => {
    const store = new MapCheckoutSessionStore();
    const init = jest.spyOn(store, 'init');
    const close = jest.spyOn(store, 'close');
    module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store, ttlHours: 1 })] }).compile();
    await module.init();
    expect(init).toHaveBeenCalledTimes(1);
    const cache = module.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE);
    const created = await cache.create(input);
    await expect(store.get(created.id, Date.now())).resolves.toEqual(created);
    expect(module.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS).driver).toBe('custom');
    expect(module.get(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT)).toBeNull();
    await module.close();
    module = undefined;
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('instantiates a store class in the module, with the resolved options injected, from forRoot and forRootAsync', async () => {
    for (const imported of [
      CheckoutSessionCacheModule.forRoot({ store: OptionsAwareStore, ttlHours: 3 }),
      CheckoutSessionCacheModule.forRootAsync({ store: OptionsAwareStore, useFactory: () => ({ ttlHours: 3 }) }),
    ]) {
      @Injectable()
      class Probe {
        constructor(@Inject(CHECKOUT_SESSION_CACHE) readonly cache: CheckoutSessionCache) {}
      }
      @Module({ imports: [imported], providers: [Probe] })
      class AppModule {}
      module = await Test.createTestingModule({ imports: [AppModule] }).compile();
      await module.init();
      const created = await module.get(Probe).cache.create(input);
      expect(created.expiresAt.getTime() - created.createdAt.getTime()).toBeGreaterThanOrEqual(3 * 3_600_000);
      await expect(module.get(Probe).cache.held({ eventId: 'e', priceId: 'p' })).resolves.toBe(2);
      await module.close();
      module = undefined;
    }
  });

  it('refuses a store and a driver together', async () => {
    await expect(
      Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store: new MapCheckoutSessionStore(), driver: 'memory' })] }).compile(),
    ).rejects.toThrow('both a store and the driver "memory" are given: give one of them');
  });

  it.each([
    ['null', null, 'insert, get, transition, delete, count, setStock, returnTickets, availability, ping, init, close'],
    ['an object missing methods', { insert: () => undefined, get: () => undefined }, 'transition, delete, count, setStock, returnTickets, availability, ping, init, close'],
    ['a class that is no store', class NotAStore {}, 'insert, get, transition, delete, count, setStock, returnTickets, availability, ping, init, close'],
  ])('refuses a store that is %s, naming what it lacks', async (_what, store, missing) => {
    const compiled = Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store: store as never })] }).compile();
    await expect(compiled).rejects.toBeInstanceOf(CheckoutSessionCacheConfigError);
    await expect(compiled).rejects.toThrow(`store must be a CheckoutSessionStore (an instance or a class); it has no ${missing}`);
  });

  it('reads only the TTL and the holds from env beside a store, and starts in production without a driver', async () => {
    const env = {
      NODE_ENV: 'production',
      CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
      DYNAMODB_ENDPOINT: 'not a url',
      CHECKOUT_SESSION_TTL_HOURS: '4',
    };
    await withEnv(env, async () => {
      module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store: new MapCheckoutSessionStore() })] }).compile();
    });
    expect(module!.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS)).toMatchObject({ driver: 'custom', ttlHours: 4 });
  });
});

describe('CheckoutSessionCacheModule options', () => {
  let module: TestingModule | undefined;
  afterEach(async () => {
    await module?.close();
    module = undefined;
  });

  const resolvedOf = (compiled: TestingModule) => compiled.get<ResolvedCheckoutSessionCacheOptions>(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS);
  /** No env variable of the module set, so that only what a test gives counts. */
  const noEnv = {
    CHECKOUT_SESSION_CACHE_DRIVER: undefined,
    CHECKOUT_SESSION_TTL_HOURS: undefined,
    CHECKOUT_SESSION_HOLD_SECONDS: undefined,
    CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: undefined,
  };

  it('resolves the holds to 600 s and 900 s by default, and to the whole TTL when it is shorter', async () => {
    await withEnv(noEnv, async () => {
      module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot('memory')] }).compile();
      expect(resolvedOf(module)).toMatchObject({ ttlHours: 24, holdSeconds: 600, confirmingHoldSeconds: 900 });
      await module.close();
      module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ driver: 'memory', ttlHours: 0.05 })] }).compile();
      expect(resolvedOf(module)).toMatchObject({ holdSeconds: 180, confirmingHoldSeconds: 180 });
    });
  });

  it('reads both holds from env in forRoot, for a driver and beside a store', async () => {
    const env = { ...noEnv, CHECKOUT_SESSION_HOLD_SECONDS: '120', CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: '240' };
    await withEnv(env, async () => {
      for (const imported of [CheckoutSessionCacheModule.forRoot('memory'), CheckoutSessionCacheModule.forRoot({ store: new MapCheckoutSessionStore() })]) {
        module = await Test.createTestingModule({ imports: [imported] }).compile();
        expect(resolvedOf(module)).toMatchObject({ holdSeconds: 120, confirmingHoldSeconds: 240 });
        await module.close();
        module = undefined;
      }
      // forRootAsync reads no env: the defaults.
      module = await Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ driver: 'memory' as const }) })] }).compile();
      expect(resolvedOf(module)).toMatchObject({ holdSeconds: 600, confirmingHoldSeconds: 900 });
    });
  });

  it('stops start-up on a hold in env that is invalid, or beyond the TTL, naming the variable, beside a store too', async () => {
    const store = new MapCheckoutSessionStore();
    await withEnv({ ...noEnv, CHECKOUT_SESSION_HOLD_SECONDS: '1.5' }, async () => {
      await expect(Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store })] }).compile()).rejects.toThrow(
        'CHECKOUT_SESSION_HOLD_SECONDS must be an integer from 1 to the TTL in seconds (got "1.5")',
      );
    });
    await withEnv({ ...noEnv, CHECKOUT_SESSION_TTL_HOURS: '0.05', CHECKOUT_SESSION_HOLD_SECONDS: '181' }, async () => {
      for (const imported of [CheckoutSessionCacheModule.forRoot('dynamodb'), CheckoutSessionCacheModule.forRoot({ store })]) {
        const compiled = Test.createTestingModule({ imports: [imported] }).compile();
        await expect(compiled).rejects.toBeInstanceOf(CheckoutSessionCacheConfigError);
        await expect(compiled).rejects.toThrow('holdSeconds (CHECKOUT_SESSION_HOLD_SECONDS): must be an integer from 1 to 180, the TTL in seconds (got 181)');
      }
    });
  });

  it('stops start-up on a hold out of bounds from forRoot or a forRootAsync factory, naming the option', async () => {
    await withEnv(noEnv, async () => {
      const imports = [
        CheckoutSessionCacheModule.forRoot({ driver: 'memory', ttlHours: 0.05, confirmingHoldSeconds: 181 }),
        CheckoutSessionCacheModule.forRootAsync({ useFactory: () => ({ driver: 'memory' as const, ttlHours: 0.05, confirmingHoldSeconds: 181 }) }),
      ];
      for (const imported of imports) {
        await expect(Test.createTestingModule({ imports: [imported] }).compile()).rejects.toThrow(
          'Invalid checkout-session-cache configuration: confirmingHoldSeconds: must be an integer from 1 to 180, the TTL in seconds (got 181)',
        );
      }
    });
  });

  it('stops start-up on an option it does not know, from forRoot or a forRootAsync factory, naming it', async () => {
    // A typo such as ttlHour used to boot silently on the 24 h default.
    const typo = { driver: 'memory', ttlHour: 1 } as CheckoutSessionCacheModuleOptions;
    const imports = [
      CheckoutSessionCacheModule.forRoot(typo),
      CheckoutSessionCacheModule.forRoot({ ...typo, isGlobal: true }),
      CheckoutSessionCacheModule.forRootAsync({ useFactory: () => typo }),
      CheckoutSessionCacheModule.forRootAsync({ isGlobal: true, useFactory: async () => typo }),
    ];
    for (const imported of imports) {
      const compiled = Test.createTestingModule({ imports: [imported] }).compile();
      await expect(compiled).rejects.toBeInstanceOf(CheckoutSessionCacheConfigError);
      await expect(compiled).rejects.toThrow('Invalid checkout-session-cache configuration: unknown option(s): ttlHour');
    }
    const store = new MapCheckoutSessionStore();
    await expect(
      Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store, holdSecond: 60 } as CheckoutSessionCacheModuleOptions)] }).compile(),
    ).rejects.toThrow('unknown option(s): holdSecond');
  });

  it('takes isGlobal and store, the extras beside the options, for no unknown options in forRoot and forRootAsync', async () => {
    await withEnv(noEnv, async () => {
      const imports = [
        CheckoutSessionCacheModule.forRoot({ driver: 'memory', isGlobal: true, ttlHours: 2 }),
        CheckoutSessionCacheModule.forRoot({ store: new MapCheckoutSessionStore(), isGlobal: true, ttlHours: 2 }),
        CheckoutSessionCacheModule.forRoot({ store: OptionsAwareStore, isGlobal: false, ttlHours: 2 }),
        CheckoutSessionCacheModule.forRootAsync({ isGlobal: true, useFactory: () => ({ driver: 'memory' as const, ttlHours: 2 }) }),
        CheckoutSessionCacheModule.forRootAsync({ store: OptionsAwareStore, isGlobal: true, useFactory: () => ({ ttlHours: 2 }) }),
      ];
      for (const imported of imports) {
        module = await Test.createTestingModule({ imports: [imported] }).compile();
        expect(resolvedOf(module)).toMatchObject({ ttlHours: 2, holdSeconds: 600, confirmingHoldSeconds: 900 });
        await module.close();
        module = undefined;
      }
    });
  });
});
