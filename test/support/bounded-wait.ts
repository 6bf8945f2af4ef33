import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `condition()` holds, checking every `intervalMs`; rejects with a message naming `what` once
 * `timeoutMs` has passed without it, so a wait that never ends fails in its own words rather than by Jest's timeout.
 */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs: number, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves as `promise` does, or rejects with a message naming `what` once `timeoutMs` has passed without it. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the first call of `attempt()` that resolves, calling it again after each rejection; once `timeoutMs`
 * has passed, rejects with a message naming `what` and the last rejection as its cause. For a check that a client
 * serves again after a fault, on a machine loaded enough that one attempt may be too slow.
 */
export async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`, { cause: error });
      await sleep(intervalMs);
    }
  }
}
