import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '../../../../../test/support/bounded-wait.js';
import { bootCache, directClient, ManualClock, settled, testOptions, uniqueTableName } from '../../../../../test/support/checkout-session-cache.harness.js';
import { countKeyOf, countShardOf, ledgerIdOf } from './dynamodb-checkout-session.keys.js';
import { CHECKOUT_SESSION_TABLE_LAYOUT, COUNT_INDEX_NAME, EVENT_PRICE_INDEX_NAME } from './dynamodb-checkout-session.layout.js';
import { CheckoutSessionConflictError } from '../../errors/checkout-session-conflict.error.js';
import { CheckoutSessionSoldOutError } from '../../errors/checkout-session-sold-out.error.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import { CheckoutSessionValidationError } from '../../errors/checkout-session-validation.error.js';
import type { CheckoutSessionCache } from '../../interfaces/checkout-session-cache.interface.js';
import type { CheckoutSessionCacheModuleOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionCount, CheckoutSessionCountQuery } from '../../interfaces/checkout-session.interface.js';
import { startDynamoDbLocal } from '../../../../../scripts/dynamodb-local.launcher.mjs';
import { MAX_TRANSITION_TOKENS } from './dynamodb-checkout-session.items.js';
import { createCheckoutSessionDynamoDbClient } from './dynamodb-client.factory.js';
import { inspectCheckoutSessionTable } from './dynamodb-checkout-session.inspection.js';
import { backfillCheckoutSessionCountKeys } from './dynamodb-checkout-session.migration.js';
import { ensureCheckoutSessionTable } from './dynamodb-checkout-session.provisioning.js';

const rawClient = () => directClient();

/** Boots the DynamoDB driver on a fresh table and hands back what the test needs. */
async function dynamo(extra: CheckoutSessionCacheModuleOptions = {}) {
  const options = testOptions('dynamodb', extra);
  const booted = await bootCache(options);
  return { ...booted, tableName: options.tableName! };
}

/** The module's clock at the real time, moved to 250 ms past a whole second, so that rounding up to the second shows. */
function clockNow(): ManualClock {
  const clock = new ManualClock();
  clock.set(Math.floor(Date.now() / 1000) * 1000 + 250);
  return clock;
}

const DAY_MS = 24 * 3_600_000;
/** Epoch seconds of a date, as the driver stores them. */
const seconds = (date: Date): number => date.getTime() / 1000;
/** Epoch seconds of `ms` rounded up, as the port rounds expiries. */
const ceilSeconds = (ms: number): number => Math.ceil(ms / 1000);
/**
 * The ledger bucket of a hold lapsing at `holdExpiresAt` (epoch s), as docs/holds.md states it: the first multiple of
 * the width at or after `holdExpiresAt` plus the 1 s skew margin (folded into the bucket number). Widths are 2 % of the
 * hold window less that margin: 11 s for the default 600 s hold, 17 s for the 900 s hold of CONFIRMING.
 */
const bucketOf = (holdExpiresAt: number, width: number): number => Math.ceil((holdExpiresAt + 1) / width) * width;
const HOLD_WIDTH = 11;
const CONFIRMING_WIDTH = 17;
/** 0.1.0's bucket width, from the TTL: 2 % of 24 h less its 1 s margin, which it added at release time instead. */
const WIDTH_0_1_0 = 1727;

/** What `sold` reads as: a ledger that never sold has no `sold` attribute. */
type LedgerItem = { id: string; held: number; free?: number; sold?: number; stock?: number } & Record<string, unknown>;

/**
 * Checks what every write of this version keeps in a ledger: `held` is the sum of its `b<end>` buckets and
 * `free = (stock ?? 0) − held − sold`.
 */
function expectKept(ledger: LedgerItem): void {
  const buckets = Object.entries(ledger).filter(([name]) => /^b\d+$/.test(name)).reduce((sum, [, tickets]) => sum + (tickets as number), 0);
  expect(ledger.held).toBe(buckets);
  expect(ledger.free).toBe((ledger.stock ?? 0) - ledger.held - (ledger.sold ?? 0));
}

/** A count read until the count index (eventually consistent) shows `expected`. */
const countOf = (cache: CheckoutSessionCache, query: CheckoutSessionCountQuery, expected: CheckoutSessionCount) => settled(() => cache.count(query), expected);

describe('DynamoDB driver on DynamoDB Local', () => {
  let client: DynamoDBClient;

  beforeAll(() => {
    client = rawClient();
  });

  afterAll(() => {
    client.destroy();
  });

  /** The item `id` as stored, strongly consistent, in DynamoDB's own types. */
  const rawItem = async (tableName: string, id: string) =>
    (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

  /** The ledger of an event/price as stored (`undefined` while none was written). */
  const ledgerItem = async (tableName: string, eventId: string, priceId: string): Promise<LedgerItem | undefined> => {
    const item = await rawItem(tableName, ledgerIdOf(eventId, priceId));
    return item && (unmarshall(item) as LedgerItem);
  };

  it('stores a new session: expiresAt and holdExpiresAt in epoch seconds, its hold bucket, the count key with the lapse after the separator, metadata apart', async () => {
    const clock = clockNow();
    const { module, cache, tableName } = await dynamo({ clock });
    try {
      const createdAt = clock.now();
      const created = await cache.create({ eventId: 'e', priceId: 'p', quantity: 3, price: 12.5, metadata: { a: [1, 'b'] } });
      const expiresAt = ceilSeconds(createdAt + DAY_MS);
      // The default hold: 600 s from creation, rounded up to the second.
      const holdExpiresAt = ceilSeconds(createdAt + 600_000);
      expect(created).toMatchObject({ createdAt: new Date(createdAt), expiresAt: new Date(expiresAt * 1000), holdExpiresAt: new Date(holdExpiresAt * 1000), status: 'CREATED' });
      const Item = await rawItem(tableName, created.id);
      expect(Item).toEqual({
        id: { S: created.id },
        eventId: { S: 'e' },
        priceId: { S: 'p' },
        quantity: { N: '3' },
        price: { N: '12.5' },
        status: { S: 'CREATED' },
        hasMetadata: { BOOL: true },
        // The count index's keys: the shard comes from the id's first two hex digits; the sort key carries when the
        // hold lapses, after a control character no price id may hold.
        countShard: { S: `e#${parseInt(created.id.slice(0, 2), 16) % 32}` },
        countKey: { S: `CREATED#p\u001f${holdExpiresAt}` },
        createdAt: { N: String(createdAt) },
        expiresAt: { N: String(expiresAt) },
        holdExpiresAt: { N: String(holdExpiresAt) },
        // The end of the hold ledger's bucket, from the hold window (600 s), not from the TTL.
        holdBucket: { N: String(bucketOf(holdExpiresAt, HOLD_WIDTH)) },
      });
      expect(Item!.expiresAt!.N).toMatch(/^\d{10}$/);
      expect(Item!.holdExpiresAt!.N).toMatch(/^\d{10}$/);
      // Metadata lives in an item of its own, which a status change never rewrites.
      const metadataKey = { id: { S: `metadata#${created.id}` } };
      const metadata = await client.send(new GetItemCommand({ TableName: tableName, Key: metadataKey, ConsistentRead: true }));
      expect(metadata.Item).toEqual({ ...metadataKey, metadata: { M: { a: { L: [{ N: '1' }, { S: 'b' }] } } }, expiresAt: Item!.expiresAt });

      // Paying a minute later extends the hold once, to 900 s from then: a new lapse in the key, a new bucket.
      clock.advance(60_000);
      const extended = ceilSeconds(clock.now() + 900_000);
      await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toMatchObject({ status: 'CONFIRMING', holdExpiresAt: new Date(extended * 1000) });
      const confirming = await rawItem(tableName, created.id);
      expect(confirming).toMatchObject({
        status: { S: 'CONFIRMING' },
        countKey: { S: `CONFIRMING#p\u001f${extended}` },
        holdExpiresAt: { N: String(extended) },
        holdExtended: { BOOL: true },
        holdBucket: { N: String(bucketOf(extended, CONFIRMING_WIDTH)) },
        expiresAt: { N: String(expiresAt) },
        transitionCount: { N: '1' },
      });
      // An ended session's key has no lapse: it no longer holds.
      await cache.updateStatus(created.id, 'COMPLETED');
      await expect(rawItem(tableName, created.id)).resolves.toMatchObject({ status: { S: 'COMPLETED' }, countKey: { S: 'COMPLETED#p' }, holdExpiresAt: { N: String(extended) } });
      await cache.deleteById(created.id);
      await expect(client.send(new GetItemCommand({ TableName: tableName, Key: metadataKey, ConsistentRead: true }))).resolves.not.toHaveProperty('Item');
    } finally {
      await module.close();
    }
  });

  it('files a hold of a per-create holdSeconds under the bucket of its own window, a hold capped at the TTL included', async () => {
    const clock = clockNow();
    const { module, cache, tableName } = await dynamo({ clock });
    try {
      const now = clock.now();
      const stored = async (holdSeconds: number) => {
        const created = await cache.create({ eventId: 'windows', priceId: 'p', quantity: 1 }, { holdSeconds });
        const item = unmarshall((await rawItem(tableName, created.id))!);
        expect(item.holdExpiresAt).toBe(seconds(created.holdExpiresAt));
        expect(item.countKey).toBe(`CREATED#p\u001f${item.holdExpiresAt}`);
        return item as { holdExpiresAt: number; holdBucket: number; expiresAt: number };
      };
      // One hour: 2 % is 72 s, less the margin 71 s.
      const hour = await stored(3600);
      expect(hour.holdExpiresAt).toBe(ceilSeconds(now + 3_600_000));
      expect(hour.holdBucket).toBe(bucketOf(hour.holdExpiresAt, 71));
      // 30 s: 2 % is under 2 s, so no margin and buckets of 1 s: released at holdExpiresAt itself.
      const short = await stored(30);
      expect(short.holdExpiresAt).toBe(ceilSeconds(now + 30_000));
      expect(short.holdBucket).toBe(short.holdExpiresAt);
      // The whole TTL: the hold lapses with the record, in the TTL's buckets (1727 s).
      const whole = await stored(24 * 3600);
      expect(whole.holdExpiresAt).toBe(whole.expiresAt);
      expect(whole.holdBucket).toBe(bucketOf(whole.expiresAt, 1727));
      const ledger = (await ledgerItem(tableName, 'windows', 'p'))!;
      expect(ledger).toEqual({ id: ledgerIdOf('windows', 'p'), held: 3, free: -3, [`b${hour.holdBucket}`]: 1, [`b${short.holdBucket}`]: 1, [`b${whole.holdBucket}`]: 1 });
    } finally {
      await module.close();
    }
  });

  it('keeps held, sold, free, stock and buckets in the ledger item through creates, a sale, a return, stock changes and a cancel', async () => {
    const clock = clockNow();
    const { module, cache, tableName } = await dynamo({ clock });
    const price = { eventId: 'ledger', priceId: 'p' };
    const id = ledgerIdOf('ledger', 'p');
    const ledger = async () => {
      const item = (await ledgerItem(tableName, 'ledger', 'p'))!;
      expectKept(item);
      return item;
    };
    try {
      await expect(ledgerItem(tableName, 'ledger', 'p')).resolves.toBeUndefined();
      await expect(cache.availability(price)).resolves.toEqual({ stock: null, held: 0, sold: 0, available: null });
      await cache.setStock(price, 10);
      await expect(ledger()).resolves.toEqual({ id, held: 0, free: 10, stock: 10 });

      const a = await cache.create({ ...price, quantity: 2 });
      const b = await cache.create({ ...price, quantity: 3 });
      const bucket = bucketOf(seconds(a.holdExpiresAt), HOLD_WIDTH);
      expect(seconds(b.holdExpiresAt)).toBe(seconds(a.holdExpiresAt));
      await expect(ledger()).resolves.toEqual({ id, held: 5, free: 5, stock: 10, [`b${bucket}`]: 5 });

      // Paying moves A's tickets to the bucket of its extended hold; completing moves them from held to sold.
      const confirming = await cache.updateStatus(a.id, 'CONFIRMING');
      const extendedBucket = bucketOf(seconds(confirming!.holdExpiresAt), CONFIRMING_WIDTH);
      await expect(ledger()).resolves.toEqual({ id, held: 5, free: 5, stock: 10, [`b${bucket}`]: 3, [`b${extendedBucket}`]: 2 });
      await cache.updateStatus(a.id, 'COMPLETED');
      await expect(ledger()).resolves.toEqual({ id, held: 3, sold: 2, free: 5, stock: 10, [`b${bucket}`]: 3, [`b${extendedBucket}`]: 0 });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 3, sold: 2, available: 5 });

      await cache.returnTickets(price, 1);
      await expect(ledger()).resolves.toMatchObject({ held: 3, sold: 1, free: 6, stock: 10 });
      // Lowered to exactly what is held and sold, then below it: nothing is taken back, nothing more fits.
      await cache.setStock(price, 4);
      await expect(ledger()).resolves.toMatchObject({ held: 3, sold: 1, free: 0, stock: 4 });
      await cache.setStock(price, 3);
      await expect(ledger()).resolves.toMatchObject({ held: 3, sold: 1, free: -1, stock: 3 });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 3, sold: 1, available: 0 });
      const refused = await cache.create({ ...price, quantity: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CheckoutSessionSoldOutError);
      expect(refused).toMatchObject({ available: 0, requested: 1 });
      const beforeRefusals = await ledger();

      // A return of more than sold, and a refused create, change nothing.
      await expect(cache.returnTickets(price, 2)).rejects.toThrow(CheckoutSessionValidationError);
      await expect(cache.returnTickets(price, 2)).rejects.toThrow('at most the 1 ticket(s) sold');
      await expect(ledger()).resolves.toEqual(beforeRefusals);

      await cache.updateStatus(b.id, 'CANCELLED');
      // Deleting a completed session does not unsell it.
      await cache.deleteById(a.id);
      await expect(ledger()).resolves.toEqual({ id, held: 0, sold: 1, free: 2, stock: 3, [`b${bucket}`]: 0, [`b${extendedBucket}`]: 0 });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 0, sold: 1, available: 2 });
      await cache.setStock(price, 0);
      await expect(ledger()).resolves.toMatchObject({ held: 0, sold: 1, free: -1, stock: 0 });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 0, held: 0, sold: 1, available: 0 });
    } finally {
      await module.close();
    }
  });

  it('sells a late payment again after its bucket was released, only within the stock, and releases the bucket in the ledger', async () => {
    const clock = clockNow();
    const { module, cache, tableName } = await dynamo({ clock });
    const price = { eventId: 'late', priceId: 'p' };
    try {
      await cache.setStock(price, 3);
      const late = await cache.create({ ...price, quantity: 2 });
      const paying = (await cache.updateStatus(late.id, 'CONFIRMING'))!;
      const bucket = bucketOf(seconds(paying.holdExpiresAt), CONFIRMING_WIDTH);
      // The bucket has ended: the hold is released by the ledger's clock, and the session reads EXPIRED.
      clock.set(bucket * 1000);
      await expect(cache.getById(late.id)).resolves.toMatchObject({ status: 'EXPIRED' });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 0, sold: 0, available: 3 });
      // A create takes the room the lapse freed; its write removes the ended bucket.
      const other = await cache.create({ ...price, quantity: 2 });
      const otherBucket = bucketOf(seconds(other.holdExpiresAt), HOLD_WIDTH);
      const afterCreate = (await ledgerItem(tableName, 'late', 'p'))!;
      expectKept(afterCreate);
      expect(afterCreate).toEqual({ id: ledgerIdOf('late', 'p'), held: 2, free: 1, stock: 3, [`b${otherBucket}`]: 2 });
      // The payment comes back: its tickets are no longer free.
      const error = await cache.updateStatus(late.id, 'COMPLETED').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckoutSessionConflictError);
      expect(error).toMatchObject({ id: late.id, currentStatus: 'EXPIRED', requestedStatus: 'COMPLETED', reason: 'HOLD_EXPIRED' });
      await expect(cache.getById(late.id)).resolves.toMatchObject({ status: 'EXPIRED' });
      await expect(ledgerItem(tableName, 'late', 'p')).resolves.toEqual(afterCreate);
      // Once they are free again, the same late payment sells them, taken from the stock, not from a hold.
      await cache.updateStatus(other.id, 'CANCELLED');
      await expect(cache.updateStatus(late.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
      const sold = (await ledgerItem(tableName, 'late', 'p'))!;
      expectKept(sold);
      expect(sold).toEqual({ id: ledgerIdOf('late', 'p'), held: 0, sold: 2, free: 1, stock: 3, [`b${otherBucket}`]: 0 });
      await expect(cache.availability(price)).resolves.toEqual({ stock: 3, held: 0, sold: 2, available: 1 });
    } finally {
      await module.close();
    }
  });

  /**
   * A module on a fresh table whose ledger housekeeping the test can wait for: it reads a ledger (eventually
   * consistent, off the callers' path) at most once a minute after a write to it, and hands the ended buckets it found
   * to the ledger's next transaction.
   */
  async function withHousekeeping(clock: ManualClock) {
    const housekeepingReads: number[] = [];
    const recording = rawClient();
    recording.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { Key?: { id?: string | { S?: string } }; ConsistentRead?: boolean };
        const id = typeof input.Key?.id === 'string' ? input.Key.id : input.Key?.id?.S;
        if (context.commandName === 'GetItemCommand' && id?.startsWith('hold#') && !input.ConsistentRead) housekeepingReads.push(Date.now());
        return result;
      },
      { step: 'initialize', name: 'housekeepingReads' },
    );
    const booted = await dynamo({ clock, client: recording });
    return {
      ...booted,
      /** A write to the ledger of `price`, then the housekeeping read it makes (the clock must be a minute on). */
      tidy: async (price: { eventId: string; priceId: string }) => {
        const before = housekeepingReads.length;
        await booted.cache.create({ ...price, quantity: 1 }, { holdSeconds: 24 * 3600 });
        await waitUntil('the ledger housekeeping has read the ledger', () => housekeepingReads.length > before, 10_000);
        await new Promise((resolve) => setImmediate(resolve));
      },
      close: async () => {
        await booted.module.close();
        recording.destroy();
      },
    };
  }

  /**
   * After the end of a lapsed hold: the price's next write (a create of one ticket) removes the ended bucket, its
   * tickets counted once, and the ledger keeps held and free exact.
   */
  async function expectReleasedOnce(
    cache: CheckoutSessionCache,
    tableName: string,
    price: { eventId: string; priceId: string },
    bucket: number,
    after: { stock: number; held: number; sold: number; available: number },
  ) {
    await cache.create({ ...price, quantity: 1 });
    await expect(cache.availability(price)).resolves.toEqual(after);
    const ledger = (await ledgerItem(tableName, price.eventId, price.priceId))!;
    expectKept(ledger);
    expect(ledger).not.toHaveProperty(`b${bucket}`);
    expect(ledger).toMatchObject({ held: after.held, ...(after.sold > 0 && { sold: after.sold }), stock: after.stock });
  }

  describe('a session whose bucket the ledger housekeeping found ended (its release goes in the next write)', () => {
    it('is cancelled, its tickets released once', async () => {
      const clock = clockNow();
      const { cache, tableName, tidy, close } = await withHousekeeping(clock);
      const price = { eventId: 'tidied', priceId: 'cancel' };
      try {
        await cache.setStock(price, 10);
        const lapsed = await cache.create({ ...price, quantity: 2 });
        const bucket = bucketOf(seconds(lapsed.holdExpiresAt), HOLD_WIDTH);
        // Past the end of its bucket, a minute after the last look: housekeeping finds the bucket ended.
        clock.set(bucket * 1000 + 60_000);
        await tidy(price);
        await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 1, sold: 0, available: 9 });
        await expect(cache.updateStatus(lapsed.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
        await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 1, sold: 0, available: 9 });
        await expectReleasedOnce(cache, tableName, price, bucket, { stock: 10, held: 2, sold: 0, available: 8 });
      } finally {
        await close();
      }
    });

    it('is deleted, its tickets released once', async () => {
      const clock = clockNow();
      const { cache, tableName, tidy, close } = await withHousekeeping(clock);
      const price = { eventId: 'tidied', priceId: 'delete' };
      try {
        await cache.setStock(price, 10);
        const lapsed = await cache.create({ ...price, quantity: 2 });
        const bucket = bucketOf(seconds(lapsed.holdExpiresAt), HOLD_WIDTH);
        clock.set(bucket * 1000 + 60_000);
        await tidy(price);
        await expect(cache.deleteById(lapsed.id)).resolves.toBeUndefined();
        await expect(cache.getById(lapsed.id)).resolves.toBeNull();
        await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 1, sold: 0, available: 9 });
        await expectReleasedOnce(cache, tableName, price, bucket, { stock: 10, held: 2, sold: 0, available: 8 });
      } finally {
        await close();
      }
    });

    it('completes as a late payment, its tickets sold again within the stock', async () => {
      const clock = clockNow();
      const { cache, tableName, tidy, close } = await withHousekeeping(clock);
      const price = { eventId: 'tidied', priceId: 'late' };
      try {
        await cache.setStock(price, 10);
        const created = await cache.create({ ...price, quantity: 3 });
        const paying = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
        const bucket = bucketOf(seconds(paying.holdExpiresAt), CONFIRMING_WIDTH);
        clock.set(bucket * 1000 + 60_000);
        await tidy(price);
        await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 1, sold: 0, available: 9 });
        await expect(cache.updateStatus(created.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
        await expect(cache.availability(price)).resolves.toEqual({ stock: 10, held: 1, sold: 3, available: 6 });
        await expectReleasedOnce(cache, tableName, price, bucket, { stock: 10, held: 2, sold: 3, available: 5 });
      } finally {
        await close();
      }
    });

    it('completes a payment whose hold has not lapsed by the clock, after the clock stepped back from past its bucket end', async () => {
      // A step back of the module's clock (an NTP correction): housekeeping found the bucket ended at its end and hands
      // it to the next write; the clock then steps back by the bucket's margin past the lapse (1 to 18 s), so by the
      // clock the hold has not lapsed: its tickets are still held, and paying must sell them, not ask the stock again.
      const clock = clockNow();
      const { cache, tableName, tidy, close } = await withHousekeeping(clock);
      const price = { eventId: 'tidied', priceId: 'stepped-back' };
      try {
        await cache.setStock(price, 4);
        const created = await cache.create({ ...price, quantity: 3 });
        const paying = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
        const bucket = bucketOf(seconds(paying.holdExpiresAt), CONFIRMING_WIDTH);
        clock.set(bucket * 1000);
        await tidy(price);
        clock.set(paying.holdExpiresAt.getTime() - 1);
        expect(bucket * 1000 - clock.now()).toBeLessThanOrEqual(18_001);
        await expect(cache.getById(created.id)).resolves.toMatchObject({ status: 'CONFIRMING' });
        // As the memory driver answers the same steps.
        await expect(cache.updateStatus(created.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
        await expect(cache.availability(price)).resolves.toEqual({ stock: 4, held: 1, sold: 3, available: 0 });
        expectKept((await ledgerItem(tableName, price.eventId, price.priceId))!);
      } finally {
        await close();
      }
    });
  });

  it('keeps a table and sessions of 0.1.0 working: they hold until their TTL, count, release, sell, and their ledger is adopted by the first write', async () => {
    const clock = clockNow();
    const { module, cache, tableName } = await dynamo({ clock });
    const t0 = clock.now();
    /** A session item as 0.1.0 wrote it: no holdExpiresAt, a count key without lapse, a bucket from the TTL. */
    const legacy = (priceId: string, quantity: number, status: 'CREATED' | 'CONFIRMING', createdAt: number, extra: Record<string, unknown> = {}) => {
      const id = randomUUID();
      const expiresAt = ceilSeconds(createdAt + DAY_MS);
      return {
        id,
        eventId: 'legacy',
        priceId,
        quantity,
        status,
        countShard: countShardOf('legacy', id),
        countKey: `${status}#${priceId}`,
        createdAt,
        expiresAt,
        holdBucket: Math.ceil(expiresAt / WIDTH_0_1_0) * WIDTH_0_1_0,
        ...extra,
      };
    };
    const put = (item: Record<string, unknown>) => client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));
    /** A ledger as 0.1.0 wrote it: `held` and its buckets, no free, sold or stock. */
    const legacyLedger = (priceId: string, sessions: { quantity: number; holdBucket: number }[]) => {
      const ledger: Record<string, unknown> = { id: ledgerIdOf('legacy', priceId), held: sessions.reduce((sum, s) => sum + s.quantity, 0) };
      for (const s of sessions) ledger[`b${s.holdBucket}`] = ((ledger[`b${s.holdBucket}`] as number | undefined) ?? 0) + s.quantity;
      return ledger;
    };
    // p: a session with metadata, and one paying that 0.1.0 changed once (its token set `transitions`), 45 min older.
    const a = legacy('p', 2, 'CREATED', t0 - 60_000, { hasMetadata: true });
    const b = legacy('p', 3, 'CONFIRMING', t0 - 45 * 60_000, { transitions: new Set([randomUUID()]) });
    const c = legacy('q', 4, 'CREATED', t0 - 60_000);
    const d = legacy('r', 1, 'CREATED', t0 - 60_000);
    const g = legacy('s', 2, 'CREATED', t0 - 60_000);
    expect(a.holdBucket).not.toBe(b.holdBucket);
    for (const item of [a, b, c, d, g]) await put(item);
    await put({ id: `metadata#${a.id}`, metadata: { seat: 'A1' }, expiresAt: a.expiresAt });
    // p's ledger also keeps the bucket of 0.1.0 holds that expired a day ago, which no write has released yet.
    const ended = Math.floor((t0 - DAY_MS) / 1000 / WIDTH_0_1_0) * WIDTH_0_1_0;
    const ledgers = { p: legacyLedger('p', [a, b, { quantity: 4, holdBucket: ended }]), q: legacyLedger('q', [c]), r: legacyLedger('r', [d]), s: legacyLedger('s', [g]) };
    expect(ledgers.p.held).toBe(9);
    for (const ledger of Object.values(ledgers)) await put(ledger);
    const at = (priceId: string) => ({ eventId: 'legacy', priceId });
    const ledger = async (priceId: string) => {
      const item = (await ledgerItem(tableName, 'legacy', priceId))!;
      expectKept(item);
      return item;
    };
    try {
      // An hour on, far past any hold of this version: a 0.1.0 session holds until its TTL, so it never reads EXPIRED.
      clock.set(t0 + 3_600_000);
      await expect(cache.getById(a.id)).resolves.toEqual({
        id: a.id,
        eventId: 'legacy',
        priceId: 'p',
        quantity: 2,
        status: 'CREATED',
        metadata: { seat: 'A1' },
        createdAt: new Date(a.createdAt),
        expiresAt: new Date(a.expiresAt * 1000),
        holdExpiresAt: new Date(a.expiresAt * 1000),
      });
      await expect(cache.getById(b.id)).resolves.toMatchObject({ status: 'CONFIRMING', holdExpiresAt: new Date(b.expiresAt * 1000) });
      await expect(countOf(cache, { eventId: 'legacy' }, { sessions: 5, quantity: 12 })).resolves.toEqual({ sessions: 5, quantity: 12 });
      await expect(countOf(cache, { eventId: 'legacy', status: 'CREATED' }, { sessions: 4, quantity: 9 })).resolves.toEqual({ sessions: 4, quantity: 9 });
      await expect(countOf(cache, { eventId: 'legacy', priceId: 'p', status: 'CONFIRMING' }, { sessions: 1, quantity: 3 })).resolves.toEqual({ sessions: 1, quantity: 3 });
      await expect(countOf(cache, { eventId: 'legacy', priceId: 'p' }, { sessions: 2, quantity: 5 })).resolves.toEqual({ sessions: 2, quantity: 5 });
      await expect(cache.count({ eventId: 'legacy', status: 'EXPIRED' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      // Reads adopt nothing.
      await expect(cache.availability(at('p'))).resolves.toEqual({ stock: null, held: 5, sold: 0, available: null });
      await expect(ledgerItem(tableName, 'legacy', 'p')).resolves.toEqual(ledgers.p);

      // p: the first write of this version is a create; it adopts the ledger (free = −held, then its own change) and
      // releases the ended bucket in the same write.
      const e = await cache.create({ ...at('p'), quantity: 1 });
      const eBucket = bucketOf(seconds(e.holdExpiresAt), HOLD_WIDTH);
      await expect(ledger('p')).resolves.toEqual({ id: ledgerIdOf('legacy', 'p'), held: 6, free: -6, [`b${a.holdBucket}`]: 2, [`b${b.holdBucket}`]: 3, [`b${eBucket}`]: 1 });
      await expect(cache.availability(at('p'))).resolves.toEqual({ stock: null, held: 6, sold: 0, available: null });
      // q: the first write is a cancel of a 0.1.0 session; it releases the session's tickets from its 0.1.0 bucket.
      await expect(cache.updateStatus(c.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
      await expect(ledger('q')).resolves.toEqual({ ...ledgers.q, held: 0, free: 0, [`b${c.holdBucket}`]: 0 });
      await expect(cache.availability(at('q'))).resolves.toEqual({ stock: null, held: 0, sold: 0, available: null });
      // r: the first write is a stock change.
      await cache.setStock(at('r'), 5);
      await expect(ledger('r')).resolves.toEqual({ ...ledgers.r, free: 4, stock: 5 });
      await expect(cache.availability(at('r'))).resolves.toEqual({ stock: 5, held: 1, sold: 0, available: 4 });

      // p, adopted: paying keeps a 0.1.0 hold as it is (it already lasts the TTL), a cancel releases, a completion of
      // the 0.1.0 payment sells, the stock set later is exact.
      await expect(cache.updateStatus(a.id, 'CONFIRMING')).resolves.toMatchObject({ status: 'CONFIRMING', holdExpiresAt: new Date(a.expiresAt * 1000) });
      await expect(rawItem(tableName, a.id)).resolves.toMatchObject({
        countKey: { S: `CONFIRMING#p\u001f${a.expiresAt}` },
        holdExpiresAt: { N: String(a.expiresAt) },
        holdBucket: { N: String(a.holdBucket) },
      });
      await expect(ledger('p')).resolves.toMatchObject({ held: 6, [`b${a.holdBucket}`]: 2 });
      await cache.updateStatus(a.id, 'CANCELLED');
      await expect(cache.updateStatus(b.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
      await expect(ledger('p')).resolves.toEqual({ id: ledgerIdOf('legacy', 'p'), held: 1, sold: 3, free: -4, [`b${a.holdBucket}`]: 0, [`b${b.holdBucket}`]: 0, [`b${eBucket}`]: 1 });
      await cache.setStock(at('p'), 6);
      await expect(ledger('p')).resolves.toMatchObject({ held: 1, sold: 3, free: 2, stock: 6 });
      await expect(cache.availability(at('p'))).resolves.toEqual({ stock: 6, held: 1, sold: 3, available: 2 });
      await expect(cache.create({ ...at('p'), quantity: 3 })).rejects.toMatchObject({ name: CheckoutSessionSoldOutError.name, available: 2 });
      await cache.create({ ...at('p'), quantity: 2 });
      await expect(cache.availability(at('p'))).resolves.toEqual({ stock: 6, held: 3, sold: 3, available: 0 });
      await cache.returnTickets(at('p'), 3);
      await expect(cache.availability(at('p'))).resolves.toEqual({ stock: 6, held: 3, sold: 0, available: 3 });
      await expect(ledger('p')).resolves.toMatchObject({ held: 3, sold: 0, free: 3, stock: 6 });
      // r: the stock counts the 0.1.0 hold until it ends.
      await cache.create({ ...at('r'), quantity: 4 });
      await expect(cache.create({ ...at('r'), quantity: 1 })).rejects.toMatchObject({ name: CheckoutSessionSoldOutError.name, available: 0 });
      await cache.deleteById(d.id);
      await expect(cache.availability(at('r'))).resolves.toEqual({ stock: 5, held: 4, sold: 0, available: 1 });
      await expect(ledger('r')).resolves.toMatchObject({ held: 4, free: 1, stock: 5, [`b${d.holdBucket}`]: 0 });
      await expect(countOf(cache, { eventId: 'legacy', status: ['CREATED', 'CONFIRMING'] }, { sessions: 4, quantity: 9 })).resolves.toEqual({ sessions: 4, quantity: 9 });

      // s: untouched by this version, its 0.1.0 session holds until its TTL and is released with its bucket.
      clock.set(g.expiresAt * 1000 - 1);
      await expect(cache.getById(g.id)).resolves.toMatchObject({ status: 'CREATED' });
      await expect(cache.count({ eventId: 'legacy', priceId: 's', status: 'CREATED' })).resolves.toEqual({ sessions: 1, quantity: 2 });
      await expect(cache.held(at('s'))).resolves.toBe(2);
      clock.set(g.expiresAt * 1000);
      await expect(cache.getById(g.id)).resolves.toBeNull();
      await expect(cache.count({ eventId: 'legacy', priceId: 's' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      // Released at its bucket's end: never before its expiresAt, within 2 % of the TTL after it.
      expect(g.holdBucket * 1000 - g.expiresAt * 1000).toBeLessThan(0.02 * DAY_MS);
      clock.set(g.holdBucket * 1000 - 1);
      await expect(cache.held(at('s'))).resolves.toBe(g.holdBucket === g.expiresAt ? 0 : 2);
      clock.set(g.holdBucket * 1000);
      await expect(cache.held(at('s'))).resolves.toBe(0);
      await expect(ledgerItem(tableName, 'legacy', 's')).resolves.toEqual(ledgers.s);
    } finally {
      await module.close();
    }
  });

  it('counts a lapsed hold under EXPIRED, not under CREATED or CONFIRMING, and keeps prices apart whose ids share a prefix', async () => {
    const clock = clockNow();
    const queries: string[] = [];
    const recording = rawClient();
    recording.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'QueryCommand') queries.push((args.input as { KeyConditionExpression: string }).KeyConditionExpression);
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const { module, cache } = await dynamo({ clock, client: recording });
    const ev = 'expiring';
    const count = (query: Omit<CheckoutSessionCountQuery, 'eventId'>, expected: CheckoutSessionCount) => countOf(cache, { eventId: ev, ...query }, expected);
    try {
      const a = await cache.create({ eventId: ev, priceId: 'p', quantity: 1 });
      const b = await cache.create({ eventId: ev, priceId: 'p', quantity: 2 });
      const paying = (await cache.updateStatus(b.id, 'CONFIRMING'))!;
      const c = await cache.create({ eventId: ev, priceId: 'p', quantity: 4 });
      await cache.updateStatus(c.id, 'CANCELLED');
      const d = await cache.create({ eventId: ev, priceId: 'p', quantity: 8 });
      await cache.updateStatus(d.id, 'CONFIRMING');
      await cache.updateStatus(d.id, 'COMPLETED');
      const e = await cache.create({ eventId: ev, priceId: 'p1', quantity: 16 });
      const f = await cache.create({ eventId: ev, priceId: 'p1', quantity: 32 }, { holdSeconds: 3600 });
      expect(seconds(e.holdExpiresAt)).toBe(seconds(a.holdExpiresAt));

      // Just before the first lapse, nothing is EXPIRED.
      clock.set(a.holdExpiresAt.getTime() - 1);
      await expect(count({ status: 'CREATED' }, { sessions: 3, quantity: 49 })).resolves.toEqual({ sessions: 3, quantity: 49 });
      await expect(count({ priceId: 'p', status: 'CREATED' }, { sessions: 1, quantity: 1 })).resolves.toEqual({ sessions: 1, quantity: 1 });
      await expect(count({ priceId: 'p1', status: 'CREATED' }, { sessions: 2, quantity: 48 })).resolves.toEqual({ sessions: 2, quantity: 48 });
      await expect(count({ status: 'EXPIRED' }, { sessions: 0, quantity: 0 })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(count({ priceId: 'p' }, { sessions: 4, quantity: 15 })).resolves.toEqual({ sessions: 4, quantity: 15 });
      await expect(count({ priceId: 'p1' }, { sessions: 2, quantity: 48 })).resolves.toEqual({ sessions: 2, quantity: 48 });

      // At the lapse (holdExpiresAt <= now): A and E are EXPIRED; the paying B and the longer hold F are not.
      clock.set(a.holdExpiresAt.getTime());
      await expect(cache.getById(a.id)).resolves.toMatchObject({ status: 'EXPIRED' });
      await expect(cache.getById(b.id)).resolves.toMatchObject({ status: 'CONFIRMING' });
      await expect(count({ status: 'EXPIRED' }, { sessions: 2, quantity: 17 })).resolves.toEqual({ sessions: 2, quantity: 17 });
      await expect(count({ priceId: 'p', status: 'EXPIRED' }, { sessions: 1, quantity: 1 })).resolves.toEqual({ sessions: 1, quantity: 1 });
      await expect(count({ priceId: 'p1', status: 'EXPIRED' }, { sessions: 1, quantity: 16 })).resolves.toEqual({ sessions: 1, quantity: 16 });
      await expect(count({ status: 'CREATED' }, { sessions: 1, quantity: 32 })).resolves.toEqual({ sessions: 1, quantity: 32 });
      await expect(count({ priceId: 'p', status: 'CREATED' }, { sessions: 0, quantity: 0 })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(count({ priceId: 'p', status: 'CONFIRMING' }, { sessions: 1, quantity: 2 })).resolves.toEqual({ sessions: 1, quantity: 2 });
      await expect(count({ status: ['CREATED', 'EXPIRED'] }, { sessions: 3, quantity: 49 })).resolves.toEqual({ sessions: 3, quantity: 49 });
      // Every session once, whatever it reads as.
      await expect(count({ priceId: 'p' }, { sessions: 4, quantity: 15 })).resolves.toEqual({ sessions: 4, quantity: 15 });
      await expect(count({}, { sessions: 6, quantity: 63 })).resolves.toEqual({ sessions: 6, quantity: 63 });

      // A count by EXPIRED reads the keys of the two holding statuses only, by the price's key range.
      queries.length = 0;
      await cache.count({ eventId: ev, priceId: 'p', status: 'EXPIRED' });
      expect(queries).toHaveLength(32 * 2);
      expect(new Set(queries)).toEqual(new Set(['countShard = :shard AND countKey BETWEEN :key AND :last']));

      // B's extended hold lapses in turn.
      clock.set(paying.holdExpiresAt.getTime());
      await expect(count({ priceId: 'p', status: 'EXPIRED' }, { sessions: 2, quantity: 3 })).resolves.toEqual({ sessions: 2, quantity: 3 });
      await expect(count({ status: 'CONFIRMING' }, { sessions: 0, quantity: 0 })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(count({ priceId: 'p', status: ['EXPIRED', 'CONFIRMING'] }, { sessions: 2, quantity: 3 })).resolves.toEqual({ sessions: 2, quantity: 3 });
      await expect(count({ priceId: 'p', status: 'COMPLETED' }, { sessions: 1, quantity: 8 })).resolves.toEqual({ sessions: 1, quantity: 8 });
      await expect(count({ priceId: 'p', status: 'CANCELLED' }, { sessions: 1, quantity: 4 })).resolves.toEqual({ sessions: 1, quantity: 4 });
      await expect(count({ priceId: 'p1', status: 'EXPIRED' }, { sessions: 1, quantity: 16 })).resolves.toEqual({ sessions: 1, quantity: 16 });

      // A lapsed session cancelled leaves EXPIRED; F lapses last.
      await cache.updateStatus(a.id, 'CANCELLED');
      await expect(count({ priceId: 'p', status: 'CANCELLED' }, { sessions: 2, quantity: 5 })).resolves.toEqual({ sessions: 2, quantity: 5 });
      await expect(count({ priceId: 'p', status: 'EXPIRED' }, { sessions: 1, quantity: 2 })).resolves.toEqual({ sessions: 1, quantity: 2 });
      clock.set(f.holdExpiresAt.getTime());
      await expect(count({ priceId: 'p1', status: 'EXPIRED' }, { sessions: 2, quantity: 48 })).resolves.toEqual({ sessions: 2, quantity: 48 });
      await expect(count({ status: 'CREATED' }, { sessions: 0, quantity: 0 })).resolves.toEqual({ sessions: 0, quantity: 0 });
      await expect(count({ status: 'EXPIRED' }, { sessions: 3, quantity: 50 })).resolves.toEqual({ sessions: 3, quantity: 50 });
    } finally {
      await module.close();
      recording.destroy();
    }
  });

  it('provisions the table idempotently: on-demand, the count index with a narrow projection, TTL on expiresAt', async () => {
    const tableName = uniqueTableName();
    const first: string[] = [];
    const second: string[] = [];
    // What the library asks for, not only what DynamoDB Local echoes back.
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    const recording = rawClient();
    recording.middlewareStack.add(
      (next, context) => (args) => {
        if (/^(Create|Update)Table|UpdateTimeToLive/.test(context.commandName ?? '')) sent.push({ command: context.commandName!, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordProvisioning' },
    );
    try {
      await ensureCheckoutSessionTable(recording, tableName, (line) => first.push(line));
      await ensureCheckoutSessionTable(recording, tableName, (line) => second.push(line));
    } finally {
      recording.destroy();
    }
    expect(sent.map((s) => s.command)).toEqual(['CreateTableCommand', 'UpdateTimeToLiveCommand']);
    expect(sent[0]!.input).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: CHECKOUT_SESSION_TABLE_LAYOUT.globalSecondaryIndexes,
    });
    expect(sent[1]!.input).toEqual({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } });
    expect(first).toHaveLength(2);
    expect(second).toEqual([]);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(1);
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === COUNT_INDEX_NAME);
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'countShard', KeyType: 'HASH' },
      { AttributeName: 'countKey', KeyType: 'RANGE' },
    ]);
    expect(index?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'expiresAt'] });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);
  });

  it('reports a missing table, a missing index and a disabled TTL, and adds what is missing', async () => {
    // Its own DynamoDB Local: under the other suites' traffic the shared one can hold an online index in CREATING
    // for a long time.
    const own = await startDynamoDbLocal();
    const client = directClient(own.endpoint);
    try {
      const tableName = uniqueTableName();
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([`table "${tableName}" does not exist`]);
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      const problems = await inspectCheckoutSessionTable(client, tableName);
      expect(problems).toEqual([expect.stringContaining(`has no index "${COUNT_INDEX_NAME}"`), expect.stringContaining('TTL is not enabled')]);
      await ensureCheckoutSessionTable(client, tableName);
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);
    } finally {
      client.destroy();
      await own.stop();
    }
  });

  it('upgrades a table of the previous layout online: table:create adds the count index, the backfill keys old sessions', async () => {
    const own = await startDynamoDbLocal();
    const client = directClient(own.endpoint);
    const tableName = uniqueTableName();
    try {
      // The previous layout: one index on eventId/priceId, metadata inside the session, no ledger.
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['id', 'eventId', 'priceId'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: EVENT_PRICE_INDEX_NAME,
              KeySchema: [
                { AttributeName: 'eventId', KeyType: 'HASH' },
                { AttributeName: 'priceId', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', 'expiresAt'] },
            },
          ],
        }),
      );
      const now = Date.now();
      const old = (status: string, quantity: number, extra: Record<string, unknown> = {}) => ({
        id: randomUUID(),
        eventId: 'upgraded',
        priceId: 'p',
        quantity,
        status,
        createdAt: now,
        expiresAt: Math.ceil((now + 3_600_000) / 1000),
        transitionId: randomUUID(),
        ...extra,
      });
      const sessions = [old('CREATED', 1, { metadata: { seat: 'A1' } }), old('CONFIRMING', 2), old('CANCELLED', 4)];
      for (const item of sessions) await client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));

      const log: string[] = [];
      await ensureCheckoutSessionTable(client, tableName, (line) => log.push(line));
      expect(log).toEqual([
        `Adding index "${COUNT_INDEX_NAME}" to table "${tableName}"`,
        expect.stringContaining(`Index "${EVENT_PRICE_INDEX_NAME}" of the previous layout is no longer read`),
        `Enabled TTL on "expiresAt" of table "${tableName}"`,
      ]);
      await expect(inspectCheckoutSessionTable(client, tableName)).resolves.toEqual([]);

      const { module, cache } = await bootCache({ driver: 'dynamodb', tableName, client, verifyTableOnStartup: false });
      try {
        // Old sessions read as before, metadata included, holding until their TTL; before the backfill the new index
        // does not know them.
        const expiresAt = new Date(sessions[0]!.expiresAt * 1000);
        await expect(cache.getById(sessions[0]!.id)).resolves.toMatchObject({ status: 'CREATED', metadata: { seat: 'A1' }, expiresAt, holdExpiresAt: expiresAt });
        await expect(cache.count({ eventId: 'upgraded' })).resolves.toEqual({ sessions: 0, quantity: 0 });
        await expect(backfillCheckoutSessionCountKeys(client, tableName)).resolves.toBe(3);
        await expect(backfillCheckoutSessionCountKeys(client, tableName)).resolves.toBe(0);
        // The keys of sessions without a hold window carry no lapse.
        const keys = await Promise.all(sessions.map(async (s) => unmarshall((await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: s.id } }, ConsistentRead: true }))).Item!).countKey));
        expect(keys).toEqual(['CREATED#p', 'CONFIRMING#p', 'CANCELLED#p']);
        const all = { sessions: 3, quantity: 7 };
        expect(await settled(() => cache.count({ eventId: 'upgraded' }), all)).toEqual(all);
        const holdingOld = { sessions: 2, quantity: 3 };
        expect(await settled(() => cache.count({ eventId: 'upgraded', priceId: 'p', status: ['CREATED', 'CONFIRMING'] }), holdingOld)).toEqual(holdingOld);
        // A change keeps the index keys right; old sessions were never in a ledger, so ending them releases (and
        // sells) nothing.
        await cache.create({ eventId: 'upgraded', priceId: 'p', quantity: 5 }, { maxHeld: 5 });
        await expect(cache.updateStatus(sessions[1]!.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
        await cache.deleteById(sessions[0]!.id);
        await expect(cache.held({ eventId: 'upgraded', priceId: 'p' })).resolves.toBe(5);
        await expect(cache.availability({ eventId: 'upgraded', priceId: 'p' })).resolves.toEqual({ stock: null, held: 5, sold: 0, available: null });
        const holding = { sessions: 1, quantity: 5 };
        expect(await settled(() => cache.count({ eventId: 'upgraded', status: ['CREATED', 'CONFIRMING'] }), holding)).toEqual(holding);
        const completed = { sessions: 1, quantity: 2 };
        expect(await settled(() => cache.count({ eventId: 'upgraded', priceId: 'p', status: 'COMPLETED' }), completed)).toEqual(completed);
        // A backfill after the switch gives a session of this version the key its hold calls for: nothing to change.
        await expect(backfillCheckoutSessionCountKeys(client, tableName)).resolves.toBe(0);
      } finally {
        await module.close();
      }
    } finally {
      client.destroy();
      await own.stop();
    }
  });

  it('treats an item past expiresAt as absent although DynamoDB still holds it', async () => {
    // The module's clock runs a minute past the item's expiresAt, which lies in the real future: DynamoDB Local's own
    // TTL, which deletes expired items in the background, leaves it in the table and in the index for this test.
    const clock = new ManualClock();
    const { module, cache, tableName } = await dynamo({ clock });
    try {
      const id = randomUUID();
      const past = Math.floor(Date.now() / 1000) + 3600;
      clock.set((past + 60) * 1000);
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: id },
            eventId: { S: 'stale' },
            priceId: { S: 'p' },
            quantity: { N: '5' },
            status: { S: 'CREATED' },
            // The index keys the driver writes: the stale session is in the count index, so only the expiry filter
            // keeps it out of the count.
            countShard: { S: countShardOf('stale', id) },
            countKey: { S: countKeyOf('CREATED', 'p') },
            createdAt: { N: String((past - 3600) * 1000) },
            expiresAt: { N: String(past) },
          },
        }),
      );
      // The precondition that makes the rest mean something: DynamoDB has not deleted it.
      const stillThere = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
      expect(stillThere.Item).toBeDefined();
      await expect(cache.getById(id)).resolves.toBeNull();
      await expect(cache.count({ eventId: 'stale' })).resolves.toEqual({ sessions: 0, quantity: 0 });
      const scanned = await client.send(new QueryCommand({
        TableName: tableName,
        IndexName: COUNT_INDEX_NAME,
        KeyConditionExpression: 'countShard = :shard',
        ExpressionAttributeValues: { ':shard': { S: countShardOf('stale', id) } },
      }));
      expect(scanned.Count).toBe(1); // the index does hold it: the count left it out because it expired
      await expect(cache.updateStatus(id, 'CANCELLED')).resolves.toBeNull();
    } finally {
      await module.close();
    }
  });

  it('follows LastEvaluatedKey through every page of the count query', async () => {
    // 32 shards paged by 3 make hundreds of queries: a generous timeout, so a loaded machine only makes it slower.
    const counted = createCheckoutSessionDynamoDbClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 30_000 });
    let queries = 0;
    let pagesAfterTheFirst = 0;
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') {
          queries += 1;
          if ((args.input as { ExclusiveStartKey?: unknown }).ExclusiveStartKey) pagesAfterTheFirst += 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const { module, cache } = await dynamo({ client: counted, queryPageSize: 3 });
    try {
      // 160 sessions over 32 shards, pages of 3: most shards take several pages.
      const quantities = Array.from({ length: 160 }, (_, i) => (i % 4) + 1);
      await Promise.all(quantities.map((quantity) => cache.create({ eventId: 'paged', priceId: 'p', quantity })));
      const expected = { sessions: 160, quantity: quantities.reduce((a, b) => a + b, 0) };
      // The index is eventually consistent: a count may lag the last create by a moment.
      await settled(() => cache.count({ eventId: 'paged', priceId: 'p' }), expected);
      queries = 0;
      pagesAfterTheFirst = 0;
      await expect(cache.count({ eventId: 'paged', priceId: 'p' })).resolves.toEqual(expected);
      // 32 shards × 4 statuses, and for CREATED every page after the first of each shard.
      expect(pagesAfterTheFirst).toBeGreaterThan(0);
      expect(queries).toBe(32 * 4 + pagesAfterTheFirst);
    } finally {
      await module.close();
      counted.destroy();
    }
  });

  it('answers a missing table with CheckoutSessionTableNotFoundError, never null', async () => {
    const { module, cache } = await dynamo({ autoCreateTable: false });
    const price = { eventId: 'e', priceId: 'p' };
    try {
      const error = await cache.getById(randomUUID()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckoutSessionTableNotFoundError);
      expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(cache.create({ eventId: 'e', priceId: 'p', quantity: 1 })).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.updateStatus(randomUUID(), 'CANCELLED')).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.deleteById(randomUUID())).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.count({ eventId: 'e' })).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.count({ eventId: 'e', priceId: 'p', status: 'EXPIRED' })).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.held(price)).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.availability(price)).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      // A store failure during a stock change or a return is an error the caller sees.
      await expect(cache.setStock(price, 5)).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.returnTickets(price, 1)).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
    } finally {
      await module.close();
    }
  });

  it('answers an unreachable endpoint with CheckoutSessionStoreUnavailableError carrying the cause', async () => {
    const { module, cache } = await bootCache({
      driver: 'dynamodb',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 2,
      requestTimeoutMs: 200,
    });
    try {
      const error = await cache.getById(randomUUID()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      expect((error as Error).cause).toBeInstanceOf(Error);
      const price = { eventId: 'e', priceId: 'p' };
      await expect(cache.availability(price)).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      await expect(cache.setStock(price, 5)).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      await expect(cache.returnTickets(price, 1)).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
    } finally {
      await module.close();
    }
  });

  it('recognises its own write when the SDK retries a create, a keyed or limited create, an update, a release, a delete, a sale, a stock change or a return whose response was lost', async () => {
    const lossy = rawClient();
    // Every write's first response is lost, after DynamoDB applied the write (or refused it: a refusal's answer is lost
    // too); the SDK retries the same request. This runs inside the deserializer: it sees the HTTP status.
    const lost = new WeakSet<object>();
    const losses: string[] = [];
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (/^(Put|Update|Delete)Item|TransactWriteItems/.test(context.commandName ?? '') && !lost.has(args.input as object)) {
          lost.add(args.input as object);
          losses.push(`${context.commandName} ${(result.response as { statusCode?: number }).statusCode}`);
          throw Object.assign(new Error('response lost after the write landed'), { name: 'TimeoutError', $metadata: {} });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseFirstResponse' },
    );
    const { module, cache, tableName } = await dynamo({ client: lossy, clock: new ManualClock() });
    const ledger = async () => {
      const item = (await ledgerItem(tableName, 'lossy', 'p'))!;
      expectKept(item);
      return item;
    };
    try {
      const held = { eventId: 'lossy', priceId: 'p' };
      const created = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 2 });
      await expect(cache.updateStatus(created.id, 'CONFIRMING')).resolves.toMatchObject({ id: created.id, status: 'CONFIRMING' });
      const keyed = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { idempotencyKey: 'k-1' });
      const limited = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { maxHeld: 4 });
      await expect(cache.held(held)).resolves.toBe(4);
      await expect(cache.create({ eventId: 'lossy', priceId: 'p', quantity: 1 }, { maxHeld: 4 })).rejects.toMatchObject({ available: 0 });
      await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toMatchObject({ id: created.id, status: 'CANCELLED' });
      await expect(cache.held(held)).resolves.toBe(2);
      await cache.deleteById(keyed.id);
      await expect(cache.held(held)).resolves.toBe(1);
      await expect(cache.getById(limited.id)).resolves.toEqual(limited);
      expect(await settled(() => cache.count({ eventId: 'lossy' }), { sessions: 2, quantity: 3 })).toEqual({ sessions: 2, quantity: 3 });
      // Six writes landed and lost their answer; so did the refusal of the create beyond maxHeld.
      const landed = 'TransactWriteItemsCommand 200';
      expect(losses).toEqual([landed, landed, landed, landed, 'TransactWriteItemsCommand 400', landed, landed]);

      // A stock change, a sale and a return, each applied once although each answer was lost.
      await cache.setStock(held, 10);
      await expect(cache.availability(held)).resolves.toEqual({ stock: 10, held: 1, sold: 0, available: 9 });
      const bought = await cache.create({ eventId: 'lossy', priceId: 'p', quantity: 3 });
      await expect(cache.availability(held)).resolves.toEqual({ stock: 10, held: 4, sold: 0, available: 6 });
      await expect(cache.updateStatus(bought.id, 'CONFIRMING')).resolves.toMatchObject({ status: 'CONFIRMING' });
      await expect(cache.updateStatus(bought.id, 'COMPLETED')).resolves.toMatchObject({ id: bought.id, status: 'COMPLETED' });
      await expect(cache.availability(held)).resolves.toEqual({ stock: 10, held: 1, sold: 3, available: 6 });
      await expect(cache.returnTickets(held, 1)).resolves.toBeUndefined();
      await expect(cache.availability(held)).resolves.toEqual({ stock: 10, held: 1, sold: 2, available: 7 });
      await expect(cache.setStock(held, 12)).resolves.toBeUndefined();
      await expect(cache.availability(held)).resolves.toEqual({ stock: 12, held: 1, sold: 2, available: 9 });
      await expect(ledger()).resolves.toMatchObject({ held: 1, sold: 2, free: 9, stock: 12 });
      // Each of these writes lost its first answer: a transaction each (the sale's extension and completion too).
      expect(losses.slice(7)).toEqual(Array(6).fill(landed));

      expect(await settled(() => cache.count({ eventId: 'lossy' }), { sessions: 3, quantity: 6 })).toEqual({ sessions: 3, quantity: 6 });
      const { Items } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      expect(Items).toHaveLength(5); // three sessions, one idempotency key record, one hold ledger
    } finally {
      await module.close();
      lossy.destroy();
    }
  });

  it('resolves transaction conflicts (contention on a hot ledger) inside the library: never sold out, never unavailable', async () => {
    const contended = rawClient();
    // The first two tries of every transaction are cancelled as DynamoDB cancels one that lost a race on an item: its
    // session's (the second part), or the ledger's when the ledger is all it writes (a stock change, a return).
    const tries = new Map<string, number>();
    contended.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          const parts = (args.input as { TransactItems: unknown[] }).TransactItems;
          const key = JSON.stringify(parts);
          const seen = (tries.get(key) ?? 0) + 1;
          tries.set(key, seen);
          if (seen <= 2) {
            const raced = Math.min(1, parts.length - 1);
            throw Object.assign(new Error('Transaction cancelled'), {
              name: 'TransactionCanceledException',
              CancellationReasons: parts.map((_, i) => ({ Code: i === raced ? 'TransactionConflict' : 'None' })),
              $metadata: {},
            });
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'conflictTwice' },
    );
    const { module, cache } = await dynamo({ client: contended, clock: new ManualClock() });
    try {
      const created = await cache.create({ eventId: 'contended', priceId: 'p', quantity: 2 }, { maxHeld: 2 });
      const keyed = await cache.create({ eventId: 'contended', priceId: 'k', quantity: 1 }, { idempotencyKey: 'contended-key' });
      await expect(cache.updateStatus(created.id, 'CANCELLED')).resolves.toMatchObject({ status: 'CANCELLED' });
      await cache.deleteById(keyed.id);
      await expect(cache.held({ eventId: 'contended', priceId: 'p' })).resolves.toBe(0);
      await expect(cache.held({ eventId: 'contended', priceId: 'k' })).resolves.toBe(0);
      expect(tries.size).toBe(4);

      // A stock change, a create within it, its extension and sale, and a return.
      const price = { eventId: 'contended', priceId: 's' };
      await cache.setStock(price, 2);
      const bought = await cache.create({ ...price, quantity: 2 });
      await expect(cache.updateStatus(bought.id, 'CONFIRMING')).resolves.toMatchObject({ status: 'CONFIRMING' });
      await expect(cache.updateStatus(bought.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
      await cache.returnTickets(price, 1);
      await expect(cache.availability(price)).resolves.toEqual({ stock: 2, held: 0, sold: 1, available: 1 });
      expect([...tries.values()].every((n) => n === 3)).toBe(true);
      expect(tries.size).toBe(9);
    } finally {
      await module.close();
      contended.destroy();
    }
  });

  it('keeps a session small and changeable through thousands of CONFIRMING ↔ CREATED flips', async () => {
    const clock = new ManualClock();
    const { module, cache, tableName } = await dynamo({ clock });
    try {
      const created = await cache.create({ eventId: 'flips', priceId: 'p', quantity: 1 }, { maxHeld: 1 });
      const size = async () => {
        const Item = await rawItem(tableName, created.id);
        return { bytes: JSON.stringify(Item).length, tokens: Item!.transitionTokens!.L!.length, count: Number(Item!.transitionCount!.N) };
      };
      // The first move to CONFIRMING extends the hold; no flip after it extends again.
      const confirming = (await cache.updateStatus(created.id, 'CONFIRMING'))!;
      const extended = seconds(confirming.holdExpiresAt);
      expect(extended).toBeGreaterThan(seconds(created.holdExpiresAt));
      const early = await size();
      for (let i = 0; i < 1000; i++) {
        await cache.updateStatus(created.id, 'CREATED');
        await cache.updateStatus(created.id, 'CONFIRMING');
      }
      const late = await size();
      expect(late.count).toBe(2001);
      expect(late.tokens).toBe(MAX_TRANSITION_TOKENS);
      // Eight tokens of 36 characters and a larger count: the item no longer grows with each change.
      expect(late.bytes).toBeLessThan(early.bytes + MAX_TRANSITION_TOKENS * 60);
      await expect(rawItem(tableName, created.id)).resolves.toMatchObject({
        holdExpiresAt: { N: String(extended) },
        holdExtended: { BOOL: true },
        holdBucket: { N: String(bucketOf(extended, CONFIRMING_WIDTH)) },
        countKey: { S: `CONFIRMING#p\u001f${extended}` },
      });
      await expect(cache.held({ eventId: 'flips', priceId: 'p' })).resolves.toBe(1);
      await expect(cache.updateStatus(created.id, 'COMPLETED')).resolves.toMatchObject({ status: 'COMPLETED' });
      await expect(cache.availability({ eventId: 'flips', priceId: 'p' })).resolves.toEqual({ stock: null, held: 0, sold: 1, available: null });
    } finally {
      await module.close();
    }
  }, 180_000);
});
