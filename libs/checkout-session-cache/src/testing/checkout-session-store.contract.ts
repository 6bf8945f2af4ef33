import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CHECKOUT_SESSION_STATUSES,
  CHECKOUT_SESSION_TARGET_STATUSES,
  CHECKOUT_SESSION_TRANSITIONS,
} from '../checkout-session-cache.state-machine.js';
import { holdBucketOf } from '../checkout-session-cache.holds.js';
import { CheckoutSessionCacheService } from '../checkout-session-cache.service.js';
import { CheckoutSessionAlreadyExistsError } from '../errors/checkout-session-already-exists.error.js';
import { CheckoutSessionConflictError } from '../errors/checkout-session-conflict.error.js';
import { CheckoutSessionIdempotencyKeyReusedError } from '../errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionCacheError } from '../errors/checkout-session-cache.error.js';
import { CheckoutSessionSoldOutError } from '../errors/checkout-session-sold-out.error.js';
import { CheckoutSessionValidationError } from '../errors/checkout-session-validation.error.js';
import type { CheckoutSessionClock } from '../interfaces/checkout-session-clock.interface.js';
import type { CheckoutSessionStore, StoredCheckoutSession } from '../interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionAvailability,
  CheckoutSessionCount,
  CheckoutSessionCountQuery,
  CheckoutSessionCreateOptions,
  CheckoutSessionPriceKey,
  CheckoutSessionStatus,
  NewCheckoutSession,
} from '../interfaces/checkout-session.interface.js';
import { settled } from './checkout-session-index.settle.js';
import { ManualCheckoutSessionClock } from './manual-checkout-session.clock.js';

const HOUR = 3_600_000;
const TTL_HOURS = 2;
/** The hold window and the hold while paying of the kit's port: 10 and 15 minutes, the defaults. */
const HOLD_SECONDS = 600;
const CONFIRMING_HOLD_SECONDS = 900;
/** The most tickets `setStock` takes (`MAX_STOCK`). */
const MAX_STOCK = 1_000_000_000;
/** Latest release of a lapsed hold of a `windowMs` window: 2 % of the window, at least 1 s, after `holdExpiresAt`. */
const releaseBound = (windowMs: number): number => Math.max(1000, 0.02 * windowMs);
/** The release bound of a hold of the kit's window, and of a hold extended by a move to `CONFIRMING`. */
const RELEASE_BOUND_MS = releaseBound(HOLD_SECONDS * 1000);
const CONFIRMING_RELEASE_BOUND_MS = releaseBound(CONFIRMING_HOLD_SECONDS * 1000);
const ceilToSecond = (ms: number): number => Math.ceil(ms / 1000) * 1000;
/** `holdExpiresAt` of `session` after a first move to `CONFIRMING` at `now`: never past `expiresAt`, never shorter. */
const extendedHold = (session: CheckoutSession, now: number): Date =>
  new Date(Math.max(session.holdExpiresAt.getTime(), Math.min(session.expiresAt.getTime(), ceilToSecond(now + CONFIRMING_HOLD_SECONDS * 1000))));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * How to bring a fresh session to each status: the transitions to make, then, for `EXPIRED` (never set), a move of
 * the clock to the `holdExpiresAt` of the session, which is `CONFIRMING` by then (the lapse of a paying session).
 */
const PATHS: Record<CheckoutSessionStatus, CheckoutSessionStatus[]> = {
  CREATED: [],
  CONFIRMING: ['CONFIRMING'],
  COMPLETED: ['CONFIRMING', 'COMPLETED'],
  CANCELLED: ['CANCELLED'],
  EXPIRED: ['CONFIRMING'],
};

/**
 * Whether the transitions to `targets`, in some order, lead from `from` to `to` with every step allowed. For sessions
 * whose hold does not lapse meanwhile: `EXPIRED` is never a target, and no step leads to it.
 */
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
 * the release bound after `holdExpiresAt`, replays), the hold window (per create, extended once on `CONFIRMING`),
 * `EXPIRED`, stock (`setStock`, `availability`), sold tickets, late payments, returns, and copies. Call it at the top
 * level of a spec file; `name` labels the suite.
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
      cache = new CheckoutSessionCacheService(store, clock, { ttlHours: TTL_HOURS, holdSeconds: HOLD_SECONDS, confirmingHoldSeconds: CONFIRMING_HOLD_SECONDS });
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

    /** The price the kit's `input()` holds, its availability, and what a refused create on it must carry. */
    const standard = (): CheckoutSessionPriceKey => ({ eventId, priceId: 'standard' });
    const availability = (): Promise<CheckoutSessionAvailability> => cache.availability(standard());
    const stockOf = (stock: number | null, held: number, sold: number): CheckoutSessionAvailability => ({
      stock,
      held,
      sold,
      available: stock === null ? null : Math.max(0, stock - held - sold),
    });
    const soldOut = (requested: number, available: number) =>
      expect.objectContaining({ name: 'CheckoutSessionSoldOutError', eventId, priceId: 'standard', requested, available });
    /** What a refused status change must carry. */
    const conflict = (id: string, currentStatus: CheckoutSessionStatus, requestedStatus: CheckoutSessionStatus, reason: string) =>
      expect.objectContaining({ name: 'CheckoutSessionConflictError', id, currentStatus, requestedStatus, reason });
    /** The error `call` rejects with (the test fails when it resolves). */
    const rejection = async (call: Promise<unknown>): Promise<unknown> => {
      const outcome = await call.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).toHaveProperty('error');
      return (outcome as { error: unknown }).error;
    };
    /** A session of `quantity` tickets moved to `CONFIRMING` now (its hold extended to now + 15 min). */
    const confirming = async (quantity: number, options?: CheckoutSessionCreateOptions): Promise<CheckoutSession> => {
      const created = await cache.create(input({ quantity }), options);
      return (await cache.updateStatus(created.id, 'CONFIRMING'))!;
    };
    /** A session of `quantity` tickets sold now: created, confirmed and completed. */
    const sell = async (quantity: number, options?: CheckoutSessionCreateOptions): Promise<CheckoutSession> =>
      (await cache.updateStatus((await confirming(quantity, options)).id, 'COMPLETED'))!;

    beforeEach(() => {
      calls.length = 0;
      // Each test works on its own event, so counts never see another test's sessions.
      eventId = `event-${expect.getState().currentTestName?.length}-${Math.random().toString(36).slice(2)}`;
    });

    describe('create', () => {
      it('returns a CREATED session with a random id, createdAt = now, expiresAt = createdAt + TTL and holdExpiresAt = createdAt + hold window (whole seconds)', async () => {
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
          holdExpiresAt: new Date(Math.ceil((clock.now() + HOLD_SECONDS * 1000) / 1000) * 1000),
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
        ['a caller-chosen holdExpiresAt', { holdExpiresAt: new Date(Date.now() + HOUR) }],
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
        const twin: StoredCheckoutSession = { ...first, status: 'CREATED', quantity: 5, metadata: { twin: true }, createdAt: new Date(now) };
        const hold = { bucket: holdBucketOf(twin.holdExpiresAt, HOLD_SECONDS * 1000) };
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
        expect(retry).toEqual({ ...first, status: 'CONFIRMING', holdExpiresAt: extendedHold(first, clock.now()) });
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
        clock.advance(5 * 60_000); // within the hold window: the move to CONFIRMING extends the hold, not the record
        const confirming = await cache.updateStatus(created.id, 'CONFIRMING');
        expect(confirming?.expiresAt).toEqual(created.expiresAt);
        expect(confirming?.createdAt).toEqual(created.createdAt);
        clock.set(created.expiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toBeNull();
      });
    });

    describe('updateStatus', () => {
      const pairs = CHECKOUT_SESSION_STATUSES.flatMap((from) => CHECKOUT_SESSION_TARGET_STATUSES.map((to) => [from, to] as const));

      /** A fresh session brought to `from` by its path (see PATHS), and the session it then reads. */
      const reach = async (from: CheckoutSessionStatus): Promise<{ created: CheckoutSession; reached: CheckoutSession }> => {
        const created = await cache.create(input());
        const confirmedAt = clock.now();
        for (const step of PATHS[from]) await cache.updateStatus(created.id, step);
        const holdExpiresAt = PATHS[from].includes('CONFIRMING') ? extendedHold(created, confirmedAt) : created.holdExpiresAt;
        if (from === 'EXPIRED') clock.set(holdExpiresAt.getTime());
        const reached = { ...created, status: from, holdExpiresAt };
        await expect(cache.getById(created.id)).resolves.toEqual(reached);
        return { created, reached };
      };

      it.each(pairs)('%s → %s follows the transition table', async (from, to) => {
        const { created, reached } = await reach(from);
        // A lapsed session (EXPIRED, here one that was CONFIRMING) may still complete or be cancelled; a step its
        // stored status allows but that needs the hold is refused for the lapse, any other as not allowed.
        if (CHECKOUT_SESSION_TRANSITIONS[from].includes(to)) {
          const holdExpiresAt = to === 'CONFIRMING' ? extendedHold(created, clock.now()) : reached.holdExpiresAt;
          const updated = await cache.updateStatus(created.id, to);
          expect(updated).toEqual({ ...reached, status: to, holdExpiresAt });
          await expect(cache.getById(created.id)).resolves.toEqual({ ...reached, status: to, holdExpiresAt });
        } else {
          const reason = from === 'EXPIRED' && CHECKOUT_SESSION_TRANSITIONS.CONFIRMING.includes(to) ? 'HOLD_EXPIRED' : 'TRANSITION_NOT_ALLOWED';
          const error = await rejection(cache.updateStatus(created.id, to));
          expect(error).toBeInstanceOf(CheckoutSessionConflictError);
          expect(error).toEqual(conflict(created.id, from, to, reason));
          await expect(cache.getById(created.id)).resolves.toEqual(reached);
        }
      });

      it.each(CHECKOUT_SESSION_STATUSES)('%s → EXPIRED is a validation error before any store call: a session expires, it is never set EXPIRED', async (from) => {
        const { created, reached } = await reach(from);
        calls.length = 0;
        const error = await rejection(cache.updateStatus(created.id, 'EXPIRED'));
        expect(error).toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expect(cache.getById(created.id)).resolves.toEqual(reached);
      });

      it('returns null for an absent session', async () => {
        await expect(cache.updateStatus('00000000-0000-4000-8000-000000000000', 'CANCELLED')).resolves.toBeNull();
      });

      it.each<[string, unknown]>([
        ['an empty id', ['', 'CANCELLED']],
        ['an unknown status', ['00000000-0000-4000-8000-000000000000', 'PAID']],
        ['EXPIRED', ['00000000-0000-4000-8000-000000000000', 'EXPIRED']],
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
          expect([null, { ...created, status: 'CONFIRMING', holdExpiresAt: extendedHold(created, clock.now()) }]).toContainEqual(updated);
          await expect(cache.getById(created.id)).resolves.toBeNull();
          await expect(cache.held({ eventId, priceId: 'standard' })).resolves.toBe(0);
        }
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });

      it('ends many concurrent mixed transitions in a status that the winners, applied one by one, produce', async () => {
        const created = await cache.create(input());
        const targets = Array.from({ length: 24 }, (_, i) => CHECKOUT_SESSION_TARGET_STATUSES[(i * 7) % 4]!);
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
      const pair = standard;

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

      it('releases a lapsed hold within the bound after holdExpiresAt (2 % of the hold window, at least 1 s), never before', async () => {
        const created = await cache.create(input({ quantity: 4 }), { maxHeld: 4 });
        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(cache.held(pair())).resolves.toBe(4);
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 4 })).rejects.toEqual(soldOut(1, 0));
        clock.set(created.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.held(pair())).resolves.toBe(0);
        // Racing creates after the lapse release the old hold once, and then fill the room exactly.
        const results = await Promise.allSettled(Array.from({ length: 12 }, () => cache.create(input({ quantity: 1 }), { maxHeld: 4 })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
        await expect(cache.held(pair())).resolves.toBe(4);
        // Ending a lapsed hold releases nothing more: the session, still readable, is cancelled or deleted for nothing.
        await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
        await cache.deleteById(created.id);
        await expect(cache.held(pair())).resolves.toBe(4);
      });

      it('releases a hold as long as the TTL within its own bound after expiresAt, once the session is gone', async () => {
        const created = await cache.create(input({ quantity: 3 }), { maxHeld: 3, holdSeconds: TTL_HOURS * 3600 });
        expect(created.holdExpiresAt).toEqual(created.expiresAt);
        clock.set(created.expiresAt.getTime() - 1);
        await expect(cache.held(pair())).resolves.toBe(3);
        clock.set(created.expiresAt.getTime() + releaseBound(TTL_HOURS * HOUR));
        await expect(cache.getById(created.id)).resolves.toBeNull();
        await expect(cache.held(pair())).resolves.toBe(0);
        await cache.create(input({ quantity: 3 }), { maxHeld: 3 });
        await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toBeNull();
        await cache.deleteById(created.id);
        await expect(cache.held(pair())).resolves.toBe(3);
      });

      it('never releases a hold twice when the clock steps back after its lapse released it', async () => {
        const first = await cache.create(input({ quantity: 2 }), { maxHeld: 2 });
        clock.set(first.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        // The create releases the lapsed hold, then takes its place.
        await cache.create(input({ quantity: 2 }), { maxHeld: 2 });
        clock.set(first.holdExpiresAt.getTime() - 1000);
        // By its own holdExpiresAt the first session holds again, but its hold is gone: it cannot be paid for, and
        // ending it releases nothing.
        await expect(cache.getById(first.id)).resolves.toMatchObject({ status: 'CREATED' });
        await expect(cache.held(pair())).resolves.toBe(2);
        const error = await rejection(cache.updateStatus(first.id, 'CONFIRMING'));
        expect(error).toEqual(conflict(first.id, 'EXPIRED', 'CONFIRMING', 'HOLD_EXPIRED'));
        await expect(cache.getById(first.id)).resolves.toMatchObject({ status: 'CREATED', holdExpiresAt: first.holdExpiresAt });
        await cache.deleteById(first.id);
        await expect(cache.held(pair())).resolves.toBe(2);
        // Likewise a cancel, on a price of its own.
        const otherPrice = { eventId, priceId: 'other' };
        const other = await cache.create({ ...otherPrice, quantity: 2 });
        clock.set(other.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.held(otherPrice)).resolves.toBe(0);
        clock.set(other.holdExpiresAt.getTime() - 1000);
        await expect(cache.updateStatus(other.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
        await expect(cache.held(otherPrice)).resolves.toBe(0);
        await expect(cache.availability(otherPrice)).resolves.toEqual(stockOf(null, 0, 0));
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

    describe('hold window', () => {
      it('holds for the hold window from creation: holdExpiresAt = createdAt + 600 s in whole seconds, within expiresAt', async () => {
        clock.set(Math.floor(Date.now() / 1000) * 1000 + 250);
        const created = await cache.create(input());
        expect(created.holdExpiresAt).toEqual(new Date(ceilToSecond(clock.now() + HOLD_SECONDS * 1000)));
        expect(created.holdExpiresAt.getTime() % 1000).toBe(0);
        expect(created.holdExpiresAt.getTime()).toBeLessThanOrEqual(created.expiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toEqual(created);
        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toEqual(created);
      });

      it.each([1, 30, 3600, TTL_HOURS * 3600])('takes holdSeconds %d of a create over the window, within the same bounds', async (holdSeconds) => {
        clock.set(Math.floor(Date.now() / 1000) * 1000 + 250);
        const created = await cache.create(input(), { holdSeconds });
        expect(created.holdExpiresAt).toEqual(new Date(Math.min(created.expiresAt.getTime(), ceilToSecond(clock.now() + holdSeconds * 1000))));
        expect(created.expiresAt).toEqual(new Date(ceilToSecond(clock.now() + TTL_HOURS * HOUR)));
        await expect(cache.getById(created.id)).resolves.toEqual(created);
        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toMatchObject({ status: 'CREATED' });
        await expect(cache.held(standard())).resolves.toBe(2);
        clock.set(created.holdExpiresAt.getTime() + releaseBound(holdSeconds * 1000));
        if (created.holdExpiresAt < created.expiresAt) await expect(cache.getById(created.id)).resolves.toMatchObject({ status: 'EXPIRED' });
        await expect(cache.held(standard())).resolves.toBe(0);
      });

      it.each<[string, unknown]>([
        ['holdSeconds 0', 0],
        ['negative holdSeconds', -1],
        ['fractional holdSeconds', 1.5],
        ['holdSeconds over the TTL', TTL_HOURS * 3600 + 1],
        ['holdSeconds as a string', '600'],
        ['NaN holdSeconds', NaN],
        ['infinite holdSeconds', Infinity],
      ])('rejects %s with a validation error and stores nothing', async (_case, holdSeconds) => {
        await expect(cache.create(input(), { holdSeconds } as never)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expect(availability()).resolves.toEqual(stockOf(null, 0, 0));
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
      });

      it('extends the hold once on the move to CONFIRMING, to now + 900 s, not again after CONFIRMING → CREATED → CONFIRMING', async () => {
        const created = await cache.create(input());
        clock.advance(60_000);
        const extended = extendedHold(created, clock.now());
        expect(extended.getTime()).toBe(ceilToSecond(clock.now() + CONFIRMING_HOLD_SECONDS * 1000));
        await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toEqual({ ...created, status: 'CONFIRMING', holdExpiresAt: extended });
        clock.advance(60_000);
        await expect(cache.updateStatus(created.id, 'CREATED')).resolves.toEqual({ ...created, holdExpiresAt: extended });
        clock.advance(60_000);
        await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toEqual({ ...created, status: 'CONFIRMING', holdExpiresAt: extended });
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'CONFIRMING', holdExpiresAt: extended });
      });

      it('never shortens the hold: a hold longer than the paying window stays as it was', async () => {
        const created = await cache.create(input(), { holdSeconds: 3600 });
        await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toEqual({ ...created, status: 'CONFIRMING' });
        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'CONFIRMING' });
        await expect(cache.held(standard())).resolves.toBe(2);
      });

      it('never extends the hold past expiresAt, which never changes', async () => {
        const created = await cache.create(input(), { holdSeconds: TTL_HOURS * 3600 - 400 });
        clock.set(created.expiresAt.getTime() - 500_000); // 500 s before the end, 100 s before the hold lapses
        const confirmed = await cache.updateStatus(created.id, 'CONFIRMING');
        expect(confirmed).toEqual({ ...created, status: 'CONFIRMING', holdExpiresAt: created.expiresAt });
        clock.set(created.expiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toEqual(confirmed);
        clock.set(created.expiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toBeNull();
      });

      it('keeps the tickets of a paying session past its first window, until the extended hold lapses', async () => {
        await cache.setStock(standard(), 2);
        const created = await cache.create(input());
        clock.advance(5 * 60_000);
        const confirmed = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
        expect(confirmed.holdExpiresAt).toEqual(extendedHold(created, clock.now()));
        clock.set(created.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.getById(created.id)).resolves.toEqual(confirmed);
        await expect(availability()).resolves.toEqual(stockOf(2, 2, 0));
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        clock.set(confirmed.holdExpiresAt.getTime() - 1);
        await expect(availability()).resolves.toEqual(stockOf(2, 2, 0));
        clock.set(confirmed.holdExpiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toEqual({ ...confirmed, status: 'EXPIRED' });
        clock.set(confirmed.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await expect(availability()).resolves.toEqual(stockOf(2, 0, 0));
        await cache.create(input({ quantity: 2 }));
        await expect(availability()).resolves.toEqual(stockOf(2, 2, 0));
      });

      it('extends once under racing moves to CONFIRMING, and keeps the tickets held once', async () => {
        await cache.setStock(standard(), 2);
        const created = await cache.create(input());
        clock.advance(30_000);
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => cache.updateStatus(created.id, 'CONFIRMING')));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'CONFIRMING', holdExpiresAt: extendedHold(created, clock.now()) });
        await expect(availability()).resolves.toEqual(stockOf(2, 2, 0));
      });
    });

    describe('EXPIRED', () => {
      it('reads EXPIRED from holdExpiresAt on, in reads and in counts (not under CREATED or CONFIRMING), until expiresAt', async () => {
        const created = await cache.create(input({ quantity: 1 }));
        const paying = await confirming(2);
        const completed = await sell(4);
        const cancelled = await cache.create(input({ quantity: 8 }));
        await cache.updateStatus(cancelled.id, 'CANCELLED');

        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toEqual(created);
        await expectCount({ eventId, status: 'CREATED' }, { sessions: 1, quantity: 1 });
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 0, quantity: 0 });

        clock.set(created.holdExpiresAt.getTime());
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'EXPIRED' });
        await expect(cache.getById(paying.id)).resolves.toEqual(paying);
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 1, quantity: 1 });
        await expectCount({ eventId, status: 'CREATED' }, { sessions: 0, quantity: 0 });
        await expectCount({ eventId, priceId: 'standard', status: 'CONFIRMING' }, { sessions: 1, quantity: 2 });

        clock.set(paying.holdExpiresAt.getTime());
        await expect(cache.getById(paying.id)).resolves.toEqual({ ...paying, status: 'EXPIRED' });
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 2, quantity: 3 });
        await expectCount({ eventId, priceId: 'standard', status: ['CREATED', 'CONFIRMING'] }, { sessions: 0, quantity: 0 });
        await expectCount({ eventId, status: ['EXPIRED', 'COMPLETED'] }, { sessions: 3, quantity: 7 });
        await expectCount({ eventId, status: 'COMPLETED' }, { sessions: 1, quantity: 4 });
        await expectCount({ eventId, status: 'CANCELLED' }, { sessions: 1, quantity: 8 });
        await expectCount({ eventId }, { sessions: 4, quantity: 15 });

        clock.set(created.expiresAt.getTime() - 1);
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'EXPIRED' });
        await expect(cache.getById(completed.id)).resolves.toEqual(completed);
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 2, quantity: 3 });

        clock.set(created.expiresAt.getTime());
        for (const session of [created, paying, completed, cancelled]) await expect(cache.getById(session.id)).resolves.toBeNull();
        await expectCount({ eventId }, { sessions: 0, quantity: 0 });
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).resolves.toBeNull();
      });

      it('keeps counting a lapsed hold in held and availability until at most the release bound after holdExpiresAt, never before', async () => {
        await cache.setStock(standard(), 5);
        const created = await cache.create(input({ quantity: 3 }));
        clock.set(created.holdExpiresAt.getTime() - 1);
        await expect(availability()).resolves.toEqual(stockOf(5, 3, 0));
        clock.set(created.holdExpiresAt.getTime());
        // Lapsed: the store may release it from now on, within the bound.
        expect([stockOf(5, 3, 0), stockOf(5, 0, 0)]).toContainEqual(await availability());
        await expect(cache.held(standard())).resolves.toBeLessThanOrEqual(3);
        clock.set(created.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(availability()).resolves.toEqual(stockOf(5, 0, 0));
        await expect(cache.held(standard())).resolves.toBe(0);
        // Still readable and counted as a session, holding nothing.
        await expect(cache.getById(created.id)).resolves.toEqual({ ...created, status: 'EXPIRED' });
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 1, quantity: 3 });
        await cache.create(input({ quantity: 5 }));
        await expect(availability()).resolves.toEqual(stockOf(5, 5, 0));
      });

      it('lapses each hold by its own holdExpiresAt', async () => {
        const first = await cache.create(input({ quantity: 1 }));
        clock.advance(5 * 60_000);
        const second = await cache.create(input({ quantity: 2 }));
        clock.set(first.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.getById(first.id)).resolves.toMatchObject({ status: 'EXPIRED' });
        await expect(cache.getById(second.id)).resolves.toEqual(second);
        await expect(cache.held(standard())).resolves.toBe(2);
        await expectCount({ eventId, status: 'CREATED' }, { sessions: 1, quantity: 2 });
        await expect(cache.updateStatus(second.id, 'CONFIRMING')).resolves.toMatchObject({ status: 'CONFIRMING' });
      });

      it('lets an EXPIRED session be cancelled, releasing its tickets once, before and after the bound', async () => {
        await cache.setStock(standard(), 3);
        const early = await cache.create(input({ quantity: 2 }));
        const late = await confirming(1);
        clock.set(late.holdExpiresAt.getTime());
        await expect(cache.updateStatus(early.id, 'CANCELLED')).resolves.toEqual({ ...early, status: 'CANCELLED' });
        await expect(cache.updateStatus(late.id, 'CANCELLED')).resolves.toEqual({ ...late, status: 'CANCELLED' });
        await expect(availability()).resolves.toEqual(stockOf(3, 0, 0));
        clock.set(late.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        // Nothing released twice: available never exceeds the stock.
        await expect(availability()).resolves.toEqual(stockOf(3, 0, 0));
        const after = await cache.create(input({ quantity: 3 }));
        clock.set(after.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(cache.updateStatus(after.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
        await cache.deleteById(after.id);
        await expect(availability()).resolves.toEqual(stockOf(3, 0, 0));
      });

      it('refuses what needs the lapsed hold with HOLD_EXPIRED, other steps as not allowed, and changes nothing', async () => {
        await cache.setStock(standard(), 4);
        const created = await cache.create(input());
        const paying = await confirming(2);
        for (const at of [paying.holdExpiresAt.getTime(), paying.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS]) {
          clock.set(at);
          const held = (await availability()).held;
          const refusals: [CheckoutSession, CheckoutSessionStatus, string][] = [
            [created, 'CONFIRMING', 'HOLD_EXPIRED'],
            [created, 'COMPLETED', 'TRANSITION_NOT_ALLOWED'],
            [created, 'CREATED', 'TRANSITION_NOT_ALLOWED'],
            [paying, 'CREATED', 'HOLD_EXPIRED'],
            [paying, 'CONFIRMING', 'TRANSITION_NOT_ALLOWED'],
          ];
          for (const [session, to, reason] of refusals) {
            const error = await rejection(cache.updateStatus(session.id, to));
            expect(error).toBeInstanceOf(CheckoutSessionConflictError);
            expect(error).toEqual(conflict(session.id, 'EXPIRED', to, reason));
            await expect(cache.getById(session.id)).resolves.toEqual({ ...session, status: 'EXPIRED' });
          }
          await expect(availability()).resolves.toEqual(stockOf(4, held, 0));
        }
        await expect(availability()).resolves.toEqual(stockOf(4, 0, 0));
      });
    });

    describe('stock', () => {
      it('reads a price without stock as { stock: null, held, sold: 0, available: null }, and never limits its creates', async () => {
        await expect(availability()).resolves.toEqual({ stock: null, held: 0, sold: 0, available: null });
        await Promise.all([cache.create(input({ quantity: 1000 })), cache.create(input({ quantity: 1000 }))]);
        await expect(availability()).resolves.toEqual({ stock: null, held: 2000, sold: 0, available: null });
        await expect(cache.availability({ eventId, priceId: 'other' })).resolves.toEqual(stockOf(null, 0, 0));
      });

      it('lets creates fit only within stock − held − sold, refusing with what is available', async () => {
        await cache.setStock(standard(), 5);
        await expect(availability()).resolves.toEqual({ stock: 5, held: 0, sold: 0, available: 5 });
        const first = await cache.create(input({ quantity: 3 }));
        await expect(availability()).resolves.toEqual(stockOf(5, 3, 0));
        const error = await rejection(cache.create(input({ quantity: 3 })));
        expect(error).toBeInstanceOf(CheckoutSessionSoldOutError);
        expect(error).toEqual(soldOut(3, 2));
        await cache.create(input({ quantity: 2 }));
        await expect(availability()).resolves.toEqual({ stock: 5, held: 5, sold: 0, available: 0 });
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await cache.updateStatus(first.id, 'CONFIRMING');
        await cache.updateStatus(first.id, 'COMPLETED');
        await expect(availability()).resolves.toEqual({ stock: 5, held: 2, sold: 3, available: 0 });
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await expectCount({ eventId }, { sessions: 2, quantity: 5 });
        // Stock is per event and price.
        await expect(cache.availability({ eventId, priceId: 'other' })).resolves.toEqual(stockOf(null, 0, 0));
        await expect(cache.availability({ eventId: `${eventId}-other`, priceId: 'standard' })).resolves.toEqual(stockOf(null, 0, 0));
        await cache.create({ eventId, priceId: 'other', quantity: 9 });
      });

      it('takes stock up and down; lowered below held + sold it takes nothing back, and nothing new fits until holds free up', async () => {
        await cache.setStock(standard(), 5);
        const four = await cache.create(input({ quantity: 4 }));
        await cache.setStock(standard(), 10);
        await expect(availability()).resolves.toEqual(stockOf(10, 4, 0));
        const threes = [await cache.create(input({ quantity: 3 })), await cache.create(input({ quantity: 3 }))];
        await expect(availability()).resolves.toEqual(stockOf(10, 10, 0));
        await cache.updateStatus(four.id, 'CONFIRMING');
        await cache.updateStatus(four.id, 'COMPLETED');
        await cache.setStock(standard(), 8);
        // held 6 + sold 4 = 10 over a stock of 8: nothing is taken back, nothing new fits.
        await expect(availability()).resolves.toEqual({ stock: 8, held: 6, sold: 4, available: 0 });
        for (const three of threes) await expect(cache.getById(three.id)).resolves.toEqual(three);
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await expectCount({ eventId }, { sessions: 3, quantity: 10 });
        // A hold freeing up leaves 8 − 3 − 4 = 1.
        await cache.updateStatus(threes[0]!.id, 'CANCELLED');
        await expect(availability()).resolves.toEqual({ stock: 8, held: 3, sold: 4, available: 1 });
        await expect(cache.create(input({ quantity: 2 }))).rejects.toEqual(soldOut(2, 1));
        await cache.create(input({ quantity: 1 }));
        await cache.setStock(standard(), 0);
        await expect(availability()).resolves.toEqual({ stock: 0, held: 4, sold: 4, available: 0 });
        await cache.setStock(standard(), 12);
        await expect(availability()).resolves.toEqual({ stock: 12, held: 4, sold: 4, available: 4 });
        await cache.create(input({ quantity: 4 }));
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await cache.setStock(standard(), MAX_STOCK);
        await expect(availability()).resolves.toEqual(stockOf(MAX_STOCK, 8, 4));
      });

      it('applies both maxHeld and the stock to a create: it must fit in both, and a refusal tells the smaller room', async () => {
        await cache.setStock(standard(), 10);
        await cache.create(input({ quantity: 3 }), { maxHeld: 4 });
        await expect(cache.create(input({ quantity: 2 }), { maxHeld: 4 })).rejects.toEqual(soldOut(2, 1));
        await cache.create(input({ quantity: 5 }), { maxHeld: 20 });
        // held 8: the stock leaves 2, maxHeld 20 leaves 12.
        await expect(cache.create(input({ quantity: 3 }), { maxHeld: 20 })).rejects.toEqual(soldOut(3, 2));
        await expect(cache.create(input({ quantity: 1 }), { maxHeld: 8 })).rejects.toEqual(soldOut(1, 0));
        await cache.create(input({ quantity: 2 }), { maxHeld: 10 });
        await expect(availability()).resolves.toEqual(stockOf(10, 10, 0));
      });

      it('counts sold tickets against the stock, not against maxHeld', async () => {
        await cache.setStock(standard(), 10);
        await sell(3);
        await expect(availability()).resolves.toEqual(stockOf(10, 0, 3));
        await expect(cache.create(input({ quantity: 5 }), { maxHeld: 4 })).rejects.toEqual(soldOut(5, 4));
        await cache.create(input({ quantity: 4 }), { maxHeld: 4 });
        await expect(cache.create(input({ quantity: 4 }), { maxHeld: 100 })).rejects.toEqual(soldOut(4, 3));
        await cache.create(input({ quantity: 3 }), { maxHeld: 100 });
        await expect(availability()).resolves.toEqual(stockOf(10, 7, 3));
      });

      it.each<[string, () => Promise<unknown>]>([
        ['a negative total', () => cache.setStock(standard(), -1)],
        ['a fractional total', () => cache.setStock(standard(), 1.5)],
        ['a huge total', () => cache.setStock(standard(), 1e12)],
        ['a total over MAX_STOCK', () => cache.setStock(standard(), MAX_STOCK + 1)],
        ['a NaN total', () => cache.setStock(standard(), NaN)],
        ['an infinite total', () => cache.setStock(standard(), Infinity)],
        ['a total as a string', () => cache.setStock(standard(), '5' as never)],
        ['no total', () => cache.setStock(standard(), undefined as never)],
        ['a price without priceId', () => cache.setStock({ eventId } as never, 5)],
        ['a price with an empty eventId', () => cache.setStock({ eventId: '', priceId: 'standard' }, 5)],
        ['a price with an eventId of 129 characters', () => cache.setStock({ eventId: 'e'.repeat(129), priceId: 'standard' }, 5)],
        ['a price with a control character', () => cache.setStock({ eventId, priceId: 'a\u0000b' }, 5)],
        ['a price with an unknown field', () => cache.setStock({ ...standard(), stock: 5 } as never, 5)],
        ['no price', () => cache.setStock(undefined as never, 5)],
        ['availability without priceId', () => cache.availability({ eventId } as never)],
        ['availability with an unknown field', () => cache.availability({ ...standard(), held: 0 } as never)],
      ])('rejects setStock or availability with %s before any store call, and stores nothing', async (_case, call) => {
        await expect(call()).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expect(availability()).resolves.toEqual(stockOf(null, 0, 0));
        await cache.create(input({ quantity: 1000 }));
      });

      it('accepts a stock of 0 (nothing fits) and of MAX_STOCK', async () => {
        await cache.setStock(standard(), 0);
        await expect(availability()).resolves.toEqual({ stock: 0, held: 0, sold: 0, available: 0 });
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await cache.setStock(standard(), MAX_STOCK);
        await cache.create(input({ quantity: 1000 }));
        await expect(availability()).resolves.toEqual(stockOf(MAX_STOCK, 1000, 0));
      });

      it('sells out exactly under hundreds of racing one-ticket creates, and never refuses while tickets are free', async () => {
        await cache.setStock(standard(), 60);
        const results = await Promise.allSettled(Array.from({ length: 200 }, () => cache.create(input({ quantity: 1 }))));
        const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(60);
        for (const reason of refused) expect(reason).toEqual(soldOut(1, 0));
        await expect(availability()).resolves.toEqual(stockOf(60, 60, 0));
      });

      it('never holds more than the stock under racing creates of mixed quantities, with sales made before', async () => {
        await cache.setStock(standard(), 110);
        await sell(10);
        const quantities = Array.from({ length: 150 }, (_, i) => ((i * 7) % 4) + 1);
        const results = await Promise.allSettled(quantities.map((quantity) => cache.create(input({ quantity }))));
        let holding = 0;
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') holding += quantities[i]!;
          else {
            expect(result.reason).toBeInstanceOf(CheckoutSessionSoldOutError);
            expect((result.reason as CheckoutSessionSoldOutError).available).toBeLessThan(quantities[i]!);
          }
        });
        expect(holding).toBeLessThanOrEqual(100);
        expect(holding).toBeGreaterThan(100 - 4);
        await expect(availability()).resolves.toEqual(stockOf(110, holding, 10));
      });

      it('holds what some order of racing creates and a raise of the stock allows, and never more than the stock', async () => {
        await cache.setStock(standard(), 5);
        const [raised, ...creates] = await Promise.allSettled([
          cache.setStock(standard(), 10),
          ...Array.from({ length: 14 }, () => cache.create(input({ quantity: 1 }))),
        ]);
        expect(raised!.status).toBe('fulfilled');
        const created = creates.filter((r) => r.status === 'fulfilled').length;
        // The creates before the raise fit in 5, those after it in 10.
        expect(created).toBeGreaterThanOrEqual(5);
        expect(created).toBeLessThanOrEqual(10);
        for (const r of creates) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CheckoutSessionSoldOutError);
        await expect(availability()).resolves.toEqual(stockOf(10, created, 0));
      });
    });

    describe('sold', () => {
      it('moves a completed session’s tickets from held to sold in one step', async () => {
        await cache.setStock(standard(), 10);
        const paying = await confirming(3);
        await expect(availability()).resolves.toEqual(stockOf(10, 3, 0));
        const before = stockOf(10, 3, 0);
        const after = stockOf(10, 0, 3);
        // Reads made together with the completion see it wholly or not at all: never 0 or 6 tickets taken.
        const [completed, ...reads] = await Promise.all([cache.updateStatus(paying.id, 'COMPLETED'), ...Array.from({ length: 10 }, () => availability())]);
        expect(completed).toEqual({ ...paying, status: 'COMPLETED' });
        for (const read of reads) expect([before, after]).toContainEqual(read);
        await expect(availability()).resolves.toEqual(after);
        // Without stock too.
        const free = { eventId, priceId: 'free' };
        const session = await cache.create({ ...free, quantity: 2 });
        await cache.updateStatus(session.id, 'CONFIRMING');
        await cache.updateStatus(session.id, 'COMPLETED');
        await expect(cache.availability(free)).resolves.toEqual(stockOf(null, 0, 2));
      });

      it('releases held tickets on cancel, delete and lapse, and sells none', async () => {
        await cache.setStock(standard(), 10);
        const cancelled = await cache.create(input({ quantity: 1 }));
        const deleted = await confirming(2);
        const lapsed = await cache.create(input({ quantity: 3 }));
        await expect(availability()).resolves.toEqual(stockOf(10, 6, 0));
        await cache.updateStatus(cancelled.id, 'CANCELLED');
        await expect(availability()).resolves.toEqual(stockOf(10, 5, 0));
        await cache.deleteById(deleted.id);
        await expect(availability()).resolves.toEqual(stockOf(10, 3, 0));
        clock.set(lapsed.holdExpiresAt.getTime() + RELEASE_BOUND_MS);
        await expect(availability()).resolves.toEqual(stockOf(10, 0, 0));
      });

      it('never unsells: deleting a completed session, or its expiry, leaves its tickets sold', async () => {
        await cache.setStock(standard(), 10);
        const first = await sell(3);
        const second = await sell(2);
        await cache.deleteById(first.id);
        await expect(cache.getById(first.id)).resolves.toBeNull();
        await expect(availability()).resolves.toEqual(stockOf(10, 0, 5));
        await expect(cache.updateStatus(first.id, 'CANCELLED')).resolves.toBeNull();
        await expect(cache.updateStatus(second.id, 'CANCELLED')).rejects.toEqual(conflict(second.id, 'COMPLETED', 'CANCELLED', 'TRANSITION_NOT_ALLOWED'));
        clock.set(second.expiresAt.getTime());
        await expect(cache.getById(second.id)).resolves.toBeNull();
        await cache.deleteById(second.id);
        await expect(availability()).resolves.toEqual(stockOf(10, 0, 5));
      });

      it('never counts twice when completions, cancels and a delete of one session race', async () => {
        await cache.setStock(standard(), 16);
        let sold = 0;
        for (let round = 0; round < 8; round++) {
          const paying = await confirming(2);
          const results = await Promise.allSettled([
            cache.updateStatus(paying.id, 'COMPLETED'),
            cache.updateStatus(paying.id, 'CANCELLED'),
            cache.updateStatus(paying.id, 'COMPLETED'),
            cache.deleteById(paying.id),
            cache.updateStatus(paying.id, 'CANCELLED'),
          ]);
          const winners = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [(r.value as CheckoutSession).status] : []));
          for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CheckoutSessionConflictError);
          expect(winners.length).toBeLessThanOrEqual(1);
          if (winners[0] === 'COMPLETED') sold += 2;
          await expect(availability()).resolves.toEqual(stockOf(16, 0, sold));
        }
      });

      it('sells exactly what racing completions of many sessions complete, beside racing cancels', async () => {
        await cache.setStock(standard(), 100);
        const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => confirming((i % 3) + 1)));
        const results = await Promise.allSettled(sessions.map((s, i) => cache.updateStatus(s.id, i % 4 === 0 ? 'CANCELLED' : 'COMPLETED')));
        expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
        const sold = sessions.reduce((sum, s, i) => (i % 4 === 0 ? sum : sum + s.quantity), 0);
        await expect(availability()).resolves.toEqual(stockOf(100, 0, sold));
        await expectCount({ eventId, status: 'COMPLETED' }, { sessions: 15, quantity: sold });
      });
    });

    describe('late payments', () => {
      it('completes a CONFIRMING session whose hold lapsed, at its lapse, counting its tickets sold', async () => {
        await cache.setStock(standard(), 2);
        const paying = await confirming(2);
        clock.set(paying.holdExpiresAt.getTime());
        await expect(cache.getById(paying.id)).resolves.toEqual({ ...paying, status: 'EXPIRED' });
        // Still counted held (then no other create may take them, available 0, and they are its own to sell), or
        // released already within the bound (then they are free): either way the payment completes.
        expect([stockOf(2, 2, 0), stockOf(2, 0, 0)]).toContainEqual(await availability());
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).resolves.toEqual({ ...paying, status: 'COMPLETED' });
        await expect(availability()).resolves.toEqual(stockOf(2, 0, 2));
        await expectCount({ eventId, status: 'COMPLETED' }, { sessions: 1, quantity: 2 });
      });

      it('completes a lapsed CONFIRMING session after its hold was released, when its tickets are still free', async () => {
        await cache.setStock(standard(), 3);
        const paying = await confirming(2);
        clock.set(paying.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await expect(availability()).resolves.toEqual(stockOf(3, 0, 0));
        await cache.create(input({ quantity: 1 }));
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).resolves.toEqual({ ...paying, status: 'COMPLETED' });
        await expect(availability()).resolves.toEqual(stockOf(3, 1, 2));
        // Without stock, a late payment always finds its tickets.
        const free = { eventId, priceId: 'free' };
        const created = await cache.create({ ...free, quantity: 4 });
        const unlimited = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
        clock.set(unlimited.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await expect(cache.updateStatus(unlimited.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
        await expect(cache.availability(free)).resolves.toEqual(stockOf(null, 0, 4));
      });

      it('refuses a late payment whose released tickets the stock, lowered meanwhile, has no room for', async () => {
        await cache.setStock(standard(), 10);
        const paying = await confirming(2);
        // The paying hold is released by now (its bucket ended), whether or not a write of the store removed it yet.
        clock.set(paying.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await cache.create(input({ quantity: 8 }));
        await cache.setStock(standard(), 8);
        await expect(availability()).resolves.toEqual(stockOf(8, 8, 0));
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).rejects.toEqual(
          expect.objectContaining({ name: 'CheckoutSessionConflictError', reason: 'HOLD_EXPIRED', currentStatus: 'EXPIRED' }),
        );
        await expect(availability()).resolves.toEqual(stockOf(8, 8, 0));
        await expect(cache.getById(paying.id)).resolves.toMatchObject({ status: 'EXPIRED' });
      });

      it('refuses a late payment with HOLD_EXPIRED when others took its tickets meanwhile, changing nothing', async () => {
        await cache.setStock(standard(), 3);
        const paying = await confirming(2);
        clock.set(paying.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        const other = await cache.create(input({ quantity: 2 }));
        await expect(availability()).resolves.toEqual(stockOf(3, 2, 0));
        const error = await rejection(cache.updateStatus(paying.id, 'COMPLETED'));
        expect(error).toBeInstanceOf(CheckoutSessionConflictError);
        expect(error).toEqual(conflict(paying.id, 'EXPIRED', 'COMPLETED', 'HOLD_EXPIRED'));
        await expect(cache.getById(paying.id)).resolves.toEqual({ ...paying, status: 'EXPIRED' });
        await expect(availability()).resolves.toEqual(stockOf(3, 2, 0));
        await expectCount({ eventId, status: 'EXPIRED' }, { sessions: 1, quantity: 2 });
        // Once the tickets are free again, the payment that came back later still completes.
        await cache.updateStatus(other.id, 'CANCELLED');
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).resolves.toEqual({ ...paying, status: 'COMPLETED' });
        await expect(availability()).resolves.toEqual(stockOf(3, 0, 2));
      });

      it('lets a refused late payment still be cancelled, releasing nothing', async () => {
        await cache.setStock(standard(), 2);
        const paying = await confirming(2);
        clock.set(paying.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await cache.create(input({ quantity: 1 }));
        await expect(cache.updateStatus(paying.id, 'COMPLETED')).rejects.toEqual(conflict(paying.id, 'EXPIRED', 'COMPLETED', 'HOLD_EXPIRED'));
        await expect(cache.updateStatus(paying.id, 'CANCELLED')).resolves.toEqual({ ...paying, status: 'CANCELLED' });
        await expect(availability()).resolves.toEqual(stockOf(2, 1, 0));
      });

      it('never sells over the stock when late payments and creates race for released tickets', async () => {
        await cache.setStock(standard(), 4);
        const first = await confirming(2);
        const second = await confirming(2);
        clock.set(second.holdExpiresAt.getTime() + CONFIRMING_RELEASE_BOUND_MS);
        await cache.setStock(standard(), 3);
        const results = await Promise.allSettled([
          cache.updateStatus(first.id, 'COMPLETED'),
          cache.updateStatus(second.id, 'COMPLETED'),
          ...Array.from({ length: 3 }, () => cache.create(input({ quantity: 1 }))),
        ]);
        const [firstPaid, secondPaid, ...creates] = results;
        for (const paid of [firstPaid!, secondPaid!]) {
          if (paid.status === 'rejected') expect(paid.reason).toEqual(expect.objectContaining({ name: 'CheckoutSessionConflictError', reason: 'HOLD_EXPIRED' }));
        }
        for (const r of creates) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CheckoutSessionSoldOutError);
        const sold = [firstPaid, secondPaid].filter((r) => r!.status === 'fulfilled').length * 2;
        const held = creates.filter((r) => r.status === 'fulfilled').length;
        expect(sold + held).toBeLessThanOrEqual(3);
        // In any order, the stock ends full: one payment and one create, or three creates.
        expect(sold + held).toBe(3);
        await expect(availability()).resolves.toEqual(stockOf(3, held, sold));
      });
    });

    describe('returns', () => {
      it('takes returned tickets from sold back into what is available', async () => {
        await cache.setStock(standard(), 5);
        await sell(3);
        await expect(availability()).resolves.toEqual(stockOf(5, 0, 3));
        await expect(cache.returnTickets(standard(), 2)).resolves.toBeUndefined();
        await expect(availability()).resolves.toEqual({ stock: 5, held: 0, sold: 1, available: 4 });
        await cache.create(input({ quantity: 4 }));
        await expect(cache.create(input({ quantity: 1 }))).rejects.toEqual(soldOut(1, 0));
        await cache.returnTickets(standard(), 1);
        await expect(availability()).resolves.toEqual(stockOf(5, 4, 0));
        // Without stock too.
        const free = { eventId, priceId: 'free' };
        const session = await cache.create({ ...free, quantity: 3 });
        await cache.updateStatus(session.id, 'CONFIRMING');
        await cache.updateStatus(session.id, 'COMPLETED');
        await cache.returnTickets(free, 3);
        await expect(cache.availability(free)).resolves.toEqual(stockOf(null, 0, 0));
      });

      it('refuses to return more than are sold with a validation error, changing nothing', async () => {
        await expect(cache.returnTickets(standard(), 1)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        await expect(availability()).resolves.toEqual(stockOf(null, 0, 0));
        await cache.setStock(standard(), 5);
        await sell(3);
        const error = await rejection(cache.returnTickets(standard(), 4));
        expect(error).toBeInstanceOf(CheckoutSessionValidationError);
        expect((error as CheckoutSessionValidationError).issues).toEqual(['quantity: must be at most the 3 ticket(s) sold']);
        await expect(availability()).resolves.toEqual(stockOf(5, 0, 3));
      });

      it('never takes sold below 0 under racing returns', async () => {
        await cache.setStock(standard(), 10);
        await sell(5);
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => cache.returnTickets(standard(), 1)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CheckoutSessionValidationError);
        await expect(availability()).resolves.toEqual(stockOf(10, 0, 0));
      });

      it.each<[string, () => Promise<unknown>]>([
        ['quantity 0', () => cache.returnTickets(standard(), 0)],
        ['a negative quantity', () => cache.returnTickets(standard(), -1)],
        ['a fractional quantity', () => cache.returnTickets(standard(), 1.5)],
        ['a huge quantity', () => cache.returnTickets(standard(), 1e12)],
        ['a NaN quantity', () => cache.returnTickets(standard(), NaN)],
        ['a quantity as a string', () => cache.returnTickets(standard(), '1' as never)],
        ['a price without priceId', () => cache.returnTickets({ eventId } as never, 1)],
        ['a price with an unknown field', () => cache.returnTickets({ ...standard(), sold: 1 } as never, 1)],
      ])('rejects a return of %s before any store call, and changes nothing', async (_case, call) => {
        await expect(call()).rejects.toBeInstanceOf(CheckoutSessionValidationError);
        expectNoStoreCall();
        await expect(availability()).resolves.toEqual(stockOf(null, 0, 0));
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
        // Any order of the calls is correct: creates decided before the cancel lands share the 1 ticket left, those
        // after it the 5. So 1 to 5 holds, held is exactly theirs, and each refusal found no ticket free.
        const holds = creates.filter((r) => r.status === 'fulfilled').length;
        expect(holds).toBeGreaterThanOrEqual(1);
        expect(holds).toBeLessThanOrEqual(5);
        for (const r of creates) if (r.status === 'rejected') expect(r.reason).toMatchObject({ name: 'CheckoutSessionSoldOutError', available: 0 });
        await expect(cache.held(pair())).resolves.toBe(holds);
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
        created.holdExpiresAt.setTime(0);

        const read = (await cache.getById(created.id)) as CheckoutSession;
        expect(read).toMatchObject({ status: 'CREATED', metadata: { seat: { row: 1 } } });
        expect(read.expiresAt.getTime()).toBeGreaterThan(clock.now());
        expect(read.holdExpiresAt.getTime()).toBeGreaterThan(clock.now());
        read.holdExpiresAt.setTime(0);
        await expect(cache.getById(created.id)).resolves.toMatchObject({ status: 'CREATED' });
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
