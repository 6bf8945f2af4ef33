import { jest } from '@jest/globals';
import {
  CHECKOUT_SESSION_TARGET_STATUSES,
  CheckoutSessionConflictError,
  CheckoutSessionStoreUnavailableError,
  type CheckoutSessionStatus,
} from '../../libs/checkout-session-cache/src/index.js';
import { settled } from '../support/checkout-session-cache.harness.js';
import type { Fault } from '../support/fault-proxy.js';
import { SessionModel } from '../support/history-model.js';
import { faultedCacheSuite } from '../support/reliability.harness.js';
import { announcedSeed, seededRandom } from '../support/seeded-random.js';

jest.setTimeout(180_000);

const FAULT_MIX: Fault[] = [
  { kind: 'reset' },
  { kind: 'http', status: 500 },
  { kind: 'http', status: 503 },
  { kind: 'throttle' },
  { kind: 'latency', ms: 400 },
  { kind: 'blackhole' },
  { kind: 'lose-response' },
];

/** The fault schedule: blocks of requests that share a fault kind; each request of a block meets it with this probability. */
const FAULT_BLOCK_SIZE = 12;
const FAULT_BLOCKS = 400;
const FAULT_PROBABILITY = 0.35;

const WORKERS = 6;
const OPERATIONS_PER_WORKER = 60;

describe('nothing acknowledged is lost under a mixed load with injected faults, through the conflict model', () => {
  // Fault proxy → conflict model → DynamoDB Local: the faults of the network and the races of a real table at once.
  const suite = faultedCacheSuite(true);

  it('checks a recorded history of creates, reads, status changes and deletes against the store', async () => {
    // Printed now, before any assertion: a failing history is replayed with HISTORY_SEED.
    const seed = announcedSeed('history', 'HISTORY_SEED');
    // One stream for the fault schedule, one per worker for its operations: what a worker does never depends on how
    // the others' I/O interleaves, and the proxy's n-th request meets the same fault on every run with this seed.
    const faults = seededRandom(seed);
    const schedule = Array.from({ length: FAULT_BLOCKS }, () => FAULT_MIX[Math.floor(faults() * FAULT_MIX.length)]!).flatMap((fault) =>
      Array.from({ length: FAULT_BLOCK_SIZE }, (): Fault => (faults() < FAULT_PROBABILITY ? fault : { kind: 'none' })),
    );
    const eventId = `history-${seed}`;
    const models: SessionModel[] = [];
    /** The price of each session: the ledger of each price is checked against its sessions at the end. */
    const priceOf = new Map<string, string>();
    const pendingCreates: { idempotencyKey: string; quantity: number }[] = [];
    const tally = { operations: 0, acknowledged: 0, unavailable: 0, conflicts: 0 };

    const unavailable = (error: unknown) => {
      if (!(error instanceof CheckoutSessionStoreUnavailableError)) throw error;
      tally.unavailable += 1;
    };

    suite.proxy.plan((n) => schedule[n] ?? { kind: 'none' });

    const worker = async (w: number) => {
      const random = seededRandom(seed * WORKERS + w + 1);
      const mine: SessionModel[] = [];
      for (let i = 0; i < OPERATIONS_PER_WORKER; i++) {
        tally.operations += 1;
        const roll = random();
        const model = mine[Math.floor(random() * mine.length)];
        if (roll < 0.3 || !model) {
          const idempotencyKey = `w${w}-op${i}`;
          const quantity = 1 + Math.floor(random() * 4);
          await suite.cache.create({ eventId, priceId: `p${w % 2}`, quantity }, { idempotencyKey }).then(
            (session) => {
              tally.acknowledged += 1;
              const created = new SessionModel(session.id, quantity);
              priceOf.set(session.id, session.priceId);
              mine.push(created);
              models.push(created);
            },
            (error: unknown) => {
              unavailable(error);
              pendingCreates.push({ idempotencyKey, quantity });
            },
          );
        } else if (roll < 0.55) {
          await suite.cache.getById(model.id).then((session) => {
            tally.acknowledged += 1;
            model.read(session?.status ?? null);
          }, unavailable);
        } else if (roll < 0.9) {
          const to = CHECKOUT_SESSION_TARGET_STATUSES[Math.floor(random() * CHECKOUT_SESSION_TARGET_STATUSES.length)] as CheckoutSessionStatus;
          await suite.cache.updateStatus(model.id, to).then(
            (session) => {
              tally.acknowledged += 1;
              model.updated(to, session);
            },
            (error: unknown) => {
              if (error instanceof CheckoutSessionConflictError) {
                tally.acknowledged += 1;
                tally.conflicts += 1;
                model.updated(to, { conflict: error.currentStatus });
              } else {
                unavailable(error);
                model.updateFailed(to);
              }
            },
          );
        } else {
          await suite.cache.deleteById(model.id).then(
            () => {
              tally.acknowledged += 1;
              model.deleted();
            },
            (error: unknown) => {
              unavailable(error);
              model.deleteFailed();
            },
          );
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    suite.proxy.plan(undefined);

    // Faults off: finish what was left in doubt, the way a client would (retry creates with their key, re-read).
    for (const { idempotencyKey, quantity } of pendingCreates) {
      const w = Number(/^w(\d+)/.exec(idempotencyKey)![1]);
      const session = await suite.verifier.create({ eventId, priceId: `p${w % 2}`, quantity }, { idempotencyKey });
      priceOf.set(session.id, session.priceId);
      models.push(new SessionModel(session.id, quantity));
    }
    for (const model of models) model.read((await suite.verifier.getById(model.id))?.status ?? null);

    const violations = models.flatMap((m) => m.violations);
    expect(violations).toEqual([]);
    const live = models.filter((m) => !m.possible.has('GONE'));
    // Exactly one session per key: a create that failed but landed was replayed, not duplicated.
    expect(new Set(models.map((m) => m.id)).size).toBe(models.length);
    const expected = { sessions: live.length, quantity: live.reduce((sum, m) => sum + m.quantity, 0) };
    expect(await settled(() => suite.verifier.count({ eventId }), expected)).toEqual(expected);
    // Each price's ledger holds exactly what its CREATED and CONFIRMING sessions hold: no release lost or doubled.
    for (const priceId of ['p0', 'p1']) {
      const holding = live.filter((m) => priceOf.get(m.id) === priceId && (m.possible.has('CREATED') || m.possible.has('CONFIRMING')));
      await expect(suite.verifier.held({ eventId, priceId })).resolves.toBe(holding.reduce((sum, m) => sum + m.quantity, 0));
    }

    const injected = Object.values(suite.proxy.injected).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(20);
    expect(tally.unavailable).toBeGreaterThan(0);
    process.stdout.write(
      `history (seed ${seed}): ${tally.operations} operations, ${tally.acknowledged} acknowledged, ${tally.unavailable} failed ` +
        `as unavailable, ${pendingCreates.length} creates resolved by key, ${models.length} sessions verified, ` +
        `${injected} faults injected ${JSON.stringify(suite.proxy.injected)}, 0 violations\n`,
    );
  });
});
