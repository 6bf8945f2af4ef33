import type { TestingModule } from '@nestjs/testing';
import { bootCache, DRIVERS, ManualClock, testOptions } from '../../../test/support/checkout-session-cache.harness.js';
import { CheckoutSessionIdempotencyKeyReusedError } from './errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionSoldOutError } from './errors/checkout-session-sold-out.error.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';

// Calls made together: the DynamoDB driver sends the creates and releases of one price in one process together (group
// commit, docs/holds.md); the memory driver runs them one by one. Nothing of it may show: both answer alike.

/** What a settled create says: the session's quantity, or a refusal with what was available. */
const outcome = (result: PromiseSettledResult<{ quantity: number }>) =>
  result.status === 'fulfilled'
    ? 'created'
    : result.reason instanceof CheckoutSessionSoldOutError
      ? `soldOut(${result.reason.available})`
      : `${(result.reason as Error).name}`;

describe.each(DRIVERS)('calls made together (%s driver)', (driver) => {
  let module: TestingModule;
  let cache: CheckoutSessionCache;
  let eventId: string;
  const pair = () => ({ eventId, priceId: 'p' });

  beforeAll(async () => {
    ({ module, cache } = await bootCache(testOptions(driver, { clock: new ManualClock() })));
  });

  afterAll(async () => {
    await module?.close();
  });

  beforeEach(() => {
    eventId = `together-${Math.random().toString(36).slice(2)}`;
  });

  it('decides each create by its own maxHeld, in call order, as if one by one', async () => {
    // maxHeld 20, 19, …, 1 for one ticket each: the first ten fit (held 10), every later one would be the 11th.
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cache.create({ ...pair(), quantity: 1 }, { maxHeld: 20 - i })));
    expect(results.map(outcome)).toEqual([...Array(10).fill('created'), ...Array(10).fill('soldOut(0)')]);
    await expect(cache.held(pair())).resolves.toBe(10);
  });

  it('tells each refused create what its maxHeld leaves, once the ones before it have landed', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => cache.create({ ...pair(), quantity: 3 }, { maxHeld: 10 })));
    expect(results.map(outcome)).toEqual(['created', 'created', 'created', 'soldOut(1)', 'soldOut(1)', 'soldOut(1)']);
    // Mixed quantities: 4 + 4 fit, 3 would be the 11th, 2 still fits.
    const mixed = await Promise.allSettled([4, 4, 3, 2].map((quantity) => cache.create({ eventId, priceId: 'q', quantity }, { maxHeld: 10 })));
    expect(mixed.map(outcome)).toEqual(['created', 'created', 'soldOut(2)', 'created']);
  });

  it('gives creates made together with a release the room it frees, and holds exactly what is left', async () => {
    const first = await cache.create({ ...pair(), quantity: 4 }, { maxHeld: 5 });
    const [cancelled, ...creates] = await Promise.allSettled([
      cache.updateStatus(first.id, 'CANCELLED'),
      ...Array.from({ length: 7 }, () => cache.create({ ...pair(), quantity: 1 }, { maxHeld: 5 })),
    ]);
    expect(cancelled.status).toBe('fulfilled');
    // Whatever order they were decided in, never more than 5 held and the 5 free tickets were all taken.
    expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    await expect(cache.held(pair())).resolves.toBe(5);
  });

  it('never lets one call of a group fail the others: a key reused with other input, a double submit, a racing delete', async () => {
    const earlier = await cache.create({ ...pair(), quantity: 1 }, { idempotencyKey: `${eventId}-k` });
    const doomed = await cache.create({ ...pair(), quantity: 1 });
    const results = await Promise.allSettled([
      cache.create({ ...pair(), quantity: 2 }, { idempotencyKey: `${eventId}-k` }),
      cache.create({ ...pair(), quantity: 1 }, { idempotencyKey: `${eventId}-k` }),
      cache.create({ ...pair(), quantity: 1 }, { idempotencyKey: `${eventId}-fresh` }),
      cache.create({ ...pair(), quantity: 1 }, { idempotencyKey: `${eventId}-fresh` }),
      cache.deleteById(doomed.id),
      cache.updateStatus(doomed.id, 'CANCELLED'),
      cache.create({ ...pair(), quantity: 3 }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(CheckoutSessionIdempotencyKeyReusedError) });
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: earlier });
    const [fresh, again] = [results[2], results[3]] as PromiseFulfilledResult<{ id: string }>[];
    expect(fresh.status).toBe('fulfilled');
    expect(again).toMatchObject({ status: 'fulfilled', value: { id: fresh.value.id } });
    expect(results[4]!.status).toBe('fulfilled');
    expect(results[6]!.status).toBe('fulfilled');
    // earlier 1 + fresh 1 + 3; the doomed session released once, whichever of the delete and the cancel won.
    await expect(cache.held(pair())).resolves.toBe(5);
    await expect(cache.getById(doomed.id)).resolves.toBeNull();
  });
});
