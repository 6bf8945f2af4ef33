import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CHECKOUT_SESSION_STATUSES, CHECKOUT_SESSION_TRANSITIONS } from '../checkout-session-cache.state-machine.js';
import { holdBucketOf } from '../checkout-session-cache.holds.js';
import { CheckoutSessionCacheService } from '../checkout-session-cache.service.js';
import { CheckoutSessionAlreadyExistsError } from '../errors/checkout-session-already-exists.error.js';
import { CheckoutSessionConflictError } from '../errors/checkout-session-conflict.error.js';
import { CheckoutSessionIdempotencyKeyReusedError } from '../errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionCacheError } from '../errors/checkout-session-cache.error.js';
import { CheckoutSessionSoldOutError } from '../errors/checkout-session-sold-out.error.js';
import { CheckoutSessionValidationError } from '../errors/checkout-session-validation.error.js';
import type { CheckoutSessionClock } from '../interfaces/checkout-session-clock.interface.js';
import type { CheckoutSessionStore } from '../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionStatus,
  NewCheckoutSession,
} from '../interfaces/checkout-session.interface.js';
import { settled } from './checkout-session-index.settle.js';
import { ManualCheckoutSessionClock } from './manual-checkout-session.clock.js';

const HOUR = 3_600_000;
const TTL_HOURS = 2;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** How to bring a fresh session to each status. */
const PATHS: Record<CheckoutSessionStatus, CheckoutSessionStatus[]> = {
  CREATED: [],
  CONFIRMING: ['CONFIRMING'],
  COMPLETED: ['CONFIRMING', 'COMPLETED'],
  CANCELLED: ['CANCELLED'],
};

/** Whether the transitions to `targets`, in some order, lead from `from` to `to` with every step allowed. */
function explains(targets: CheckoutSessionStatus[], from: CheckoutSessionStatus, to: CheckoutSessionStatus): boolean {
  if (targets.length === 0) return from === to;
  return targets.some(
    (next, i) =>
      targets.indexOf(next) === i && // equal targets are interchangeable: try each value once
      CHECKOUT_SESSION_TRANSITIONS[from].includes(next) &&
      explains([...targets.slice(0, i), ...targets.slice(i + 1)], next, to),
  );
}

/** What the kit hands the factory: the clock every call's `now` comes from, and the TTL of the sessions. */
export interface CheckoutSessionStoreContractContext {
  /** The clock the kit moves by hand; the store receives its time as `now` and may also read it (a sweeper). */
  readonly clock: CheckoutSessionClock;
  /** Lifetime of the sessions the kit creates, in hours. */
  readonly ttlHours: number;
}

/**
 * Makes the store under test, once per run of the kit. The kit calls its `init()` before the tests and its `close()`
 * after them; anything else the store holds (a client, a table) is the caller's to release in its own `afterAll`.
 */
export type CheckoutSessionStoreContractFactory = (
  context: CheckoutSessionStoreContractContext,
) => CheckoutSessionStore | Promise<CheckoutSessionStore>;

/** Wraps `store` so that every method call is recorded in `calls`: how the kit proves "before any I/O". */
function recorded(store: CheckoutSessionStore, calls: string[]): CheckoutSessionStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * Declares, with Jest's `describe`/`it`, the contract every {@link CheckoutSessionStore} must meet, asserted through
 * the port (`CheckoutSessionCache`) exactly as the module serves it: creation, validation before any store call,
 * idempotency keys, expiry through a hand-moved clock, every transition, races, counts, holds (`maxHeld`, releases,
 * the expiry bound, replays) and copies. Call it at the top level of a spec file; `name` labels the suite.
 */
export function describeCheckoutSessionStoreContract(name: string, factory: CheckoutSessionStoreContractFactory): void {
  describe(`CheckoutSessionStore contract (${name})`, () => {
    let cache: CheckoutSessionCacheService;
    /** The store under test, as the port calls it (recorded). */
    let store: CheckoutSessionStore;
    let clock: ManualCheckoutSessionClock;
    let eventId: string;
    /** The store methods called since the current test began. */
    const calls: string[] = [];

    const input = (extra: Partial<NewCheckoutSession> = {}): NewCheckoutSession => ({
      eventId,
      priceId: 'standard',
      quantity: 2,
      ...extra,
    });

    beforeAll(async () => {
      clock = new ManualCheckoutSessionClock();
      store = recorded(await factory({ clock, ttlHours: TTL_HOURS }), calls);
      cache = new CheckoutSessionCacheService(store, clock, TTL_HOURS);
      await cache.onModuleInit();
    });

    afterAll(async () => {
      await cache?.onModuleDestroy();
    });

    /** Asserts that the store was not called since the test began: the port refused before any I/O. */
    const expectNoStoreCall = () => expect(calls).toEqual([]);

    it('records the store calls the port makes, so "before any I/O" below is checked against real records', async () => {
      await cache.getById('00000000-0000-4000-8000-000000000000');
      expect(calls).toEqual(['get']);
    });

    /** Counts come from an eventually consistent index on DynamoDB: allow its documented lag. */
    const expectCount = async (query: CheckoutSessionCountQuery, expected: CheckoutSessionCount) => {
      expect(await settled(() => cache.count(query), expected)).toEqual(expected);
    };

    beforeEach(() => {
      calls.length = 0;
      // Each test works on its own event, so counts never see another test's sessions.
      eventId = `event-${expect.getState().currentTestName?.length}-${Math.random().toString(36).slice(2)}`;
    });

    describe('create', () => {
      it('returns a CREATED session with a random id, createdAt = now and expiresAt = createdAt + TTL (whole seconds)', async () => {
        clock.set(Math.floor(Date.now() / 1000) * 1000 + 250);
        const created = await cache.create(input({ price: 19.99, metadata: { seat: 'A1', tags: ['vip', 1, true, null] } }));
        expect(created).toEqual({
          id: expect.stringMatching(UUID),
          eventId,
          priceId: 'standard',
          quantity: 2,
          price: 19.99,
          status: 'CREATED',
          metadata: { seat: 'A1', tags: ['vip', 1, true, null] },
          createdAt: new Date(clock.now()),
          expiresAt: new Date(Math.ceil((clock.now() + TTL_HOURS * HOUR) / 1000) * 1000),
        });
        await expect(cache.getById(created.id)).resolves.toEqual(created);
      });

      it('omits optional fields that were not given', async () => {
        const created = await cache.create(input());
        const read = await cache.getById(created.id);
        expect(read).toEqual(created);
        expect(read).not.toHaveProperty('price');
        expect(read).not.toHaveProperty('metadata');
      });

      it('keeps price 0, unicode and nested metadata exactly', async () => {
        const metadata = { name: 'Zoë 🎟️ 東京', empty: '', nested: { deep: { list: [1.5, -2, { x: 'y' }] } }, zero: 0 };
        const created = await cache.create(input({ price: 0, metadata }));
        await expect(cache.getById(created.id)).resolves.toEqual(expect.objectContaining({ price: 0, metadata }));
      });

      it('gives every session a different id, even for identical input', async () => {
        const sessions = await Promise.all(Array.from({ length: 20 }, () => cache.create(input())));
        expect(new Set(sessions.map((s) => s.id)).size).toBe(20);
      });

      it.each<[string, unknown]>([
        ['quantity 0', { quantity: 0 }],
        ['quantity 1001', { quantity: 1001 }],
        ['fractional quantity', { quantity: 1.5 }],
        ['quantity as string', { quantity: '2' }],
        ['empty eventId', { eventId: '' }],
        ['eventId of 129 characters', { eventId: 'e'.repeat(129) }],
        ['priceId with a control character', { priceId: 'a\u0000b' }],
        ['negative price', { price: -1 }],
        ['infinite price', { price: Infinity }],
        ['NaN price', { price: NaN }],
        ['metadata array', { metadata: [1, 2] }],
        ['metadata over 8 KB', { metadata: { blob: 'x'.repeat(8200) } }],
        ['metadata with an empty key', { metadata: { a: { '': 1 } } }],
        ['metadata with a __proto__ key', { metadata: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') }],
        ['metadata nested 17 levels', { metadata: JSON.parse('{"a":'.repeat(17) + '1' + '}'.repeat(17)) }],
        ['metadata with a number DynamoDB cannot store', { metadata: { tiny: 1e-200 } }],
        ['metadata with an unsafe integer', { metadata: { big: 2 ** 53 } }],
        ['an unsafe integer price', { price: 2 ** 53 }],
        ['metadata with a lone surrogate', { metadata: { s: '\ud800' } }],
        ['a caller-chosen id', { id: '2f1c1b3e-8a2b-4c1d-9e0f-123456789abc' }],
        ['a caller-chosen status', { status: 'COMPLETED' }],
        ['a caller-chosen expiresAt', { expiresAt: Date.now() + 10 * HOUR }],
      ])('rejects %s with a validation error and stores nothing', async (_case, extra) => {
        await expect(cache.create({ ...input(), ...(extra as object) })).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        // held is strongly consistent: a session stored by mistake would show at once.
        await expect(cache.held({ eventId, priceId: 'standard' })).resolves.toBe(0);
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });

      it('names the invalid field in the validation error', async () => {
        const error = await cache.create(input({ quantity: 0 })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        expect((error as CheckoutSessionValidationError).issues).toEqual(['quantity: must be at least 1']);
      });
    });

    describe('insert (called by the kit, as the port would on an id collision)', () => {
      it('never overwrites: a second session with a stored id is refused with CheckoutSessionAlreadyExistsError, with or without a key, and changes nothing', async () => {
        const first = await cache.create(input());
        const now = clock.now();
        const twin: CheckoutSession = { ...first, quantity: 5, metadata: { twin: true }, createdAt: new Date(now) };
        const hold = { bucket: holdBucketOf(twin.expiresAt, TTL_HOURS * HOUR) };
        for (const key of [undefined, `twin-${eventId}`]) {
          await expect(store.insert(twin, hold, key, now)).rejects.toBeInstanceOf(CheckoutSessionAlreadyExistsError);
        }
        await expect(cache.getById(first.id)).resolves.toEqual(first);
        expect(await cache.held({ eventId, priceId: 'standard' })).toBe(2);
        // The refused insert recorded no key: a create with it makes a session of its own.
        const keyed = await cache.createOrReplay(input(), { idempotencyKey: `twin-${eventId}` });
        expect([keyed.replayed, keyed.session.id === first.id]).toEqual([false, false]);
      });
    });

    describe('create with an idempotency key', () => {
      const key = () => `key-${eventId}`;

      it('returns the session of the first call to a retry with the same key and input, and counts it once', async () => {
        const first = await cache.create(input({ quantity: 3, metadata: { a: 1 } }), { idempotencyKey: key() });
        await cache.updateStatus(first.id, 'CONFIRMING');
        const retry = await cache.create(input({ quantity: 3, metadata: { a: 1 } }), { idempotencyKey: key() });
        expect(retry).toEqual({ ...first, status: 'CONFIRMING' });
        await expectCount({ eventId }, { sessions: 1, quantity: 3 });
      });

      it('gives every concurrent caller with the same key the same, single session (a double submit is no error)', async () => {
        const sessions = await Promise.all(Array.from({ length: 8 }, () => cache.create(input(), { idempotencyKey: key() })));
        for (const session of sessions) expect(session).toEqual(sessions[0]);
        await expectCount({ eventId }, { sessions: 1, quantity: 2 });
        await expect(cache.held({ eventId, priceId: 'standard' })).resolves.toBe(2);
      });

      it('rejects the key with different input and stores nothing', async () => {
        await cache.create(input({ quantity: 2 }), { idempotencyKey: key() });
        await expect(cache.create(input({ quantity: 5 }), { idempotencyKey: key() })).rejects.toBeInstanceOf(
          CheckoutSessionIdempotencyKeyReusedError,
        );
        await expectCount({ eventId }, { sessions: 1, quantity: 2 });
      });

      it('rejects the key once its session was deleted, rather than re-create it', async () => {
        const first = await cache.create(input(), { idempotencyKey: key() });
        await cache.deleteById(first.id);
        await expect(cache.create(input(), { idempotencyKey: key() })).rejects.toBeInstanceOf(CheckoutSessionIdempotencyKeyReusedError);
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });

      it('frees the key when its session expires', async () => {
        const first = await cache.create(input(), { idempotencyKey: key() });
        clock.set(first.expiresAt.getTime());
        const second = await cache.create(input(), { idempotencyKey: key() });
        expect(second.id).not.toBe(first.id);
        await expectCount({ eventId }, { sessions: 1, quantity: 2 });
      });

      it.each<[string, unknown]>([
        ['an empty key', { idempotencyKey: '' }],
        ['a key of 129 characters', { idempotencyKey: 'k'.repeat(129) }],
        ['an unknown option', { ttlHours: 100 }],
      ])('rejects %s with a validation error', async (_case, options) => {
        await expect(cache.create(input(), options as never)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });
    });

    describe('getById', () => {
      it('returns null for an id that was never stored', async () => {
        await expect(cache.getById('00000000-0000-4000-8000-000000000000')).resolves.toBeNull();
      });

      it.each(['', 'not-a-uuid', 'x'.repeat(5000)])('rejects the malformed id %j before any I/O', async (id) => {
        await expect(cache.getById(id)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
      });
    });

    describe('expiry', () => {
      it('treats a session as absent from expiresAt on, in reads, counts and updates', async () => {
        const created = await cache.create(input({ quantity: 3 }));
        clock.set(created.expiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.not.toBeNull();
        await expectCount({ eventId }, { sessions: 1, quantity: 3 });

        clock.set(created.expiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toBeNull();
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
        await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toBeNull();
        await expect(cache.updateStatus(created.id, 'COMPLETED')).resolves.toBeNull();
      });

      it('never renews expiresAt on a status change', async () => {
        const created = await cache.create(input());
        clock.advance(HOUR);
        const confirming = await cache.updateStatus(created.id, 'CONFIRMING');
        expect(confirming?.expiresAt).toEqual(created.expiresAt);
        expect(confirming?.createdAt).toEqual(created.createdAt);
        clock.set(created.expiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toBeNull();
      });
    });

    describe('updateStatus', () => {
      const pairs = CHECKOUT_SESSION_STATUSES.flatMap((from) => CHECKOUT_SESSION_STATUSES.map((to) => [from, to] as const));

      it.each(pairs)('%s → %s follows the transition table', async (from, to) => {
        const created = await cache.create(input());
        for (const step of PATHS[from]) await cache.updateStatus(created.id, step);
        if (CHECKOUT_SESSION_TRANSITIONS[from].includes(to)) {
          const updated = await cache.updateStatus(created.id, to);
          expect(updated).toEqual({ ...created, status: to });
          await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: to });
        } else {
          const error = await cache.updateStatus(created.id, to).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(CheckoutSessionConflictError);
          expect(error).toMatchObject({ id: created.id, currentStatus: from, requestedStatus: to });
          await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: from });
        }
      });

      it('returns null for an absent session', async () => {
        await expect(cache.updateStatus('00000000-0000-4000-8000-000000000000', 'CANCELLED')).resolves.toBeNull();
      });

      it.each<[string, unknown]>([
        ['an empty id', ['', 'CANCELLED']],
        ['an unknown status', ['00000000-0000-4000-8000-000000000000', 'PAID']],
      ])('rejects %s with a validation error', async (_case, args) => {
        const [id, status] = args as [string, CheckoutSessionStatus];
        await expect(cache.updateStatus(id, status)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
      });

      it('lets exactly one of many racing identical transitions win (a double click starts one payment)', async () => {
        const created = await cache.create(input());
        const results = await Promise.allSettled(Array.from({ length: 16 }, () => cache.updateStatus(created.id, 'CONFIRMING')));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected).toHaveLength(15);
        for (const r of rejected) expect(r.reason).toBeInstanceOf(CheckoutSessionConflictError);
        await expect(cache.getById(created.id)).resolves.toMatchObject({ status: 'CONFIRMING' });
      });

      it('lets exactly one of racing COMPLETED and CANCELLED win, and the final status is the winner', async () => {
        const created = await cache.create(input());
        await cache.updateStatus(created.id, 'CONFIRMING');
        const targets: CheckoutSessionStatus[] = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'COMPLETED' : 'CANCELLED'));
        const results = await Promise.allSettled(targets.map((to) => cache.updateStatus(created.id, to)));
        const winners = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value.status] : []));
        expect(winners).toHaveLength(1);
        await expect(cache.getById(created.id)).resolves.toMatchObject({ status: winners[0] });
      });
    });

    describe('races', () => {
      it('never lets a status change resurrect a session deleted concurrently', async () => {
        for (let round = 0; round < 10; round++) {
          const created = await cache.create(input());
          const [, updated] = await Promise.all([cache.deleteById(created.id), cache.updateStatus(created.id, 'CONFIRMING')]);
          // The update ran before the delete (the whole session, now CONFIRMING, expiry unchanged) or after it (null);
          // either way the session is gone now.
          expect([null, { ...created, status: 'CONFIRMING' }]).toContainEqual(updated);
          await expect(cache.getById(created.id)).resolves.toBeNull();
          await expect(cache.held({ eventId, priceId: 'standard' })).resolves.toBe(0);
        }
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });

      it('ends many concurrent mixed transitions in a status that the winners, applied one by one, produce', async () => {
        const created = await cache.create(input());
        const targets = Array.from({ length: 24 }, (_, i) => CHECKOUT_SESSION_STATUSES[(i * 7) % 4]!);
        const results = await Promise.allSettled(targets.map((to) => cache.updateStatus(created.id, to)));
        const winners = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value.status] : []));
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CheckoutSessionConflictError);
        const final = (await cache.getById(created.id))!.status;
        expect(explains(winners, 'CREATED', final)).toBe(true);
      });
    });

    describe('deleteById', () => {
      it('removes the session and is idempotent', async () => {
        const created = await cache.create(input({ quantity: 4 }));
        await cache.deleteById(created.id);
        await expect(cache.getById(created.id)).resolves.toBeNull();
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
        await expect(cache.deleteById(created.id)).resolves.toBeUndefined();
        await expect(cache.deleteById('00000000-0000-4000-8000-000000000000')).resolves.toBeUndefined();
      });

      it('is never undone by a later status change (no resurrection)', async () => {
        const created = await cache.create(input());
        await cache.deleteById(created.id);
        await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toBeNull();
        await expect(cache.getById(created.id)).resolves.toBeNull();
      });

      it('rejects a malformed id', async () => {
        await expect(cache.deleteById('')).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
      });
    });

    describe('count', () => {
      it('sums quantity over live sessions, by event, price and status', async () => {
        const other = `${eventId}-other`;
        const a1 = await cache.create(input({ priceId: 'A', quantity: 1 }));
        await cache.create(input({ priceId: 'A', quantity: 2 }));
        const b5 = await cache.create(input({ priceId: 'B', quantity: 5 }));
        const b7 = await cache.create(input({ priceId: 'B', quantity: 7 }));
        await cache.create({ eventId: other, priceId: 'A', quantity: 100 });
        await cache.updateStatus(a1.id, 'CONFIRMING');
        await cache.updateStatus(b5.id, 'CANCELLED');
        await cache.deleteById(b7.id);

        await expectCount({ eventId }, { sessions: 3, quantity: 8 });
        await expectCount({ eventId, priceId: 'A' }, { sessions: 2, quantity: 3 });
        await expectCount({ eventId, priceId: 'B' }, { sessions: 1, quantity: 5 });
        await expectCount({ eventId, status: 'CREATED' }, { sessions: 1, quantity: 2 });
        await expectCount({ eventId, priceId: 'A', status: 'CONFIRMING' }, { sessions: 1, quantity: 1 });
        await expectCount({ eventId, priceId: 'B', status: 'CANCELLED' }, { sessions: 1, quantity: 5 });
        await expectCount({ eventId, priceId: 'C' }, { sessions: 0, quantity: 0 });
        await expectCount({ eventId: other }, { sessions: 1, quantity: 100 });
      });

      it('equals the sum of acknowledged concurrent creates', async () => {
        const quantities = Array.from({ length: 30 }, (_, i) => (i % 5) + 1);
        await Promise.all(quantities.map((quantity) => cache.create(input({ quantity }))));
        await expectCount({ eventId, priceId: 'standard' }, { sessions: 30, quantity: quantities.reduce((a, b) => a + b, 0) });
      });

      it.each<[string, unknown]>([
        ['no eventId', {}],
        ['an empty eventId', { eventId: '' }],
        ['an unknown status', { eventId: 'e', status: 'PAID' }],
        ['an unknown field', { eventId: 'e', pattern: '.*' }],
      ])('rejects %s with a validation error', async (_case, query) => {
        await expect(cache.count(query as never)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
      });
    });

    describe('holds', () => {
      const pair = () => ({ eventId, priceId: 'standard' });
      /** What a refused create must carry. */
      const soldOut = (requested: number, available: number) =>
        expect.objectContaining({ name: 'CheckoutSessionSoldOutError', eventId, priceId: 'standard', requested, available });
      /** Latest release of an expired hold: 2 % of the TTL, at least 1 s (docs/holds.md). */
      const RELEASE_BOUND_MS = Math.max(1000, 0.02 * TTL_HOURS * HOUR);

      it('creates while the hold fits in maxHeld and refuses with what is available when it does not', async () => {
        await cache.create(input({ quantity: 3 }), { maxHeld: 5 });
        const error = await cache.create(input({ quantity: 3 }), { maxHeld: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CheckoutSessionSoldOutError);
        expect(error).toBeInstanceOf(CheckoutSessionCacheError);
        expect(error).toEqual(soldOut(3, 2));
        await cache.create(input({ quantity: 2 }), { maxHeld: 5 });
        await expect(cache.held(pair())).resolves.toBe(5);
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 5 })).rejects.toEqual(soldOut(1, 0));
        await expect(cache.create(input({ quantity: 6 }), { maxHeld: 5 })).rejects.toEqual(soldOut(6, 0));
        await expect(cache.held(pair())).resolves.toBe(5);
        await expectCount({ eventId }, { sessions: 2, quantity: 5 });
      });

      it('refuses when maxHeld is lowered under what is held, and counts creates without maxHeld as held', async () => {
        await cache.create(input({ quantity: 3 }));
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 2 })).rejects.toEqual(soldOut(1, 0));
        await expect(cache.create(input({ quantity: 2 }), { maxHeld: 4 })).rejects.toEqual(soldOut(2, 1));
        await cache.create(input({ quantity: 1 }), { maxHeld: 4 });
        await expect(cache.held(pair())).resolves.toBe(4);
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 0 })).rejects.toEqual(soldOut(1, 0));
      });

      it('sells out exactly under hundreds of racing one-ticket creates, and never refuses while tickets are free', async () => {
        const results = await Promise.allSettled(Array.from({ length: 200 }, () => cache.create(input({ quantity: 1 }), { maxHeld: 60 })));
        const created = results.filter((r) => r.status === 'fulfilled');
        const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(created).toHaveLength(60);
        for (const reason of refused) expect(reason).toEqual(soldOut(1, 0));
        await expect(cache.held(pair())).resolves.toBe(60);
      });

      it('never holds more than maxHeld under racing creates of mixed quantities', async () => {
        const quantities = Array.from({ length: 150 }, (_, i) => (i * 7) % 4 + 1);
        const results = await Promise.allSettled(quantities.map((quantity) => cache.create(input({ quantity }), { maxHeld: 100 })));
        let holding = 0;
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') holding += quantities[i]!;
          else {
            // A refusal only when the hold did not fit at that moment.
            expect(result.reason).toBeInstanceOf(CheckoutSessionSoldOutError);
            expect((result.reason as CheckoutSessionSoldOutError).available).toBeLessThan(quantities[i]!);
          }
        });
        expect(holding).toBeLessThanOrEqual(100);
        expect(holding).toBeGreaterThan(100 - 4); // refusals are for want of room: at most 3 tickets stay free
        await expect(cache.held(pair())).resolves.toBe(holding);
      });

      it('releases on cancel, complete and delete at once, and keeps the hold from CONFIRMING back to CREATED', async () => {
        const cancelled = await cache.create(input({ quantity: 1 }), { maxHeld: 10 });
        const completed = await cache.create(input({ quantity: 2 }), { maxHeld: 10 });
        const deleted = await cache.create(input({ quantity: 3 }), { maxHeld: 10 });
        const back = await cache.create(input({ quantity: 4 }), { maxHeld: 10 });
        await expect(cache.held(pair())).resolves.toBe(10);
        await cache.updateStatus(back.id, 'CONFIRMING');
        await cache.updateStatus(back.id, 'CREATED');
        await expect(cache.held(pair())).resolves.toBe(10);
        await cache.updateStatus(cancelled.id, 'CANCELLED');
        await expect(cache.held(pair())).resolves.toBe(9);
        await cache.updateStatus(completed.id, 'CONFIRMING');
        await cache.updateStatus(completed.id, 'COMPLETED');
        await expect(cache.held(pair())).resolves.toBe(7);
        await cache.deleteById(deleted.id);
        await expect(cache.held(pair())).resolves.toBe(4);
        // Deleting or cancelling what holds nothing releases nothing.
        await cache.deleteById(cancelled.id);
        await cache.deleteById(completed.id);
        await expect(cache.updateStatus(cancelled.id, 'CANCELLED')).resolves.toBeNull();
        await expect(cache.held(pair())).resolves.toBe(4);
        await cache.create(input({ quantity: 6 }), { maxHeld: 10 });
        await expect(cache.held(pair())).resolves.toBe(10);
      });

      it('releases an expired hold within the bound, never before expiresAt', async () => {
        const created = await cache.create(input({ quantity: 4 }), { maxHeld: 4 });
        clock.set(created.expiresAt.getTime() - 1);
        await expect(cache.held(pair())).resolves.toBe(4);
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 4 })).rejects.toEqual(soldOut(1, 0));
        clock.set(created.expiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.held(pair())).resolves.toBe(0);
        // Racing creates after the expiry release the old hold once, and then fill the room exactly.
        const results = await Promise.allSettled(Array.from({ length: 12 }, () => cache.create(input({ quantity: 1 }), { maxHeld: 4 })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
        await expect(cache.held(pair())).resolves.toBe(4);
        // Ending an expired hold releases nothing more.
        await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toBeNull();
        await cache.deleteById(created.id);
        await expect(cache.held(pair())).resolves.toBe(4);
      });

      it('never releases a hold twice when the clock steps back after its expiry released it', async () => {
        const first = await cache.create(input({ quantity: 2 }), { maxHeld: 2 });
        clock.set(first.expiresAt.getTime() + RELEASE_BOUND_MS);
        // The refused-looking create releases the expired hold, then takes its place.
        await cache.create(input({ quantity: 2 }), { maxHeld: 2 });
        clock.set(first.expiresAt.getTime() - 1000);
        // By its own expiresAt the first session is live again, but its hold is gone: ending it releases nothing.
        await expect(cache.updateStatus(first.id, 'CANCELLED')).resolves.toBeNull();
        await cache.deleteById(first.id);
        await expect(cache.held(pair())).resolves.toBe(2);
      });

      it('holds once for a create replayed with its idempotency key, even once the limit is reached', async () => {
        const key = `hold-${eventId}`;
        const first = await cache.create(input({ quantity: 2 }), { idempotencyKey: key, maxHeld: 2 });
        const retries = await Promise.all(Array.from({ length: 5 }, () => cache.create(input({ quantity: 2 }), { idempotencyKey: key, maxHeld: 2 })));
        for (const retry of retries) expect(retry.id).toBe(first.id);
        await expect(cache.held(pair())).resolves.toBe(2);
      });

      it('never releases twice when a delete, a cancel and a completion race', async () => {
        for (let round = 0; round < 8; round++) {
          const created = await cache.create(input({ quantity: 2 }), { maxHeld: 2 });
          await cache.updateStatus(created.id, 'CONFIRMING');
          await Promise.allSettled([cache.deleteById(created.id), cache.updateStatus(created.id, 'CANCELLED'), cache.updateStatus(created.id, 'COMPLETED')]);
          await expect(cache.held(pair())).resolves.toBe(0);
          await cache.deleteById(created.id);
        }
        await expect(cache.held(pair())).resolves.toBe(0);
      });

      it('counts several statuses, and held counts only CREATED and CONFIRMING', async () => {
        const a = await cache.create(input({ quantity: 1 }));
        const b = await cache.create(input({ quantity: 2 }));
        const c = await cache.create(input({ quantity: 4 }));
        await cache.create(input({ quantity: 8 }));
        await cache.updateStatus(a.id, 'CONFIRMING');
        await cache.updateStatus(b.id, 'CANCELLED');
        await cache.updateStatus(c.id, 'CONFIRMING');
        await cache.updateStatus(c.id, 'COMPLETED');
        await expectCount({ eventId, status: ['CREATED', 'CONFIRMING'] }, { sessions: 2, quantity: 9 });
        await expectCount({ eventId, status: ['COMPLETED', 'CANCELLED', 'COMPLETED'] }, { sessions: 2, quantity: 6 });
        await expectCount({ eventId, priceId: 'standard', status: 'CANCELLED' }, { sessions: 1, quantity: 2 });
        await expectCount({ eventId }, { sessions: 4, quantity: 15 });
        await expect(cache.held(pair())).resolves.toBe(9);
        await expect(cache.held({ eventId, priceId: 'other' })).resolves.toBe(0);
      });

      it.each<[string, () => Promise<unknown>]>([
        ['a negative maxHeld', () => cache.create(input(), { maxHeld: -1 })],
        ['a fractional maxHeld', () => cache.create(input(), { maxHeld: 1.5 })],
        ['maxHeld as a string', () => cache.create(input(), { maxHeld: '5' as never })],
        ['held without priceId', () => cache.held({ eventId } as never)],
        ['held with an unknown field', () => cache.held({ ...pair(), status: 'CREATED' } as never)],
        ['count with an empty status list', () => cache.count({ eventId, status: [] })],
        ['count with an unknown status in the list', () => cache.count({ eventId, status: ['CREATED', 'PAID' as never] })],
      ])('rejects %s with a validation error', async (_case, call) => {
        await expect(call()).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expect(cache.held(pair())).resolves.toBe(0);
      });
    });

    // Calls made together: a store may group them (the DynamoDB driver sends the creates and releases of one price in
    // one process in one transaction, docs/holds.md) or run them one by one (the memory driver): nothing of it shows.
    describe('calls made together', () => {
      const pair = () => ({ eventId, priceId: 'p' });
      /** What a settled create says: created, or a refusal with what was available. */
      const outcome = (result: PromiseSettledResult<unknown>) =>
        result.status === 'fulfilled'
          ? 'created'
          : result.reason instanceof CheckoutSessionSoldOutError
            ? `soldOut(${result.reason.available})`
            : (result.reason as Error).name;

      it('decides each create by its own maxHeld, in call order, as if one by one', async () => {
        // maxHeld 20, 19, …, 1 for one ticket each: the first ten fit (held 10), every later one would be the 11th.
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cache.create({ ...pair(), quantity: 1 }, { maxHeld: 20 - i })));
        expect(results.map(outcome)).toEqual([...Array(10).fill('created'), ...Array(10).fill('soldOut(0)')]);
        await expect(cache.held(pair())).resolves.toBe(10);
      });

      it('tells each refused create what its maxHeld leaves once the ones before it are decided', async () => {
        const results = await Promise.allSettled(Array.from({ length: 6 }, () => cache.create({ ...pair(), quantity: 3 }, { maxHeld: 10 })));
        expect(results.map(outcome)).toEqual(['created', 'created', 'created', 'soldOut(1)', 'soldOut(1)', 'soldOut(1)']);
        // Mixed quantities: 4 + 4 fit, 3 would make 11, 2 still fits.
        const mixed = await Promise.allSettled([4, 4, 3, 2].map((quantity) => cache.create({ eventId, priceId: 'q', quantity }, { maxHeld: 10 })));
        expect(mixed.map(outcome)).toEqual(['created', 'created', 'soldOut(2)', 'created']);
      });

      it('gives creates made together with a release the room it frees, and holds exactly what is left', async () => {
        const first = await cache.create({ ...pair(), quantity: 4 }, { maxHeld: 5 });
        const [cancelled, ...creates] = await Promise.allSettled([
          cache.updateStatus(first.id, 'CANCELLED'),
          ...Array.from({ length: 7 }, () => cache.create({ ...pair(), quantity: 1 }, { maxHeld: 5 })),
        ]);
        expect(cancelled!.status).toBe('fulfilled');
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
        expect(fresh!.status).toBe('fulfilled');
        expect(again).toMatchObject({ status: 'fulfilled', value: { id: fresh!.value.id } });
        expect(results[4]!.status).toBe('fulfilled');
        expect(results[6]!.status).toBe('fulfilled');
        // earlier 1 + fresh 1 + 3; the doomed session released once, whichever of the delete and the cancel won.
        await expect(cache.held(pair())).resolves.toBe(5);
        await expect(cache.getById(doomed.id)).resolves.toBeNull();
      });
    });

    describe('copies', () => {
      it('returns objects the caller can mutate without changing the store', async () => {
        const metadata = { seat: { row: 1 } };
        const created = await cache.create(input({ metadata }));
        metadata.seat.row = 99;
        created.status = 'COMPLETED';
        (created.metadata!.seat as { row: number }).row = 42;
        created.expiresAt.setTime(0);

        const read = (await cache.getById(created.id)) as CheckoutSession;
        expect(read).toMatchObject({ status: 'CREATED', metadata: { seat: { row: 1 } } });
        expect(read.expiresAt.getTime()).toBeGreaterThan(clock.now());
        read.quantity = 1000;
        await expectCount({ eventId }, { sessions: 1, quantity: 2 });
      });
    });

    describe('ping', () => {
      it('resolves while the store answers', async () => {
        await expect(cache.ping()).resolves.toBeUndefined();
      });
    });
  });
}
