// Bytes of heap per stored session in the memory driver. Run with `node --expose-gc --import tsx`; prints JSON.
import { randomUUID } from 'node:crypto';
import { holdBucketOf } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import { MemoryCheckoutSessionStore } from '../libs/checkout-session-cache/src/drivers/memory/memory-checkout-session.store.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const count = Number(process.argv[2] ?? 100_000);
const clock = { now: () => Date.now() };
const store = new MemoryCheckoutSessionStore(clock, 60_000);
/** The default hold window: 10 minutes. */
const HOLD_MS = 600_000;

const settle = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const before = settle();
const now = Date.now();
const holdExpiresAt = new Date(Math.ceil((now + HOLD_MS) / 1000) * 1000);
for (let i = 0; i < count; i++) {
  await store.insert(
    {
      id: randomUUID(),
      eventId: `event-${i % 50}`,
      priceId: `price-${i % 4}`,
      quantity: 1 + (i % 4),
      price: 49.5,
      status: 'CREATED',
      metadata: { channel: 'web', seats: ['A1', 'A2'] },
      createdAt: new Date(now),
      expiresAt: new Date(now + 86_400_000),
      holdExpiresAt,
    },
    { bucket: holdBucketOf(holdExpiresAt, HOLD_MS) },
    undefined,
    now,
  );
}
const after = settle();
process.stdout.write(`${JSON.stringify({ sessions: store.size, bytesPerSession: Math.round((after - before) / count) })}\n`);
