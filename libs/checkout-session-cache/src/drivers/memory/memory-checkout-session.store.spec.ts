import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bootCache, ManualClock } from '../../../../../test/support/checkout-session-cache.harness.js';
import type { CheckoutSession } from '../../interfaces/checkout-session.interface.js';
import { MemoryCheckoutSessionStore } from './memory-checkout-session.store.js';

const session = (clock: ManualClock, overrides: Partial<CheckoutSession> = {}): CheckoutSession => ({
  id: randomUUID(),
  eventId: 'e',
  priceId: 'p',
  quantity: 1,
  status: 'CREATED',
  createdAt: new Date(clock.now()),
  expiresAt: new Date(clock.now() + 10_000),
  ...overrides,
});

/** A hold released an hour from now: these tests are about sessions, not holds (the contract suite covers those). */
const HOLD = { bucket: Math.ceil(Date.now() / 1000) + 3600 };

describe('MemoryCheckoutSessionStore', () => {
  let clock: ManualClock;
  let store: MemoryCheckoutSessionStore;

  beforeEach(() => {
    clock = new ManualClock();
    store = new MemoryCheckoutSessionStore(clock, 60_000, 86_400_000);
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
      store = new MemoryCheckoutSessionStore(clock, 1_000, 86_400_000);
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
    const sessions = (store as unknown as { sessions: Map<string, CheckoutSession> }).sessions;
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
