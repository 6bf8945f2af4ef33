// Settings of `npm run bench`: the full run, or the shorter one under `--quick`.

/** Whether `--quick` was passed: fewer rounds and samples, so the run is shorter and its verdicts are rougher. */
export const quick = process.argv.includes('--quick');
export const config = quick
  ? { rounds: 4, n: 200, memoryN: 20_000, httpSeconds: 5, live: [1, 100, 1000], unrelated: [0, 10_000], countSamples: 15, heldLive: [1, 1000, 100_000], buyers: 1000, onSaleLive: [1000, 100_000], coldStartRounds: 10, hotPrice: { creates: 300, rounds: 3 }, overhead: { rounds: 8, calls: 600 } }
  : { rounds: 10, n: 500, memoryN: 50_000, httpSeconds: 15, live: [1, 100, 1000], unrelated: [0, 10_000, 100_000], countSamples: 30, heldLive: [1, 1000, 100_000], buyers: 3000, onSaleLive: [1000, 100_000], coldStartRounds: 30, hotPrice: { creates: 600, rounds: 5 }, overhead: { rounds: 16, calls: 1500 } };
/** The concurrencies at which the drivers are set against their floors. */
export const CONCURRENCY = [1, 32];
