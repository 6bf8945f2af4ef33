/** A small seeded PRNG (mulberry32): the same seed draws the same numbers in [0, 1), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The seed of a random schedule: `process.env[variable]` when set (to replay a run), else a fresh one. Prints it at
 * once, before any assertion, with the variable that replays it.
 */
export function announcedSeed(what: string, variable: string): number {
  const given = process.env[variable];
  const seed = given === undefined || given === '' ? Math.floor(Math.random() * 1_000_000) : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`${variable} must be an integer (got ${JSON.stringify(given)})`);
  process.stdout.write(`${what}: seed ${seed} (${variable}=${seed} replays it)\n`);
  return seed;
}
