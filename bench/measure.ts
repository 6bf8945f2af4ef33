import { performance } from 'node:perf_hooks';

/** Throughput and per-call latencies of one batch. */
export interface Batch {
  opsPerSec: number;
  latencies: number[];
}

/** Summary of one side of a comparison: median throughput over rounds, latency percentiles over all calls. */
export interface Summary {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `op(0..n-1)` with `concurrency` calls in flight and records each call's latency. */
export async function runBatch(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Batch> {
  const latencies = new Array<number>(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await op(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  return { opsPerSec: n / ((performance.now() - started) / 1000), latencies };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const median = (values: number[]): number => percentile(values, 50);

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function summarize(batches: Batch[]): Summary {
  const latencies = batches.flatMap((b) => b.latencies);
  return {
    opsPerSec: Math.round(median(batches.map((b) => b.opsPerSec))),
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
  };
}

/**
 * One side of a comparison: `reset` (optional) starts from a fresh store and `prepare` builds the batch's data, both
 * untimed; `op` is the timed call.
 */
export interface Side<T> {
  reset?: () => Promise<void>;
  prepare: (n: number) => Promise<T>;
  op: (data: T, i: number) => Promise<unknown>;
}

/**
 * Measures A and B in the same run, interleaved (A B, then B A, …) so drift on a shared machine hits both alike.
 * Returns both summaries and the ratio of median throughputs A ÷ B.
 */
export async function compare<A, B>(
  rounds: number,
  n: number,
  concurrency: number,
  a: Side<A>,
  b: Side<B>,
): Promise<{ a: Summary; b: Summary; ratio: number }> {
  const batchesA: Batch[] = [];
  const batchesB: Batch[] = [];
  const measure = async <T>(side: Side<T>, batches: Batch[]) => {
    await side.reset?.();
    const data = await side.prepare(n);
    batches.push(await runBatch(n, concurrency, (i) => side.op(data, i)));
  };
  const runA = () => measure(a, batchesA);
  const runB = () => measure(b, batchesB);
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await runA();
      await runB();
    } else {
      await runB();
      await runA();
    }
  }
  const sa = summarize(batchesA);
  const sb = summarize(batchesB);
  const ratios = batchesA.map((batch, i) => batch.opsPerSec / batchesB[i]!.opsPerSec);
  return { a: sa, b: sb, ratio: round2(median(ratios)) };
}

/** A titled table as text lines: the first column left-aligned, the others right-aligned, a rule under the header. */
export function tableLines(title: string, header: string[], rows: (string | number)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const lines = [`\n${title}`];
  for (const [i, row] of cells.entries()) {
    lines.push(`  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`);
    if (i === 0) lines.push(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  }
  return lines;
}
