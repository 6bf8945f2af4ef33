import { jest } from '@jest/globals';
import {
  CheckoutSessionConflictError,
  CheckoutSessionSoldOutError,
  CheckoutSessionStoreUnavailableError,
  CheckoutSessionValidationError,
  type CheckoutSession,
  type CheckoutSessionCache,
} from '../../libs/checkout-session-cache/src/index.js';
import { bootProcesses, modelledTable } from '../support/conflict-model.harness.js';
import { DynamoDbConflictModel } from '../support/dynamodb-conflict-model.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { seededRandom } from '../support/seeded-random.js';
import { RequestGate } from '../support/request-gate.js';
import { setTimeout as sleep } from 'node:timers/promises';

jest.setTimeout(300_000);

/** What a crowd of buyers got: sessions created, refusals, and any other error (there must be none). */
interface Tally {
  sessions: CheckoutSession[];
  soldOut: number;
  errors: Error[];
}

/** `buyers` plain one-ticket creates at once, dealt round-robin over `caches` (processes), on a price with stock. */
async function onSale(caches: CheckoutSessionCache[], buyers: number, input: { eventId: string; priceId: string }): Promise<Tally> {
  const tally: Tally = { sessions: [], soldOut: 0, errors: [] };
  await Promise.all(
    Array.from({ length: buyers }, async (_, i) => {
      try {
        tally.sessions.push(await caches[i % caches.length]!.create({ ...input, quantity: 1 }));
      } catch (error) {
        if (error instanceof CheckoutSessionSoldOutError) tally.soldOut += 1;
        else tally.errors.push(error as Error);
      }
    }),
  );
  return tally;
}

describe('a hot price through the conflict model (DynamoDB Local behind the documented conflict rules)', () => {
  let model: DynamoDbConflictModel;
  let tableName: string;

  beforeAll(async () => {
    ({ model, tableName } = await modelledTable());
  });

  afterAll(async () => {
    await model?.stop();
  });

  it.each([1, 4])('holds exactly the stock for 400 buyers at once for a stock of 300 tickets of one price, in %i process(es), with no store error', async (processes) => {
    const { caches, close } = await bootProcesses(processes, tableName, model.endpoint);
    try {
      const pair = { eventId: `on-sale-${processes}`, priceId: 'ga' };
      // The box office sets the stock once; buyers' creates then fit within it by themselves.
      await caches[0]!.setStock(pair, 300);
      model.resetStats();
      const tally = await onSale(caches, 400, pair);
      expect(tally.errors.map((e) => e.message)).toEqual([]);
      expect(tally.sessions).toHaveLength(300);
      expect(tally.soldOut).toBe(100);
      // Every process reads what the successful creates hold, no more (no create answered failed that landed).
      for (const cache of caches) await expect(cache.availability(pair)).resolves.toEqual({ stock: 300, held: 300, sold: 0, available: 0 });
      const { transactionsForwarded, transactionsCancelledForConflict } = model.stats;
      // Group commit: far fewer transactions than creates.
      expect(transactionsForwarded).toBeLessThan(100);
      process.stdout.write(
        `hot price, ${processes} process(es): 400 buyers for 300 tickets → 300 holds, 100 sold out, 0 errors; ` +
          `${transactionsForwarded} transactions, ${transactionsCancelledForConflict} cancelled for conflicts\n`,
      );
      if (processes > 1) expect(transactionsCancelledForConflict).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('refuses nothing, leaves nothing held and counts every sale under create-then-end churn on one price with a stock that is never short, then takes every return', async () => {
    const { caches, close } = await bootProcesses(2, tableName, model.endpoint);
    try {
      const pair = { eventId: 'churn', priceId: 'ga' };
      const buyers = 60;
      const random = seededRandom(17);
      const plans = Array.from({ length: buyers }, () => Array.from({ length: 5 }, () => Math.floor(random() * 3)));
      const completions = plans.flat().filter((end) => end === 1).length;
      // Each buyer holds at most its 2 tickets at a time, and each completion keeps its 2 sold: never short.
      const stock = 2 * buyers + 2 * completions;
      await caches[0]!.setStock(pair, stock);
      const errors: Error[] = [];
      let created = 0;
      await Promise.all(
        plans.map(async (plan, b) => {
          const cache = caches[b % caches.length]!;
          for (const end of plan) {
            try {
              const session = await cache.create({ ...pair, quantity: 2 });
              created += 1;
              if (end === 0) await cache.updateStatus(session.id, 'CANCELLED');
              else if (end === 1) {
                await cache.updateStatus(session.id, 'CONFIRMING');
                await cache.updateStatus(session.id, 'COMPLETED');
              } else await cache.deleteById(session.id);
            } catch (error) {
              errors.push(error as Error);
            }
          }
        }),
      );
      expect(errors.map((e) => e.message)).toEqual([]);
      expect(created).toBe(buyers * 5);
      // Completions moved their tickets from held to sold in the same writes: none lost, none counted twice.
      await expect(caches[0]!.availability(pair)).resolves.toEqual({ stock, held: 0, sold: 2 * completions, available: stock - 2 * completions });
      // Refunds from both processes at once, sharing transactions with each other: sold comes back to 0 exactly, and
      // one more is refused (more than is sold) without changing anything.
      await Promise.all(Array.from({ length: completions }, (_, i) => caches[i % caches.length]!.returnTickets(pair, 2)));
      await expect(caches[1]!.returnTickets(pair, 1)).rejects.toBeInstanceOf(CheckoutSessionValidationError);
      for (const cache of caches) await expect(cache.availability(pair)).resolves.toEqual({ stock, held: 0, sold: 0, available: stock });
    } finally {
      await close();
    }
  });

  it('lets a member whose own condition fails (a replayed key) go without failing the others of its transaction', async () => {
    const { caches, close } = await bootProcesses(1, tableName, model.endpoint);
    try {
      const [cache] = caches as [CheckoutSessionCache];
      const pair = { eventId: 'replay-in-batch', priceId: 'ga' };
      await cache.setStock(pair, 10);
      const first = await cache.create({ ...pair, quantity: 1 }, { idempotencyKey: 'replayed-key' });
      model.resetStats();
      // Made together, so they share a transaction: the replay's key record fails its condition, the others land.
      const [replay, ...others] = await Promise.all([
        cache.create({ ...pair, quantity: 1 }, { idempotencyKey: 'replayed-key' }),
        ...Array.from({ length: 5 }, (_, i) => cache.create({ ...pair, quantity: 1 }, { idempotencyKey: `fresh-${i}` })),
      ]);
      expect(replay!.id).toBe(first.id);
      expect(new Set(others.map((s) => s.id)).size).toBe(5);
      // The replay held nothing again: 6 held of the stock, not 7.
      await expect(cache.availability(pair)).resolves.toEqual({ stock: 10, held: 6, sold: 0, available: 4 });
      // One transaction refused for the replay's condition, one that landed the five (and any conflicts in between).
      expect(model.stats.transactionsForwarded).toBe(2);
    } finally {
      await close();
    }
  });

  it('resolves a transaction still in flight when the SDK gave up on it, instead of reporting a create failed that lands', async () => {
    // DynamoDB Local behind a gate that holds one chosen request, behind a model of its own: the transaction stays in
    // flight past the SDK's request timeout, its retries meet TransactionInProgressException, then it lands.
    const gate = await new RequestGate(new URL(process.env.DYNAMODB_ENDPOINT!)).start();
    const own = await new DynamoDbConflictModel({ target: gate.endpoint }).start();
    const { caches, close } = await bootProcesses(1, tableName, own.endpoint, { maxAttempts: 3, requestTimeoutMs: 500 });
    try {
      const [cache] = caches as [CheckoutSessionCache];
      const pair = { eventId: 'in-flight', priceId: 'ga' };
      await cache.setStock(pair, 5);
      own.resetStats();
      const held = gate.hold((operation) => operation === 'TransactWriteItems');
      const create = cache.create({ ...pair, quantity: 2 });
      await held.arrived;
      // Let it go once a retry was told it is still in progress (bounded: the SDK's first attempt times out at 500 ms).
      for (let waited = 0; own.stats.transactionsInProgress === 0; waited += 10) {
        if (waited > 30_000) throw new Error('no retry met the transaction in progress within 30 s');
        await sleep(10);
      }
      held.release();
      await expect(create).resolves.toMatchObject({ quantity: 2 });
      await expect(cache.availability(pair)).resolves.toEqual({ stock: 5, held: 2, sold: 0, available: 3 });
      expect(own.stats.transactionsForwarded - own.stats.transactionsReplayed).toBe(1);
    } finally {
      await close();
      await own.stop();
      await gate.stop();
    }
  });

  it('holds exactly once per create when responses of landed transactions are lost, and releases or sells exactly once', async () => {
    const proxy = await new FaultProxy('127.0.0.1', Number(new URL(model.endpoint).port), seededRandom(29)).start();
    const { caches, close } = await bootProcesses(2, tableName, proxy.endpoint, { maxAttempts: 3, requestTimeoutMs: 2000 });
    /** A client retrying a call that failed as unavailable (a read lost three times over); never more than 20 tries. */
    let unavailable = 0;
    const untilAnswered = async <T>(call: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await call();
        } catch (error) {
          if (!(error instanceof CheckoutSessionStoreUnavailableError) || attempt === 20) throw error;
          unavailable += 1;
        }
      }
    };
    try {
      const pair = { eventId: 'lost-responses', priceId: 'ga' };
      await untilAnswered(() => caches[0]!.setStock(pair, 100));
      proxy.set({ kind: 'lose-response' }, 0.25);
      const tally: Tally = { sessions: [], soldOut: 0, errors: [] };
      await Promise.all(
        Array.from({ length: 150 }, async (_, i) => {
          // The same key on every try: a create that landed is answered with its session, never made twice.
          const create = () => caches[i % 2]!.create({ ...pair, quantity: 1 }, { idempotencyKey: `buyer-${i}` });
          try {
            tally.sessions.push(await untilAnswered(create));
          } catch (error) {
            if (error instanceof CheckoutSessionSoldOutError) tally.soldOut += 1;
            else tally.errors.push(error as Error);
          }
        }),
      );
      expect(tally.errors.map((e) => e.message)).toEqual([]);
      expect(new Set(tally.sessions.map((s) => s.id)).size).toBe(100);
      expect(tally.soldOut).toBe(50);
      expect(proxy.injected['lose-response']).toBeGreaterThan(0);
      await expect(untilAnswered(() => caches[0]!.availability(pair))).resolves.toEqual({ stock: 100, held: 100, sold: 0, available: 0 });
      /** Moves a session to `to` through the faults; a retry after a change that landed meets its own result. */
      const move = (cache: CheckoutSessionCache, id: string, to: 'CONFIRMING' | 'COMPLETED' | 'CANCELLED') =>
        untilAnswered<unknown>(() => cache.updateStatus(id, to)).catch((error: unknown) => {
          if (!(error instanceof CheckoutSessionConflictError && error.currentStatus === to)) throw error;
        });
      // End them all through the same faults from both processes at once: a third cancelled, a third deleted, a third
      // confirmed (extending the hold) and completed (held → sold).
      const completed = tally.sessions.filter((_, i) => i % 3 === 2).length;
      await Promise.all(
        tally.sessions.map(async (s, i) => {
          const cache = caches[i % 2]!;
          if (i % 3 === 0) return move(cache, s.id, 'CANCELLED');
          if (i % 3 === 1) return untilAnswered(() => cache.deleteById(s.id));
          await move(cache, s.id, 'CONFIRMING');
          return move(cache, s.id, 'COMPLETED');
        }),
      );
      proxy.set({ kind: 'none' });
      await expect(caches[1]!.availability(pair)).resolves.toEqual({ stock: 100, held: 0, sold: completed, available: 100 - completed });
      process.stdout.write(
        `hot price, lost responses: ${JSON.stringify(proxy.injected)} injected, ${unavailable} calls retried by the client; ` +
          `100 holds of a stock of 100, then 0 held and ${completed} sold\n`,
      );
    } finally {
      await close();
      await proxy.stop();
    }
  });
});
