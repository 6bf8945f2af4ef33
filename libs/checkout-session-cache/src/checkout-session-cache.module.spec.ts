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
import type { ResolvedCheckoutSessionCacheOptions } from './interfaces/checkout-session-cache-options.interface.js';
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
    ['null', null, 'insert, get, transition, delete, count, held, ping, init, close'],
    ['an object missing methods', { insert: () => undefined, get: () => undefined }, 'transition, delete, count, held, ping, init, close'],
    ['a class that is no store', class NotAStore {}, 'insert, get, transition, delete, count, held, ping, init, close'],
  ])('refuses a store that is %s, naming what it lacks', async (_what, store, missing) => {
    const compiled = Test.createTestingModule({ imports: [CheckoutSessionCacheModule.forRoot({ store: store as never })] }).compile();
    await expect(compiled).rejects.toBeInstanceOf(CheckoutSessionCacheConfigError);
    await expect(compiled).rejects.toThrow(`store must be a CheckoutSessionStore (an instance or a class); it has no ${missing}`);
  });

  it('reads only the TTL from env beside a store, and starts in production without a driver', async () => {
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
