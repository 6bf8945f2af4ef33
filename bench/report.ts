// What `npm run bench` measured, and how it is reported: the targets' verdicts, the printed tables and
// bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type ColdStartReport, printColdStart } from './cold-start.js';
import { CONCURRENCY, config, quick } from './config.js';
import { type FaultBoundRow, printFaultBounds } from './fault-bounds.js';
import type { HoldsBenchResult } from './holds.js';
import { type HotPriceResult, hotPriceLines, hotPriceTargets } from './hot-price.js';
import type { OnSaleResult } from './on-sale.js';
import { type OverheadShare, overheadLines } from './overhead.js';
import { tableLines, type Summary } from './measure.js';
import { DYNAMODB_OPERATIONS, type DynamoDbOperation, type Operation, OPERATIONS, SPREAD_PRICES } from './sides.js';

/** Library against floor for one operation. */
export interface VersusFloor {
  library: Summary;
  floor: Summary;
  ratio: number;
}

/** A driver against its floor: each operation at each concurrency, and the floor's A/A calibration ratio. */
export interface VersusFloorRun<Op extends string> {
  results: Record<number, Record<Op, VersusFloor>>;
  calibration: number;
}

/** The sample app under autocannon, on one driver. */
export interface HttpResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  peakRssMb: number;
}

/** Count latency and items read by live sessions of one event/price and unrelated sessions in the table. */
export interface CountScalingResult {
  rows: { live: number; unrelated: number; p50Ms: number; itemsRead: number }[];
  expiredSameKey: { live: number; expiredSameKey: number; p50Ms: number; itemsRead: number };
}

/** Everything one run measured, section by section. */
export interface Measurements {
  dynamodb: VersusFloorRun<DynamoDbOperation>;
  overhead: OverheadShare[];
  memory: VersusFloorRun<Operation>;
  footprint: { bytesPerSession: number };
  http: { memory: HttpResult; dynamodb: HttpResult };
  scaling: CountScalingResult;
  holds: { dynamodb: HoldsBenchResult; memory: HoldsBenchResult };
  coldStart: ColdStartReport;
  onSale: OnSaleResult;
  hotPrice: HotPriceResult;
  faultBounds: { rows: FaultBoundRow[]; met: boolean };
}

export const log = (line: string) => process.stdout.write(`${line}\n`);

function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  for (const line of tableLines(title, header, rows)) log(line);
}

/** Each target's verdict ('met', 'missed', or for the raw-SDK ratio also 'within noise'), by target name. */
export function targetVerdicts(m: Measurements): Record<string, string> {
  const { dynamodb, http, scaling } = m;
  const scalingAt = (live: number, unrelated: number) => scaling.rows.find((r) => r.live === live && r.unrelated === unrelated)!.p50Ms;
  const largestU = config.unrelated.at(-1)!;
  // A ratio short of 0.95 by less than the A/A calibration's distance from 1 cannot be told from noise.
  const lowestRatio = Math.min(...DYNAMODB_OPERATIONS.map((op) => dynamodb.results[32]![op].ratio));
  const spread = Math.abs(1 - dynamodb.calibration);
  const verdict = (met: boolean) => (met ? 'met' : 'missed');
  return {
    dynamodbWithin5PercentOfRawSdk: lowestRatio >= 0.95 ? 'met' : lowestRatio >= 0.95 - spread ? `within noise (±${spread.toFixed(2)})` : 'missed',
    dynamodbP99Under100Ms: verdict(DYNAMODB_OPERATIONS.every((op) => dynamodb.results[32]![op].library.p99Ms < 100)),
    driverCpuUnder5PercentOfALocalCallAtConcurrency1: verdict(m.overhead.every((row) => row.sharePercent < 5)),
    httpDynamodbAtLeast1000ReqPerSecP99Under100Ms: verdict(http.dynamodb.reqPerSec >= 1000 && http.dynamodb.p99Ms < 100 && http.dynamodb.errors === 0),
    httpMemoryAtLeast5000ReqPerSec: verdict(http.memory.reqPerSec >= 5000 && http.memory.errors === 0),
    countCostFollowsLiveNotUnrelated: verdict(config.live.every((live) => scalingAt(live, largestU) <= 2 * scalingAt(live, 0))),
    heldReadsOneItemWhateverTheHolds: verdict(m.holds.dynamodb.held.every((row) => row.requestsPerCall === 1)),
    onSaleNoIndexKeyOver10PercentOfTheEvent: verdict(m.onSale.runs.every((run) => run.hottestIndexKeyShare <= 10)),
    onSaleLedgerAtMost4WcuPerHold: verdict(m.onSale.runs.every((run) => run.hottestTableKey.wcuPerHold <= 4)),
    ...m.coldStart.targets,
    ...hotPriceTargets(m.hotPrice),
    failingCallsWithinTheirDocumentedBounds: verdict(m.faultBounds.met),
  };
}

/** The figures of one driver run at one concurrency, by operation, each in the shape `shape` gives it. */
function byOperation<Op extends string>(operations: readonly Op[], results: Record<Op, VersusFloor>, shape: (r: VersusFloor) => Record<string, number>) {
  return Object.fromEntries(operations.map((op) => [op, shape(results[op])]));
}

/** The drivers' figures at one concurrency, as bench/results/latest.json has them. */
function librarySection(m: Measurements, concurrency: number) {
  const memoryShape = (r: VersusFloor) => ({ ...r.library, floorOpsPerSec: r.floor.opsPerSec, ratio: r.ratio });
  const dynamoShape = (r: VersusFloor) => ({ ...r.library, rawOpsPerSec: r.floor.opsPerSec, rawP99Ms: r.floor.p99Ms, ratio: r.ratio });
  return {
    memory: byOperation(OPERATIONS, m.memory.results[concurrency]!, memoryShape),
    dynamodb: byOperation(DYNAMODB_OPERATIONS, m.dynamodb.results[concurrency]!, dynamoShape),
  };
}

/** The content of bench/results/latest.json: the figures, the verdicts, the machine and the run's length from `started`. */
export function resultsReport(m: Measurements, targets: Record<string, string>, started: number) {
  const { coldStart } = m;
  return {
    library: librarySection(m, 32),
    libraryConcurrency1: librarySection(m, 1),
    dynamodbOverheadConcurrency1: m.overhead,
    calibration: { dynamodbRawCreateVsItself: m.dynamodb.calibration, memoryMapGetVsItself: m.memory.calibration },
    http: m.http,
    countScaling: m.scaling.rows,
    countScalingExpiredSameKey: m.scaling.expiredSameKey,
    holds: m.holds,
    onSale: m.onSale,
    hotPrice: m.hotPrice,
    faultBounds: m.faultBounds.rows,
    memoryFootprint: m.footprint,
    lambdaColdStart: { node: coldStart.node, rows: coldStart.rows, overBare: coldStart.overBare },
    targets,
    machine: { cpus: cpus().length, node: process.version, when: new Date().toISOString() },
    quick,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Prints the DynamoDB driver against the raw SDK at each concurrency, the driver overhead and the A/A calibration. */
function printDynamoDbTables({ dynamodb, overhead }: Measurements): void {
  for (const concurrency of CONCURRENCY) {
    printTable(
      `DynamoDB driver vs raw SDK (DynamoDB Local), concurrency ${concurrency}`,
      ['operation', 'lib ops/s', 'lib p50 ms', 'lib p99 ms', 'raw ops/s', 'raw p50 ms', 'raw p99 ms', 'ratio'],
      DYNAMODB_OPERATIONS.map((op) => {
        const r = dynamodb.results[concurrency]![op];
        const name = op === 'createSpread' ? `create, ${SPREAD_PRICES} prices` : op;
        return [name, r.library.opsPerSec, r.library.p50Ms, r.library.p99Ms, r.floor.opsPerSec, r.floor.p50Ms, r.floor.p99Ms, r.ratio];
      }),
    );
  }
  log(
    `  create: one price, which the library batches (concurrent creates of a price share a transaction) and the raw floor does not; ` +
      `create, ${SPREAD_PRICES} prices: one price per call in flight, nothing batched — the like-for-like figure`,
  );
  for (const line of overheadLines(overhead, config.overhead.rounds)) log(line);
  log(
    `  calibration: raw create against itself, same method: ratio ${dynamodb.calibration} ` +
      '(how far apart two identical measurements land on this machine)',
  );
}

/** Prints the memory driver against a plain Map at each concurrency, and the A/A calibration. */
function printMemoryTables({ memory }: Measurements): void {
  for (const concurrency of CONCURRENCY) {
    printTable(
      `memory driver vs plain Map, concurrency ${concurrency}`,
      ['operation', 'lib ops/s', 'lib p50 ms', 'lib p99 ms', 'Map ops/s', 'ratio'],
      OPERATIONS.map((op) => {
        const r = memory.results[concurrency]![op];
        return [op, r.library.opsPerSec, r.library.p50Ms, r.library.p99Ms, r.floor.opsPerSec, r.ratio];
      }),
    );
  }
  log(`  calibration: Map getById against itself: ratio ${memory.calibration}`);
}

/** Prints the sample app over HTTP on each driver, and count scaling with the expired-sessions line. */
function printHttpAndCountScaling({ http, scaling }: Measurements): void {
  printTable(
    `sample app over HTTP (autocannon, 32 connections, ${config.httpSeconds} s, lifecycle mix)`,
    ['driver', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS MB'],
    (['memory', 'dynamodb'] as const).map((driver) => {
      const r = http[driver];
      return [driver, r.reqPerSec, r.p50Ms, r.p99Ms, r.errors, r.peakRssMb];
    }),
  );
  printTable(
    'count scaling (DynamoDB Local): L live sessions of one event/price, U unrelated sessions in the table',
    ['L live', 'U unrelated', 'p50 ms', 'items read'],
    scaling.rows.map((r) => [r.live, r.unrelated, r.p50Ms, r.itemsRead]),
  );
  log(
    `  same event/price with 100 live + 1000 expired (not yet deleted by TTL): p50 ${scaling.expiredSameKey.p50Ms} ms, ` +
      `${scaling.expiredSameKey.itemsRead} items read`,
  );
}

/** Prints creates within a stock against plain creates, and `held` by live holds, on each driver. */
function printHolds({ holds }: Measurements): void {
  printTable(
    'creates on a price with stock (setStock once) vs plain creates, same run, concurrency 32',
    ['driver', 'with stock ops/s', 'with stock p99 ms', 'plain ops/s', 'plain p99 ms', 'ratio'],
    (['dynamodb', 'memory'] as const).map((driver) => {
      const r = holds[driver].stockVsPlain;
      return [driver, r.stock.opsPerSec, r.stock.p99Ms, r.plain.opsPerSec, r.plain.p99Ms, r.ratio];
    }),
  );
  printTable(
    'held({ eventId, priceId }) by live holds of the pair',
    ['driver', 'live holds', 'p50 ms', 'p99 ms', 'requests per call'],
    (['dynamodb', 'memory'] as const).flatMap((driver) => holds[driver].held.map((r) => [driver, r.live, r.p50Ms, r.p99Ms, r.requestsPerCall])),
  );
}

/** Prints the on-sale runs' write costs, count and held latency by live sessions, and keyed against plain creates. */
function printOnSale({ onSale }: Measurements): void {
  for (const run of onSale.runs) {
    printTable(
      `on-sale, one event, ${run.prices} price(s): ${run.buyers} buyers for ${Math.floor((0.9 * run.buyers) / run.prices) * run.prices} tickets → ${run.holds} holds, ${run.soldOut} sold out; ` +
        `hottest table key ${run.hottestTableKey.writesPerHold} writes (${run.hottestTableKey.wcuPerHold} WCU) per hold of its price, ` +
        `hottest index key ${run.hottestIndexKey.wcuPerHold} WCU per hold of the event (${run.hottestIndexKeyShare} % of its index writes)`,
      ['operation', 'calls', 'table WCU/call', 'index WCU/call'],
      Object.entries(run.costs).map(([operation, c]) => [operation, c.calls, c.tableWcuPerCall, c.indexWcuPerCall]),
    );
  }
  printTable(
    'on-sale: count (CREATED + CONFIRMING) and held by live sessions of one event (20 prices)',
    ['live sessions', 'count p50 ms', 'count p99 ms', 'held p50 ms', 'held p99 ms'],
    onSale.latency.map((r) => [r.live, r.countP50Ms, r.countP99Ms, r.heldP50Ms, r.heldP99Ms]),
  );
  log(
    `  keyed vs plain creates (20 prices, concurrency 32): keyed ${onSale.keyedVsPlain.keyed.opsPerSec} ops/s, ` +
      `plain ${onSale.keyedVsPlain.plain.opsPerSec} ops/s, ratio ${onSale.keyedVsPlain.ratio}`,
  );
}

/** Prints every section's tables in order, then the targets' verdicts and the run's length in seconds. */
export function printReport(m: Measurements, targets: Record<string, string>, seconds: number): void {
  printDynamoDbTables(m);
  printMemoryTables(m);
  printHttpAndCountScaling(m);
  printHolds(m);
  printOnSale(m);
  for (const line of hotPriceLines(m.hotPrice)) log(line);
  printFaultBounds(m.faultBounds, log);
  log(`\nmemory driver: ${m.footprint.bytesPerSession} bytes of heap per stored session`);
  printColdStart(m.coldStart, config.coldStartRounds, log);
  printTable(`targets${quick ? ' (--quick: few rounds, read the full run for the verdict)' : ''}`, ['target', 'verdict'], Object.entries(targets));
  log(`finished in ${seconds} s`);
}

/** Writes `report` to bench/results/latest.json, creating the folder if needed. */
export function writeResults(report: ReturnType<typeof resultsReport>): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
  log('wrote bench/results/latest.json');
}
