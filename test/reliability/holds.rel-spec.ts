import { jest } from '@jest/globals';
import {
  CheckoutSessionConflictError,
  CheckoutSessionSoldOutError,
  CheckoutSessionStoreUnavailableError,
  type CheckoutSession,
  type CheckoutSessionStatus,
} from '../../libs/checkout-session-cache/src/index.js';
import { faultedCacheSuite } from '../support/reliability.harness.js';

jest.setTimeout(180_000);

/** The price's stock, set once before the buyers come. */
const STOCK = 30;
const BUYERS = 80;
const WORKERS = 8;

/** Tries a client makes through the faults before it gives up (30 % faulted: 20 failures in a row never happen). */
const TRIES = 20;

/** Calls `call` until it answers rather than fails as unavailable (a client retrying through the faults), at most {@link TRIES} times. */
async function untilAnswered<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof CheckoutSessionStoreUnavailableError) || attempt === TRIES) throw error;
    }
  }
}

describe('holds through lost responses and SDK retries (DynamoDB Local behind the fault proxy)', () => {
  const suite = faultedCacheSuite();

  it('never holds more than the stock, holds exactly the stock when demand exceeds it, and releases or sells every hold exactly once when every session ends', async () => {
    const eventId = 'lost-responses';
    const pair = { eventId, priceId: 'ga' };
    // Read through the faults while buyers race; checked exactly once they are off, straight on DynamoDB Local.
    const availabilityThroughFaults = () => suite.cache.availability(pair);
    const availability = () => suite.verifier.availability(pair);
    const sessions = new Map<string, CheckoutSession>();
    const pending: string[] = [];
    const tally = { soldOut: 0, unavailable: 0 };
    const create = (key: string) => suite.cache.create({ ...pair, quantity: 1 }, { idempotencyKey: key });
    await suite.verifier.setStock(pair, STOCK);

    // Responses lost after the write landed, and connection resets, on a third of the requests.
    suite.proxy.set({ kind: 'lose-response' }, 0.3);
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (next < BUYERS) {
          const key = `buyer-${next++}`;
          try {
            const session = await create(key);
            sessions.set(session.id, session);
          } catch (error) {
            if (error instanceof CheckoutSessionSoldOutError) tally.soldOut += 1;
            else if (error instanceof CheckoutSessionStoreUnavailableError) {
              tally.unavailable += 1;
              pending.push(key);
            } else throw error;
          }
          const seen = await untilAnswered(availabilityThroughFaults);
          expect(seen.held + seen.sold).toBeLessThanOrEqual(STOCK);
          expect(seen.available).toBe(STOCK - seen.held - seen.sold);
        }
      }),
    );
    suite.proxy.set({ kind: 'none' });
    // What failed as unavailable may have landed: the buyer's retry with the same key settles it either way.
    for (const key of pending) {
      await create(key).then(
        (session) => sessions.set(session.id, session),
        (error: unknown) => {
          if (!(error instanceof CheckoutSessionSoldOutError)) throw error;
          tally.soldOut += 1;
        },
      );
    }
    expect(sessions.size).toBe(STOCK);
    expect(tally.soldOut).toBe(BUYERS - STOCK);
    await expect(availability()).resolves.toEqual({ stock: STOCK, held: STOCK, sold: 0, available: 0 });
    expect(Object.values(suite.proxy.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);

    // End every session through the faults: a third cancelled, a third completed, a third deleted.
    suite.proxy.set({ kind: 'lose-response' }, 0.3);
    const ends: CheckoutSessionStatus[][] = [['CANCELLED'], ['CONFIRMING', 'COMPLETED']];
    let i = 0;
    let completed = 0;
    for (const id of sessions.keys()) {
      const plan = i++ % 3;
      if (plan === 1) completed += 1;
      if (plan === 2) {
        await untilAnswered(() => suite.cache.deleteById(id));
        continue;
      }
      for (const to of ends[plan]!) {
        // A retried call after one that landed meets its own result as a conflict: the status is already `to`.
        await untilAnswered(() => suite.cache.updateStatus(id, to)).catch((error: unknown) => {
          if (!(error instanceof CheckoutSessionConflictError && error.currentStatus === to)) throw error;
        });
      }
    }
    suite.proxy.set({ kind: 'none' });
    // Each completion moved its ticket from held to sold once; each cancel and delete gave its ticket back once.
    await expect(availability()).resolves.toEqual({ stock: STOCK, held: 0, sold: completed, available: STOCK - completed });
    process.stdout.write(
      `holds: ${BUYERS} buyers for a stock of ${STOCK} through ${JSON.stringify(suite.proxy.injected)} injected faults: ` +
        `${sessions.size} holds, ${tally.soldOut} sold out, ${tally.unavailable} unavailable then settled by key; ` +
        `0 held and ${completed} sold after every session ended\n`,
    );
  });
});
