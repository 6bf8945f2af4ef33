import type { TestingModule } from '@nestjs/testing';
import { bootCache, DRIVERS, testOptions } from '../../../test/support/checkout-session-cache.harness.js';
import { CheckoutSessionIdempotencyKeyReusedError } from './errors/checkout-session-idempotency-key-reused.error.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';

describe.each(DRIVERS)('createOrReplay (%s driver)', (driver) => {
  let module: TestingModule;
  let cache: CheckoutSessionCache;

  beforeAll(async () => {
    ({ module, cache } = await bootCache(testOptions(driver)));
  });

  afterAll(async () => {
    await module?.close();
  });

  it('says whether the session was made now or by an earlier create with the same key and input', async () => {
    const input = { eventId: `replay-${driver}`, priceId: 'p', quantity: 2 };
    const first = await cache.createOrReplay(input, { idempotencyKey: `order-${driver}` });
    expect(first).toEqual({ session: expect.objectContaining({ ...input, status: 'CREATED' }), replayed: false });
    const retry = await cache.createOrReplay(input, { idempotencyKey: `order-${driver}` });
    expect(retry).toEqual({ session: first.session, replayed: true });
    expect(await cache.create(input, { idempotencyKey: `order-${driver}` })).toEqual(first.session);
    await expect(cache.createOrReplay({ ...input, quantity: 3 }, { idempotencyKey: `order-${driver}` })).rejects.toBeInstanceOf(
      CheckoutSessionIdempotencyKeyReusedError,
    );
    expect(await cache.held({ eventId: input.eventId, priceId: 'p' })).toBe(2);
  });

  it('reports a create without a key, or with a new key, as not replayed', async () => {
    const input = { eventId: `fresh-${driver}`, priceId: 'p', quantity: 1 };
    const plain = await cache.createOrReplay(input);
    const again = await cache.createOrReplay(input);
    expect([plain.replayed, again.replayed]).toEqual([false, false]);
    expect(again.session.id).not.toBe(plain.session.id);
    expect((await cache.createOrReplay(input, { idempotencyKey: `new-${driver}` })).replayed).toBe(false);
  });
});
