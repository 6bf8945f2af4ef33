import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bootCache, ManualClock } from '../../../../../test/support/checkout-session-cache.harness.js';
import { CheckoutSessionCacheService } from '../../checkout-session-cache.service.js';
import type { StoredCheckoutSession } from '../../interfaces/checkout-session-store.interface.js';
import { MemoryCheckoutSessionStore } from './memory-checkout-session.store.js';

const session = (clock: ManualClock, overrides: Partial<StoredCheckoutSession> = {}): StoredCheckoutSession => ({
  id: randomUUID(),
  eventId: 'e',
  priceId: 'p',
  quantity: 1,
  status: 'CREATED',
  createdAt: new Date(clock.now()),
  expiresAt: new Date(clock.now() + 10_000),
  holdExpiresAt: new Date(clock.now() + 10_000),
  ...overrides,
});

/** A hold released an hour from now: these tests are about sessions, not holds (the contract suite covers those). */
const HOLD = { bucket: Math.ceil(Date.now() / 1000) + 3600 };

describe('MemoryCheckoutSessionStore', () => {
  let clock: ManualClock;
  let store: MemoryCheckoutSessionStore;

  beforeEach(() => {
    clock = new ManualClock();
    store = new MemoryCheckoutSessionStore(clock, 60_000);
  });

  afterEach(async () => {
    await store.close();
  });

  it('sweeps expired sessions, oldest first, and keeps live ones', async () => {
    const first = session(clock);
    await store.insert(first, HOLD, undefined, clock.now());
    clock.advance(5_000);
    const second = session(clock);
    await store.insert(second, HOLD, undefined, clock.now());

    clock.set(first.expiresAt.getTime());
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    await expect(store.get(second.id, clock.now())).resolves.toEqual(second);

    clock.set(second.expiresAt.getTime());
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
    await expect(store.count({ eventId: 'e' }, clock.now())).resolves.toEqual({ sessions: 0, quantity: 0 });
  });

  it('runs the sweep on an unref()d timer and clears it on close', async () => {
    const setIntervalSpy = jest.spyOn(globalThis, 'setInterval');
    const clearIntervalSpy = jest.spyOn(globalThis, 'clearInterval');
    try {
      await store.init();
      const timer = setIntervalSpy.mock.results[0]!.value as NodeJS.Timeout;
      expect(setIntervalSpy).toHaveBeenCalledWith(expect.any(Function), 60_000);
      expect(timer.hasRef()).toBe(false);
      await store.close();
      expect(clearIntervalSpy).toHaveBeenCalledWith(timer);
    } finally {
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
    }
  });

  it('sweeps on its own when the interval elapses', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
    try {
      store = new MemoryCheckoutSessionStore(clock, 1_000);
      await store.init();
      await store.insert(session(clock), HOLD, undefined, clock.now());
      clock.advance(10_000);
      jest.advanceTimersByTime(1_000);
      expect(store.size).toBe(0);
    } finally {
      await store.close();
      jest.useRealTimers();
    }
  });

  it('counts by reading only the sessions of the event asked for, never walking the whole store', async () => {
    for (let i = 0; i < 500; i++) await store.insert(session(clock, { eventId: 'busy-event' }), HOLD, undefined, clock.now());
    await store.insert(session(clock, { eventId: 'quiet-event', quantity: 4 }), HOLD, undefined, clock.now());
    const sessions = (store as unknown as { sessions: Map<string, StoredCheckoutSession> }).sessions;
    const spies = (['get', 'values', 'entries', 'keys', 'forEach', Symbol.iterator] as const).map((method) =>
      jest.spyOn(Map.prototype as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>, method),
    );
    try {
      await expect(store.count({ eventId: 'quiet-event' }, clock.now())).resolves.toEqual({ sessions: 1, quantity: 4 });
      const [get, ...walks] = spies;
      const onSessions = (spy: (typeof spies)[number]) => spy.mock.contexts.filter((map) => map === sessions).length;
      expect(onSessions(get!)).toBe(1);
      for (const walk of walks) expect(onSessions(walk)).toBe(0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('releases ended hold buckets on its sweep, keeping the stock and the tickets sold', async () => {
    const ledgers = (store as unknown as { ledgers: Map<string, { held: number; buckets: Map<number, number>; sold: number; stock?: number }> }).ledgers;
    await store.setStock({ eventId: 'e', priceId: 'p' }, 5);
    const bucket = Math.ceil(clock.now() / 1000) + 2;
    await store.insert(session(clock, { quantity: 2 }), { bucket }, undefined, clock.now());
    const sold = session(clock, { quantity: 1 });
    await store.insert(sold, { bucket: bucket + 3600 }, undefined, clock.now());
    await store.transition(sold.id, clock.now(), (s) => ({ outcome: 'change', status: 'COMPLETED', holdExpiresAt: s.holdExpiresAt, holdExtended: false, hold: { kind: 'sell' } }));
    clock.set(bucket * 1000 - 1);
    store.sweep();
    expect(ledgers.get(JSON.stringify(['e', 'p']))).toEqual({ held: 2, buckets: new Map([[bucket, 2]]), sold: 1, stock: 5 });
    clock.set(bucket * 1000);
    store.sweep();
    expect(ledgers.get(JSON.stringify(['e', 'p']))).toEqual({ held: 0, buckets: new Map(), sold: 1, stock: 5 });
    await expect(store.availability({ eventId: 'e', priceId: 'p' }, clock.now())).resolves.toEqual({ stock: 5, held: 0, sold: 1, available: 4 });
  });

  it('keeps a lapsed hold until its bucket ends, so a late payment then sells it even with the stock full', async () => {
    const cache = new CheckoutSessionCacheService(store, clock, { ttlHours: 24, holdSeconds: 600, confirmingHoldSeconds: 900 });
    const price = { eventId: 'late', priceId: 'p' };
    await cache.setStock(price, 2);
    const created = await cache.create({ ...price, quantity: 2 });
    const paying = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
    clock.set(paying.holdExpiresAt.getTime());
    await expect(cache.getById(paying.id)).resolves.toMatchObject({ status: 'EXPIRED' });
    // The release margin (1 s for windows of 100 s and more) keeps the lapsed hold counted at its holdExpiresAt.
    await expect(cache.availability(price)).resolves.toEqual({ stock: 2, held: 2, sold: 0, available: 0 });
    await expect(cache.create({ ...price, quantity: 1 })).rejects.toMatchObject({ name: 'CheckoutSessionSoldOutError', available: 0 });
    await expect(cache.updateStatus(paying.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
    await expect(cache.availability(price)).resolves.toEqual({ stock: 2, held: 0, sold: 2, available: 0 });
  });

  it('drops emptied index entries so deleted events leave nothing behind', async () => {
    const only = session(clock, { eventId: 'gone' });
    await store.insert(only, HOLD, undefined, clock.now());
    await store.delete(only.id, clock.now());
    expect((store as unknown as { index: Map<string, unknown> }).index.has('gone')).toBe(false);
  });
});

describe('memory driver module instances', () => {
  it('never see each other’s sessions', async () => {
    const a = await bootCache({ driver: 'memory' });
    const b = await bootCache({ driver: 'memory' });
    try {
      const created = await a.cache.create({ eventId: 'shared', priceId: 'p', quantity: 2 });
      await expect(b.cache.getById(created.id)).resolves.toBeNull();
      await expect(b.cache.count({ eventId: 'shared' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(a.cache.count({ eventId: 'shared' })).resolves.toEqual({ sessions: 1, quantity: 2 });
    } finally {
      await a.module.close();
      await b.module.close();
    }
  });
});
