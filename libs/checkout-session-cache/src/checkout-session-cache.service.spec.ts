import type { TestingModule } from '@nestjs/testing';
import { bootCache, DRIVERS, ManualClock, testOptions } from '../../../test/support/checkout-session-cache.harness.js';
import { CheckoutSessionIdempotencyKeyReusedError } from './errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionSoldOutError } from './errors/checkout-session-sold-out.error.js';
import { CheckoutSessionValidationError } from './errors/checkout-session-validation.error.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';

describe.each(DRIVERS)('createOrReplay (%s driver)', (driver) => {
  let module: TestingModule;
  let cache: CheckoutSessionCache;
  const clock = new ManualClock();

  beforeAll(async () => {
    ({ module, cache } = await bootCache(testOptions(driver, { clock })));
  });

  afterAll(async () => {
    await module?.close();
  });

  it('says whether the session was made now or by an earlier create with the same key and input', async () => {
    const input = { eventId: `replay-${driver}`, priceId: 'p', quantity: 2 };
    const createdAt = clock.now();
    const first = await cache.createOrReplay(input, { idempotencyKey: `order-${driver}` });
    expect(first).toEqual({
      session: expect.objectContaining({ ...input, status: 'CREATED', holdExpiresAt: new Date(Math.ceil((createdAt + 600_000) / 1000) * 1000) }),
      replayed: false,
    });
    clock.advance(1000);
    const retry = await cache.createOrReplay(input, { idempotencyKey: `order-${driver}` });
    expect(retry).toEqual({ session: first.session, replayed: true });
    expect(await cache.create(input, { idempotencyKey: `order-${driver}` })).toEqual(first.session);
    await expect(cache.createOrReplay({ ...input, quantity: 3 }, { idempotencyKey: `order-${driver}` })).rejects.toBeInstanceOf(
      CheckoutSessionIdempotencyKeyReusedError,
    );
    expect(await cache.held({ eventId: input.eventId, priceId: 'p' })).toBe(2);
    await expect(cache.availability({ eventId: input.eventId, priceId: 'p' })).resolves.toEqual({ stock: null, held: 2, sold: 0, available: null });
  });

  it('reports a create without a key, or with a new key, as not replayed', async () => {
    const input = { eventId: `fresh-${driver}`, priceId: 'p', quantity: 1 };
    const plain = await cache.createOrReplay(input);
    const again = await cache.createOrReplay(input);
    expect([plain.replayed, again.replayed]).toEqual([false, false]);
    expect(again.session.id).not.toBe(plain.session.id);
    expect((await cache.createOrReplay(input, { idempotencyKey: `new-${driver}` })).replayed).toBe(false);
  });

  it('keeps the hold window of the first create in a replay, whatever holdSeconds the retry passes', async () => {
    const input = { eventId: `window-${driver}`, priceId: 'p', quantity: 1 };
    const createdAt = clock.now();
    const first = await cache.createOrReplay(input, { idempotencyKey: `window-${driver}`, holdSeconds: 120 });
    expect(first.session.holdExpiresAt).toEqual(new Date(Math.ceil((createdAt + 120_000) / 1000) * 1000));
    const retry = await cache.createOrReplay(input, { idempotencyKey: `window-${driver}`, holdSeconds: 300 });
    expect(retry).toEqual({ session: first.session, replayed: true });
  });

  it('replays a session whose hold lapsed as EXPIRED, holding nothing again, until its record expires', async () => {
    const price = { eventId: `lapsed-${driver}`, priceId: 'p' };
    const input = { ...price, quantity: 2 };
    await cache.setStock(price, 3);
    const first = await cache.createOrReplay(input, { idempotencyKey: `lapsed-${driver}` });
    await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 2, sold: 0, available: 1 });
    // Past the hold and its release bound (2 % of 600 s): the session reads EXPIRED and holds nothing.
    clock.set(first.session.holdExpiresAt.getTime() + 12_000);
    await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 0, sold: 0, available: 3 });
    const retry = await cache.createOrReplay(input, { idempotencyKey: `lapsed-${driver}` });
    expect(retry).toEqual({ session: { ...first.session, status: 'EXPIRED' }, replayed: true });
    await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 0, sold: 0, available: 3 });
    // A replay never takes the stock, even when none is left.
    await cache.setStock(price, 0);
    await expect(cache.createOrReplay(input, { idempotencyKey: `lapsed-${driver}` })).resolves.toMatchObject({ replayed: true });
    // Once the record's TTL is over, the key no longer names a live session, and a new create meets the stock.
    clock.set(first.session.expiresAt.getTime());
    await expect(cache.createOrReplay(input, { idempotencyKey: `lapsed-${driver}` })).rejects.toBeInstanceOf(CheckoutSessionSoldOutError);
    await cache.setStock(price, 2);
    await expect(cache.createOrReplay(input, { idempotencyKey: `lapsed-${driver}` })).resolves.toMatchObject({ replayed: false });
  });

  it('validates holdSeconds before any write: at least 1, a whole number, at most the TTL', async () => {
    const input = { eventId: `bounds-${driver}`, priceId: 'p', quantity: 1 };
    for (const holdSeconds of [0, 1.5, 24 * 3600 + 1]) {
      await expect(cache.createOrReplay(input, { idempotencyKey: `bounds-${driver}`, holdSeconds })).rejects.toBeInstanceOf(CheckoutSessionValidationError);
    }
    await expect(cache.count({ eventId: input.eventId })).resolves.toEqual({ sessions: 0, quantity: 0 });
    await expect(cache.createOrReplay(input, { idempotencyKey: `bounds-${driver}`, holdSeconds: 24 * 3600 })).resolves.toMatchObject({ replayed: false });
  });
});
