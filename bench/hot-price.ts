// A hot price through the conflict model (test/support/dynamodb-conflict-model.ts): DynamoDB Local behind DynamoDB's
// documented transaction-conflict rules, with the busy window W swept over 5, 8 and 15 ms. Creates of one price
// against the same creates over 20 prices (same run, interleaved), one price from 4 processes, create-then-release
// lifecycles, the on-sale (400 buyers, 300 tickets, in 1 and 4 processes) and Lambda-style callers (one request in
// flight per process); then the size of a ledger item after a steady on-sale (bench/ledger-size.ts). Every price has its
// stock set once (`setStock`) before the run, and creates are plain: they fit within stock − held − sold by themselves.
// "Processes" are module instances in this one Node process, each with its own DynamoDB client and batcher: the model
// sees them as separate processes; CPU is shared. `npm run bench:hot-price [-- --quick]` runs it alone.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  CheckoutSessionSoldOutError,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
  MAX_STOCK,
  type CheckoutSessionAvailability,
  type CheckoutSessionCache,
  type CheckoutSessionPriceKey,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from '../scripts/dynamodb-local.launcher.mjs';
import { config, quick } from './config.js';
import { DynamoDbConflictModel, type DynamoDbConflictModelStats } from '../test/support/dynamodb-conflict-model.js';
import { ledgerSizeBenchmark, ledgerSizeLines, type LedgerSizeResult } from './ledger-size.js';
import { compare, runBatch, summarize, tableLines, type Batch, type Side, type Summary } from './measure.js';

const TABLE = 'bench-hot-price';
/** The window the verdicts are read at (docs/holds.md says why 8 ms). */
export const HOT_PRICE_WINDOW_MS = 8;
const WINDOWS = [5, HOT_PRICE_WINDOW_MS, 15];
/** The stock of every measured price but the on-sale's: no create reaches it, so creates pay for the stock's condition, never for a refusal. */
const UNREACHED = MAX_STOCK;
/** The one-process target at W = 8 ms (issue "hot price"): holds per second on one price. */
const ONE_PROCESS_TARGET = 1000;
const SPREAD_PRICES = 20;
const PROCESSES = 4;
/** Lambda-style instances at every W; at W = 8 ms also fewer, to show where a waiting room must admit. */
const LAMBDA_INSTANCES = 50;
const LAMBDA_SWEEP = [10, 25, LAMBDA_INSTANCES];
const ON_SALE = { buyers: 400, stock: 300 } as const;

/** Settings of one hot-price run. */
export interface HotPriceConfig {
  /** Creates per measured batch (and lifecycles per batch with releases). */
  creates: number;
  rounds: number;
}

/**
 * Write units from the model's counters: 2 per forwarded transactional item write, as DynamoDB bills items under 1 KB
 * (the ledgers of these short runs keep a few buckets; (f) measures one after a steady on-sale).
 */
export interface WriteUnits {
  /** Over every item, per hold. */
  wcuPerHold: number;
  /** On the most written item (a ledger), per hold of its price. */
  ledgerWcuPerHold: number;
  transactions: number;
  cancelledForConflict: number;
}

/** One measured scenario: throughput (median over rounds), latencies, outcomes and write units. */
export interface CrowdResult extends Summary, WriteUnits {
  holds: number;
  errors: number;
  firstError?: string;
}

/** Scenario (a) at one W. */
export interface SpreadComparison {
  onePrice: CrowdResult;
  twentyPrices: CrowdResult;
  /** Median of per-round ratios, one price ÷ 20 prices. */
  ratio: number;
}

/** Scenario (d) at one W, in 1 or 4 processes. */
export interface OnSaleResult {
  processes: number;
  holds: number;
  soldOut: number;
  errors: number;
  firstError?: string;
  seconds: number;
  p99Ms: number;
  /** What `availability` answers in each process afterwards: held, and available (0: the stock is all held). */
  heldSeen: number[];
  availableSeen: (number | null)[];
  transactions: number;
  cancelledForConflict: number;
}

/** Every scenario at one W. */
export interface HotPriceWindowResult {
  windowMs: number;
  spread: SpreadComparison;
  fourProcesses: CrowdResult;
  releasesOneProcess: ReleasesResult;
  releasesFourProcesses: ReleasesResult;
  /** In 1 process, then in 4. */
  onSale: OnSaleResult[];
  /** (e) by number of instances, one create in flight each. */
  lambda: (CrowdResult & { instances: number })[];
}

/** Scenario (c): what is left held afterwards (0), and `sold` against the tickets completed (equal). */
export interface ReleasesResult extends CrowdResult {
  leftHeld: number;
  sold: number;
  completed: number;
}

/** Everything the hot-price benchmark reports. */
export interface HotPriceResult {
  config: HotPriceConfig & { inFlight: number; processes: number; lambdaInstances: number; stock: number };
  windows: HotPriceWindowResult[];
  ledgerSize: LedgerSizeResult;
}

/** Outcomes counted across a scenario's calls. */
class Tally {
  holds = 0;
  soldOut = 0;
  errors = 0;
  firstError: string | undefined;
  /** Forwarded transactional writes per item, summed over the batches attributed to this tally. */
  readonly writes = new Map<string, number>();
  transactions = 0;
  cancelledForConflict = 0;

  /** Runs `call`, counting a sold-out refusal as such and anything else thrown as an error; never throws. */
  async count(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      this.holds += 1;
    } catch (error) {
      if (error instanceof CheckoutSessionSoldOutError) {
        this.soldOut += 1;
        return;
      }
      this.errors += 1;
      this.firstError ??= `${(error as Error).name}: ${(error as Error).message}`;
    }
  }

  /** Adds what the model counted. */
  absorb(stats: DynamoDbConflictModelStats): void {
    for (const [item, n] of Object.entries(stats.transactionalWritesByItem)) this.writes.set(item, (this.writes.get(item) ?? 0) + n);
    this.transactions += stats.transactionsForwarded;
    this.cancelledForConflict += stats.transactionsCancelledForConflict;
  }

  writeUnits(prices: number): WriteUnits {
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const total = [...this.writes.values()].reduce((a, b) => a + b, 0);
    const hottest = Math.max(0, ...this.writes.values());
    const holds = Math.max(1, this.holds);
    return {
      wcuPerHold: round2((2 * total) / holds),
      ledgerWcuPerHold: round2((2 * hottest) / (holds / prices)),
      transactions: this.transactions,
      cancelledForConflict: this.cancelledForConflict,
    };
  }

  result(summary: Summary, prices: number): CrowdResult {
    return { ...summary, holds: this.holds, errors: this.errors, ...(this.firstError && { firstError: this.firstError }), ...this.writeUnits(prices) };
  }
}

/** Module instances on one table through the model, each with its own DynamoDB client and batcher. */
async function bootInstances(count: number, endpoint: string): Promise<{ caches: CheckoutSessionCache[]; close: () => Promise<void> }> {
  const apps: INestApplicationContext[] = [];
  for (let i = 0; i < count; i++) {
    apps.push(
      await NestFactory.createApplicationContext(
        CheckoutSessionCacheModule.forRoot({ driver: 'dynamodb', endpoint, tableName: TABLE, verifyTableOnStartup: false, requestTimeoutMs: 5000 }),
        { logger: ['error', 'warn'] },
      ),
    );
  }
  return { caches: apps.map((app) => app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE)), close: async () => void (await Promise.all(apps.map((app) => app.close()))) };
}

/** A plain create of one ticket: on a price with stock, it fits within stock − held − sold or is refused. */
const holdOne = (cache: CheckoutSessionCache, eventId: string, priceId: string) => cache.create({ eventId, priceId, quantity: 1, price: 50 });

/**
 * A buyer who holds and lets go: most cancel, one in five confirms (which extends the hold) and completes (held → sold).
 * Fails if a change finds nothing; `completed` counts the completions.
 */
async function lifecycle(cache: CheckoutSessionCache, eventId: string, i: number, completed: { count: number }): Promise<void> {
  const session = await holdOne(cache, eventId, 'p');
  const moves = i % 5 === 0 ? (['CONFIRMING', 'COMPLETED'] as const) : (['CANCELLED'] as const);
  for (const to of moves) if ((await cache.updateStatus(session.id, to)) === null) throw new Error(`updateStatus ${to} found no session`);
  if (moves.length === 2) completed.count += 1;
}

/** The event/price pairs each scenario at `windowMs` writes to, and the stock each gets before the run. */
function pricesOf(windowMs: number, lambdaCounts: number[]): [CheckoutSessionPriceKey, number][] {
  const at = (eventId: string, priceId = 'p', stock: number = UNREACHED): [CheckoutSessionPriceKey, number] => [{ eventId, priceId }, stock];
  return [
    at(`hot-one-${windowMs}`, 'p0'),
    ...Array.from({ length: SPREAD_PRICES }, (_, i) => at(`hot-spread-${windowMs}`, `p${i}`)),
    at(`hot-four-${windowMs}`),
    at(`hot-release-one-${windowMs}`),
    at(`hot-release-four-${windowMs}`),
    ...[1, PROCESSES].map((processes) => at(onSalePrice(windowMs, processes).eventId, onSalePrice(windowMs, processes).priceId, ON_SALE.stock)),
    ...lambdaCounts.map((instances) => at(`hot-lambda-${instances}-${windowMs}`)),
  ];
}

const onSalePrice = (windowMs: number, processes: number): CheckoutSessionPriceKey => ({ eventId: `hot-on-sale-${processes}-${windowMs}`, priceId: 'ga' });
const lambdaCountsAt = (windowMs: number) => (windowMs === HOT_PRICE_WINDOW_MS ? LAMBDA_SWEEP : [LAMBDA_INSTANCES]);

/**
 * `perProcess` calls in each of `caches` at once, `inFlight` at a time in each, as one batch: throughput over the
 * wall time of them all, and every call's latency.
 */
async function crowd(caches: CheckoutSessionCache[], perProcess: number, inFlight: number, call: (cache: CheckoutSessionCache, i: number) => Promise<void>): Promise<Batch> {
  const started = performance.now();
  const batches = await Promise.all(caches.map((cache, p) => runBatch(perProcess, inFlight, (i) => call(cache, p * perProcess + i))));
  return { opsPerSec: (caches.length * perProcess) / ((performance.now() - started) / 1000), latencies: batches.flatMap((b) => b.latencies) };
}

/** `rounds` crowds after a short warm-up; the model's counters are those of the measured rounds. */
async function measureCrowd(
  model: DynamoDbConflictModel,
  config: HotPriceConfig,
  caches: CheckoutSessionCache[],
  inFlight: number,
  call: (tally: Tally, cache: CheckoutSessionCache, i: number) => Promise<void>,
): Promise<CrowdResult> {
  const perProcess = Math.ceil(config.creates / caches.length);
  await crowd(caches, Math.ceil(perProcess / 4), inFlight, (cache, i) => call(new Tally(), cache, i));
  const tally = new Tally();
  const batches: Batch[] = [];
  for (let r = 0; r < config.rounds; r++) {
    model.resetStats();
    batches.push(await crowd(caches, perProcess, inFlight, (cache, i) => call(tally, cache, r * caches.length * perProcess + i)));
    tally.absorb(model.stats);
  }
  return tally.result(summarize(batches), 1);
}

/**
 * (a) One price against 20 prices of one event, one process, 100 in flight, interleaved by {@link compare}. Each
 * side's `prepare` hands the model's counters since the last batch to the side that ran it, so each side gets its own.
 */
async function spreadComparison(model: DynamoDbConflictModel, config: HotPriceConfig, cache: CheckoutSessionCache, windowMs: number): Promise<SpreadComparison> {
  let running: Tally | undefined;
  const handOver = (next: Tally | undefined) => {
    running?.absorb(model.stats);
    model.resetStats();
    running = next;
  };
  const side = (tally: Tally, eventId: string, prices: number): Side<void> => ({
    prepare: async () => handOver(tally),
    op: (_, i) => tally.count(() => holdOne(cache, eventId, `p${i % prices}`)),
  });
  const sides = (tag: string) => {
    const one = new Tally();
    const twenty = new Tally();
    return { one, twenty, a: side(one, `hot-one-${tag}`, 1), b: side(twenty, `hot-spread-${tag}`, SPREAD_PRICES) };
  };
  const warm = sides(`${windowMs}`);
  await compare(1, Math.ceil(config.creates / 4), 100, warm.a, warm.b);
  const measured = sides(`${windowMs}`);
  const { a, b, ratio } = await compare(config.rounds, config.creates, 100, measured.a, measured.b);
  handOver(undefined);
  return { onePrice: measured.one.result(a, 1), twentyPrices: measured.twenty.result(b, SPREAD_PRICES), ratio };
}

/** (d) 400 buyers at once, dealt round-robin over the processes, for the 300 tickets of stock of one fresh price. */
async function onSale(model: DynamoDbConflictModel, caches: CheckoutSessionCache[], windowMs: number): Promise<OnSaleResult> {
  const pair = onSalePrice(windowMs, caches.length);
  const tally = new Tally();
  model.resetStats();
  const batch = await crowd(caches, ON_SALE.buyers / caches.length, ON_SALE.buyers, (cache) => tally.count(() => holdOne(cache, pair.eventId, pair.priceId)));
  tally.absorb(model.stats);
  const seen: CheckoutSessionAvailability[] = await Promise.all(caches.map((cache) => cache.availability(pair)));
  const { p99Ms } = summarize([batch]);
  return {
    processes: caches.length,
    holds: tally.holds,
    soldOut: tally.soldOut,
    errors: tally.errors,
    ...(tally.firstError && { firstError: tally.firstError }),
    seconds: Math.round((ON_SALE.buyers / batch.opsPerSec) * 100) / 100,
    p99Ms,
    heldSeen: seen.map((a) => a.held),
    availableSeen: seen.map((a) => a.available),
    transactions: tally.transactions,
    cancelledForConflict: tally.cancelledForConflict,
  };
}

/** Runs every scenario at each W on the model in front of DynamoDB Local at `endpoint`. */
export async function hotPriceBenchmark(endpoint: string, config: HotPriceConfig): Promise<HotPriceResult> {
  const direct = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
  await ensureCheckoutSessionTable(direct, TABLE);
  const model = await new DynamoDbConflictModel({ target: endpoint, windowMs: HOT_PRICE_WINDOW_MS }).start();
  const { caches, close } = await bootInstances(LAMBDA_INSTANCES, model.endpoint);
  let closed = false;
  const shutDown = async () => {
    if (closed) return;
    closed = true;
    await close();
    await model.stop();
  };
  const four = caches.slice(0, PROCESSES);
  try {
    // Stock once, before the run: every price the run writes to (the warm-up's too).
    const stocks = [
      ...Array.from({ length: SPREAD_PRICES }, (_, i): [CheckoutSessionPriceKey, number] => [{ eventId: 'hot-warm-up', priceId: `p${i}` }, UNREACHED]),
      ...WINDOWS.flatMap((windowMs) => pricesOf(windowMs, lambdaCountsAt(windowMs))),
    ];
    for (const [price, total] of stocks) await caches[0]!.setStock(price, total);
    // Warm-up, not measured: every instance's connections, and DynamoDB Local's JIT, before the first window.
    const warmUp = new Tally();
    await crowd(caches, 8, 2, (cache, i) => warmUp.count(() => holdOne(cache, 'hot-warm-up', `p${i % SPREAD_PRICES}`)));
    const windows: HotPriceWindowResult[] = [];
    for (const windowMs of WINDOWS) {
      model.setWindow(windowMs);
      const spread = await spreadComparison(model, config, caches[0]!, windowMs);
      const creates = (group: CheckoutSessionCache[], inFlight: number, tag: string) =>
        measureCrowd(model, config, group, inFlight, (tally, cache) => tally.count(() => holdOne(cache, `hot-${tag}-${windowMs}`, 'p')));
      const releases = async (group: CheckoutSessionCache[], inFlight: number, tag: string): Promise<ReleasesResult> => {
        const eventId = `hot-${tag}-${windowMs}`;
        const completed = { count: 0 };
        const result = await measureCrowd(model, config, group, inFlight, (tally, cache, i) => tally.count(() => lifecycle(cache, eventId, i, completed)));
        const { held, sold } = await group[0]!.availability({ eventId, priceId: 'p' });
        return { ...result, leftHeld: held, sold, completed: completed.count };
      };
      const lambdaStyle = async (counts: number[]) => {
        const rows = [];
        for (const instances of counts) rows.push({ instances, ...(await creates(caches.slice(0, instances), 1, `lambda-${instances}`)) });
        return rows;
      };
      windows.push({
        windowMs,
        spread,
        fourProcesses: await creates(four, 100 / PROCESSES, 'four'),
        releasesOneProcess: await releases(caches.slice(0, 1), 100, 'release-one'),
        releasesFourProcesses: await releases(four, 100 / PROCESSES, 'release-four'),
        onSale: [await onSale(model, caches.slice(0, 1), windowMs), await onSale(model, four, windowMs)],
        lambda: await lambdaStyle(lambdaCountsAt(windowMs)),
      });
    }
    await shutDown();
    // (f) Off the model (its conflicts change nothing of the size): straight on DynamoDB Local.
    const ledgerSize = await ledgerSizeBenchmark(direct, endpoint, TABLE);
    return { config: { ...config, inFlight: 100, processes: PROCESSES, lambdaInstances: LAMBDA_INSTANCES, stock: UNREACHED }, windows, ledgerSize };
  } finally {
    await shutDown();
    direct.destroy();
  }
}

/** The verdicts, read at W = 8 ms. */
export function hotPriceTargets(result: HotPriceResult): Record<string, string> {
  const at = result.windows.find((w) => w.windowMs === HOT_PRICE_WINDOW_MS)!;
  const verdict = (met: boolean) => (met ? 'met' : 'missed');
  const batched = [at.spread.onePrice, at.spread.twentyPrices, at.fourProcesses, at.releasesOneProcess, at.releasesFourProcesses];
  const exact = (r: OnSaleResult) =>
    r.holds === ON_SALE.stock &&
    r.soldOut === ON_SALE.buyers - ON_SALE.stock &&
    r.errors === 0 &&
    r.heldSeen.every((held) => held === ON_SALE.stock) &&
    r.availableSeen.every((available) => available === 0);
  const released = (r: ReleasesResult) => r.leftHeld === 0 && r.sold === r.completed;
  return {
    hotPriceOneProcessAtLeast1000HoldsPerSecOnOnePrice: verdict(at.spread.onePrice.opsPerSec >= ONE_PROCESS_TARGET && at.spread.onePrice.errors === 0),
    hotPriceOnePriceAtLeastAsFastAs20PricesNoErrors: verdict(at.spread.ratio >= 1 && at.spread.onePrice.errors === 0 && at.spread.twentyPrices.errors === 0),
    hotPriceOnSaleExactly300Holds100SoldOut0ErrorsIn1And4Processes: verdict(at.onSale.every(exact)),
    hotPriceNoErrorsWithBatchingNothingLeftHeldSoldExact: verdict(batched.every((c) => c.errors === 0) && released(at.releasesOneProcess) && released(at.releasesFourProcesses)),
    hotPriceLambdaStyle50InstancesNoErrors: verdict(at.lambda.every((row) => row.instances < LAMBDA_INSTANCES || row.errors === 0)),
  };
}

/** The hot-price tables, as text lines. */
export function hotPriceLines(result: HotPriceResult): string[] {
  const { creates, rounds, processes, lambdaInstances } = result.config;
  const crowdColumns = ['W ms', 'holds/s', 'p50 ms', 'p99 ms', 'errors', 'WCU/hold', 'ledger WCU/hold', 'transactions', 'conflicts'];
  const crowdRow = (w: number, c: CrowdResult) => [w, c.opsPerSec, c.p50Ms, c.p99Ms, c.errors, c.wcuPerHold, c.ledgerWcuPerHold, c.transactions, c.cancelledForConflict];
  const lines = [
    `\nhot price on the conflict model (DynamoDB Local behind DynamoDB's conflict rules, busy window W after each transaction); ` +
      `"processes" are module instances in this Node process, each with its own DynamoDB client and batcher (separate processes to the model); ` +
      `${creates} creates a batch, ${rounds} rounds, plain creates on prices whose stock (set once, before the run) is never reached; ` +
      'WCU: 2 per forwarded transactional item write (items under 1 KB), ledger WCU per hold of its price; ' +
      'conflicts: transactions the model cancelled',
    ...tableLines(
      '(a) one price vs 20 prices of one event, 1 process, 100 in flight, interleaved (ratio: median of per-round ratios)',
      ['W ms', '1 price holds/s', 'p99 ms', 'errors', 'WCU/hold', 'ledger WCU/hold', '20 prices holds/s', 'p99 ms', 'errors', 'WCU/hold', 'ledger WCU/hold', 'ratio'],
      result.windows.map(({ windowMs, spread: { onePrice: a, twentyPrices: b, ratio } }) => [
        windowMs, a.opsPerSec, a.p99Ms, a.errors, a.wcuPerHold, a.ledgerWcuPerHold, b.opsPerSec, b.p99Ms, b.errors, b.wcuPerHold, b.ledgerWcuPerHold, ratio,
      ]),
    ),
    ...tableLines(`(b) one price, ${processes} processes × ${100 / processes} in flight`, crowdColumns, result.windows.map((w) => crowdRow(w.windowMs, w.fourProcesses))),
    ...tableLines(
      '(c) with releases: each buyer creates then cancels (1 in 5 confirms, extending its hold, and completes: held → sold); holds/s = lifecycles/s, ' +
        'latency of a lifecycle; WCU counts transactions only; sold / completed: the ledger\'s sold against the completions (equal)',
      ['process(es)', ...crowdColumns, 'left held', 'sold / completed'],
      result.windows.flatMap((w) =>
        ([[1, w.releasesOneProcess], [processes, w.releasesFourProcesses]] as const).map(([p, r]) => [p, ...crowdRow(w.windowMs, r), r.leftHeld, `${r.sold} / ${r.completed}`]),
      ),
    ),
    ...tableLines(
      `(d) on-sale: ${ON_SALE.buyers} buyers at once for a stock of ${ON_SALE.stock} tickets of one price, in 1 and ${processes} processes (goal ${ON_SALE.stock} / ${ON_SALE.buyers - ON_SALE.stock} / 0; every process reads ${ON_SALE.stock} held, 0 available)`,
      ['W ms', 'processes', 'holds', 'sold out', 'errors', 'seconds', 'p99 ms', 'held seen', 'available seen', 'transactions', 'conflicts'],
      result.windows.flatMap((w) =>
        w.onSale.map((o) => [
          w.windowMs, o.processes, o.holds, o.soldOut, o.errors, o.seconds, o.p99Ms,
          [...new Set(o.heldSeen)].join('/'), [...new Set(o.availableSeen)].join('/'), o.transactions, o.cancelledForConflict,
        ]),
      ),
    ),
    ...tableLines(
      `(e) Lambda-style: up to ${lambdaInstances} processes, one create in flight each (one after another), one price — what a waiting room may admit`,
      ['processes', ...crowdColumns],
      result.windows.flatMap((w) => w.lambda.map((row) => [row.instances, ...crowdRow(w.windowMs, row)])),
    ),
  ];
  const failures = result.windows.flatMap((w) =>
    [
      ['a, 1 price', w.spread.onePrice.firstError],
      ['a, 20 prices', w.spread.twentyPrices.firstError],
      ['b', w.fourProcesses.firstError],
      ['c, 1 process', w.releasesOneProcess.firstError],
      ['c, 4 processes', w.releasesFourProcesses.firstError],
      ...w.onSale.map((o) => [`d, ${o.processes} process(es)`, o.firstError]),
      ...w.lambda.map((row) => [`e, ${row.instances} processes`, row.firstError]),
    ].flatMap(([scenario, error]) => (error ? [`  first error, W ${w.windowMs} ms, ${scenario}: ${error}`] : [])),
  );
  return [...lines, ...ledgerSizeLines(result.ledgerSize), ...failures];
}

async function main(): Promise<void> {
  const local = await startDynamoDbLocal();
  Object.assign(process.env, DYNAMODB_LOCAL_ENV);
  try {
    const started = Date.now();
    // Other work on the machine skews every rate: the load average as the run starts says whether there was any.
    const loadAverageAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
    const result = await hotPriceBenchmark(local.endpoint, config.hotPrice);
    const targets = hotPriceTargets(result);
    const lines = [...hotPriceLines(result), ...tableLines('hot-price targets (W = 8 ms)', ['target', 'verdict'], Object.entries(targets))];
    for (const line of lines) process.stdout.write(`${line}\n`);
    mkdirSync('bench/results', { recursive: true });
    const machine = { cpus: cpus().length, node: process.version, loadAverageAtStart };
    const report = { hotPrice: result, targets, quick, machine, seconds: Math.round((Date.now() - started) / 1000), when: new Date().toISOString() };
    writeFileSync('bench/results/hot-price-latest.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write('wrote bench/results/hot-price-latest.json\n');
  } finally {
    await local.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
