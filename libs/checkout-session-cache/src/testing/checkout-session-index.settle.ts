import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

/**
 * How long a figure read from an eventually consistent index may lag the writes before it. DynamoDB documents GSI
 * propagation "within a fraction of a second" in normal conditions; the bound leaves room for a loaded table.
 */
export const INDEX_LAG_BOUND_MS = 5000;

/**
 * Reads `read()` until it deep-equals `expected` or {@link INDEX_LAG_BOUND_MS} has passed, and returns the last value:
 * for assertions on figures from an eventually consistent index (a `count`), true on DynamoDB and not only on
 * DynamoDB Local (which updates indexes synchronously).
 */
export async function settled<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + INDEX_LAG_BOUND_MS;
  for (;;) {
    const value = await read();
    if (isDeepStrictEqual(value, expected) || Date.now() >= deadline) return value;
    await sleep(100);
  }
}
