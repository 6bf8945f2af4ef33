// `npm run bench` (40 minutes or more) and `npm run bench -- --quick` (about 13 minutes on a shared 2-core machine).
// Starts what it needs (DynamoDB Local on a free port, the built sample app), warms up, measures, prints tables and
// writes bench/results/latest.json.
// Every comparison is a ratio measured in this run, interleaved, with medians (see bench/measure.ts).
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCheckoutSessionDynamoDbClient, ensureCheckoutSessionTable } from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV, freePort, startDynamoDbLocal } from '../scripts/dynamodb-local.launcher.mjs';
import { dynamoDbHoldsBenchmark, memoryHoldsBenchmark } from './holds.js';
import { measureFaultBounds, printFaultBounds } from './fault-bounds.js';
import { hotPriceBenchmark, hotPriceLines, hotPriceTargets } from './hot-price.js';
import { onSaleBenchmark } from './on-sale.js';
import { measureOverhead, overheadLines, overheadShares } from './overhead.js';
import { batchWrite, sessionItem, TTL_MS } from './seed.js';
import { measureColdStart, printColdStart } from './cold-start.js';
import { compare, percentile, tableLines, type Side, type Summary } from './measure.js';
import {
  bootCache as boot,
  COUNT_EVENT,
  COUNT_EVENT_SESSIONS,
  DYNAMODB_OPERATIONS,
  input,
  librarySides,
  none,
  OPERATIONS,
  type Operation,
  rawSdkSides,
  seedSessions,
  SPREAD_PRICES,
} from './sides.js';

const quick = process.argv.includes('--quick');
const config = quick
  ? { rounds: 4, n: 200, memoryN: 20_000, httpSeconds: 5, live: [1, 100, 1000], unrelated: [0, 10_000], countSamples: 15, heldLive: [1, 1000, 100_000], buyers: 1000, onSaleLive: [1000, 100_000], coldStartRounds: 10, hotPrice: { creates: 300, rounds: 3 }, overhead: { rounds: 8, calls: 600 } }
  : { rounds: 10, n: 500, memoryN: 50_000, httpSeconds: 15, live: [1, 100, 1000], unrelated: [0, 10_000, 100_000], countSamples: 30, heldLive: [1, 1000, 100_000], buyers: 3000, onSaleLive: [1000, 100_000], coldStartRounds: 30, hotPrice: { creates: 600, rounds: 5 }, overhead: { rounds: 16, calls: 1500 } };
const CONCURRENCY = [1, 32];
/** The same client settings on both sides; generous timeouts, since a loaded 2-core machine answers slowly at times. */
const CLIENT_SETTINGS = { maxAttempts: 3, requestTimeoutMs: 5000 } as const;
const TABLE = 'bench-sessions';
const SCALING_TABLE = 'bench-scaling';
/** Prices of the HTTP benchmark's event: each has its own hold ledger. */
const HTTP_PRICES = 20;
const APP_MAIN = 'dist/apps/checkout-api/apps/checkout-api/src/main.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  for (const line of tableLines(title, header, rows)) log(line);
}

/** The memory driver, on a fresh module (and store) before each batch, so batches never pile up in the heap. */
function memoryLibrarySides(): { sides: Record<Operation, Side<string[]>>; close: () => Promise<void> } {
  let booted: Awaited<ReturnType<typeof boot>> | undefined;
  const reset = async () => {
    await booted?.app.close();
    booted = await boot({ driver: 'memory' });
    await seedSessions(booted.cache, COUNT_EVENT_SESSIONS, COUNT_EVENT);
  };
  return { sides: librarySides(() => booted!.cache, 'lib', reset), close: async () => booted?.app.close() };
}

interface FloorRecord {
  id: string;
  eventId: string;
  priceId: string;
  quantity: number;
  price: number;
  status: string;
  createdAt: number;
  expiresAt: number;
}

/** The floor for the memory driver: a plain Map (and a Set per event) doing the same work, without validation or copies. */
function mapFloorSides(): Record<Operation, Side<string[]>> {
  const records = new Map<string, FloorRecord>();
  const byEvent = new Map<string, Set<string>>();
  const reset = async () => {
    records.clear();
    byEvent.clear();
    for (let i = 0; i < COUNT_EVENT_SESSIONS; i++) put(COUNT_EVENT);
  };
  const put = (eventId: string) => {
    const now = Date.now();
    const record = { id: randomUUID(), ...input(eventId), status: 'CREATED', createdAt: now, expiresAt: now + TTL_MS };
    records.set(record.id, record);
    if (!byEvent.has(eventId)) byEvent.set(eventId, new Set());
    byEvent.get(eventId)!.add(record.id);
    return record.id;
  };
  const seed = async (n: number) => Array.from({ length: n }, () => put('floor-seed'));
  const live = (id: string) => {
    const record = records.get(id);
    return record && record.expiresAt > Date.now() ? record : undefined;
  };
  return {
    create: { reset, prepare: none, op: async () => put('floor-create') },
    getById: { reset, prepare: seed, op: async (ids, i) => ({ ...live(ids[i]!) }) },
    updateStatus: {
      reset,
      prepare: seed,
      op: async (ids, i) => {
        const record = live(ids[i]!);
        if (record?.status === 'CREATED') record.status = 'CONFIRMING';
        return { ...record };
      },
    },
    count: {
      reset,
      prepare: none,
      op: async () => {
        const result = { sessions: 0, quantity: 0 };
        for (const id of byEvent.get(COUNT_EVENT) ?? []) {
          const record = live(id);
          if (!record) continue;
          result.sessions += 1;
          result.quantity += record.quantity;
        }
        return result;
      },
    },
    deleteById: {
      reset,
      prepare: seed,
      op: async (ids, i) => {
        const record = records.get(ids[i]!);
        if (!record) return;
        records.delete(record.id);
        byEvent.get(record.eventId)?.delete(record.id);
      },
    },
  };
}

/** Library against floor for one operation. */
interface VersusFloor {
  library: Summary;
  floor: Summary;
  ratio: number;
}

/** Runs each of `operations` at every concurrency, library against its floor. */
async function libraryVersusFloor<Op extends string>(
  library: Record<Op, Side<string[]>>,
  floor: Record<Op, Side<string[]>>,
  operations: readonly Op[],
  n: number,
): Promise<Record<number, Record<Op, VersusFloor>>> {
  const results: Record<number, Partial<Record<Op, VersusFloor>>> = {};
  for (const concurrency of CONCURRENCY) {
    const atConcurrency: Partial<Record<Op, VersusFloor>> = (results[concurrency] = {});
    for (const operation of operations) {
      await compare(1, Math.min(n, 100), concurrency, library[operation], floor[operation]); // warm-up
      const { a, b, ratio } = await compare(config.rounds, n, concurrency, library[operation], floor[operation]);
      atConcurrency[operation] = { library: a, floor: b, ratio };
    }
  }
  return results as Record<number, Record<Op, VersusFloor>>;
}

/** The sample app, built, in its own process, under autocannon with the session lifecycle as the request mix. */
async function httpRun(env: Record<string, string>): Promise<{ reqPerSec: number; p50Ms: number; p99Ms: number; errors: number; peakRssMb: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [APP_MAIN], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const healthy = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (healthy) break;
      if (i > 150) throw new Error('the sample app did not become healthy');
      await sleep(200);
    }
    const json = { 'content-type': 'application/json' };
    const byId = (method: 'GET' | 'PATCH' | 'DELETE', body?: string): autocannon.Request => ({
      method,
      ...(body && { headers: json, body }),
      setupRequest: (request, context) => ({ ...request, path: `/checkout-sessions/${(context as { id: string }).id}` }),
    });
    // One event, its holds spread over 20 prices (an on-sale's price categories); each lifecycle reads what its
    // price holds, as an app shows free stock (`held`, the hot-path figure; `count` is for reporting).
    let lifecycles = 0;
    const requests: autocannon.Request[] = [
      {
        method: 'POST',
        path: '/checkout-sessions',
        headers: json,
        setupRequest: (request, context) => {
          const priceId = `p${lifecycles++ % HTTP_PRICES}`;
          (context as { priceId?: string }).priceId = priceId;
          return { ...request, body: JSON.stringify({ eventId: 'http-bench', priceId, quantity: 2, price: 10 }) };
        },
        onResponse: (status, body, context) => {
          if (status === 201) (context as { id?: string }).id = (JSON.parse(body) as { id: string }).id;
        },
      },
      byId('GET'),
      byId('PATCH', JSON.stringify({ status: 'CONFIRMING' })),
      {
        method: 'GET',
        setupRequest: (request, context) => ({ ...request, path: `/checkout-sessions/held?eventId=http-bench&priceId=${(context as { priceId: string }).priceId}` }),
      },
      byId('DELETE'),
    ];
    const run = (duration: number) => autocannon({ url, connections: 32, duration, requests });
    await run(2); // warm-up
    const result = await run(config.httpSeconds);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return {
      reqPerSec: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      peakRssMb: Math.round(peakKb / 1024),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** Count latency and items read for L live sessions of one event/price while the table holds U unrelated sessions. */
async function countScaling(endpoint: string) {
  const client = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, ...CLIENT_SETTINGS });
  let scanned = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'countScanned' },
  );
  await ensureCheckoutSessionTable(client, SCALING_TABLE);
  const { app, cache } = await boot({ driver: 'dynamodb', endpoint, tableName: SCALING_TABLE, client, ...CLIENT_SETTINGS });
  const rows: { live: number; unrelated: number; p50Ms: number; itemsRead: number }[] = [];
  const measure = async (eventId: string) => {
    for (let i = 0; i < 3; i++) await cache.count({ eventId, priceId: 'p' });
    const latencies: number[] = [];
    for (let i = 0; i < config.countSamples; i++) {
      scanned = 0;
      const t = performance.now();
      await cache.count({ eventId, priceId: 'p' });
      latencies.push(performance.now() - t);
    }
    return { p50Ms: Math.round(percentile(latencies, 50) * 100) / 100, itemsRead: scanned };
  };
  const writeRaw = (count: number, item: (i: number) => Record<string, unknown>) => batchWrite(client, SCALING_TABLE, count, item);
  const now = Date.now();
  const session = (eventId: string, expiresAtMs: number) => sessionItem(eventId, 'p', 'CREATED', expiresAtMs);
  for (const live of config.live) await writeRaw(live, () => session(`live-${live}`, now + TTL_MS));
  let loaded = 0;
  for (const unrelated of config.unrelated) {
    // Unrelated sessions: other events, half of them already expired (TTL has not deleted them yet).
    await writeRaw(unrelated - loaded, (i) => session(`unrelated-${(loaded + i) % 2000}`, (loaded + i) % 2 ? now - 60_000 : now + TTL_MS));
    loaded = unrelated;
    for (const live of config.live) rows.push({ live, unrelated, ...(await measure(`live-${live}`)) });
  }
  // Expired sessions of the same event/price are read (and filtered) until TTL deletes them: shown apart, not hidden.
  await writeRaw(100, () => session('mixed', now + TTL_MS));
  await writeRaw(1000, () => session('mixed', now - 60_000));
  const expiredSameKey = { live: 100, expiredSameKey: 1000, ...(await measure('mixed')) };
  await app.close();
  client.destroy();
  return { rows, expiredSameKey };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`checkout-session-cache benchmark${quick ? ' (--quick)' : ''}: ${cpus().length} cpus, node ${process.version}`);
  log('building the sample app…');
  execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'checkout-api'], { stdio: 'inherit' });
  const local = await startDynamoDbLocal();
  Object.assign(process.env, DYNAMODB_LOCAL_ENV);
  const endpoint = local.endpoint;
  try {
    // 1. DynamoDB driver against the raw SDK.
    const rawClient = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, ...CLIENT_SETTINGS });
    await ensureCheckoutSessionTable(rawClient, TABLE);
    const documents = DynamoDBDocumentClient.from(rawClient, { marshallOptions: { removeUndefinedValues: true } });
    const dynamo = await boot({ driver: 'dynamodb', endpoint, tableName: TABLE, ...CLIENT_SETTINGS });
    await seedSessions(dynamo.cache, COUNT_EVENT_SESSIONS, COUNT_EVENT);
    log('\nmeasuring the DynamoDB driver against the raw SDK…');
    const rawSides = rawSdkSides(documents, TABLE, (n) => seedSessions(dynamo.cache, n, 'raw-seed'));
    const dynamoResults = await libraryVersusFloor(librarySides(() => dynamo.cache, 'lib'), rawSides, DYNAMODB_OPERATIONS, config.n);
    // Calibration: the same side against itself shows how far apart two identical measurements land here.
    const dynamoCalibration = await compare(config.rounds, config.n, 32, rawSides.create, { ...rawSides.create });
    await dynamo.app.close();
    rawClient.destroy();

    // 1b. Where the time goes at concurrency 1: both sides on one canned in-process client, set against section 1's calls.
    log('measuring the driver overhead on a canned in-process client…');
    const overhead = overheadShares(await measureOverhead(config.overhead), (op) => dynamoResults[1]![op].floor.p50Ms);

    // 2. Memory driver against a plain Map.
    log('measuring the memory driver against a plain Map…');
    const memory = memoryLibrarySides();
    const floor = mapFloorSides();
    const memoryResults = await libraryVersusFloor(memory.sides, floor, OPERATIONS, config.memoryN);
    const memoryCalibration = await compare(config.rounds, config.memoryN, 32, floor.getById, { ...floor.getById });
    await memory.close();
    const footprint = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/memory-footprint.ts', String(config.memoryN)], { encoding: 'utf8' }),
    ) as { bytesPerSession: number };

    // 3. Over HTTP.
    log('measuring the sample app over HTTP…');
    const httpMemory = await httpRun({ CHECKOUT_SESSION_CACHE_DRIVER: 'memory' });
    const httpDynamo = await httpRun({
      CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
      DYNAMODB_ENDPOINT: endpoint,
      DYNAMODB_CHECKOUT_SESSIONS_TABLE: TABLE,
      DYNAMODB_REQUEST_TIMEOUT_MS: String(CLIENT_SETTINGS.requestTimeoutMs),
    });

    // 4. Count scaling.
    log('measuring count scaling (loading unrelated sessions)…');
    const scaling = await countScaling(endpoint);

    // 5. Holds: limited vs plain creates, held latency by live holds.
    log('measuring holds (limited creates, held)…');
    const holdsConfig = { rounds: config.rounds, n: config.n, live: config.heldLive, samples: config.countSamples };
    const holds = { dynamodb: await dynamoDbHoldsBenchmark(endpoint, holdsConfig), memory: await memoryHoldsBenchmark({ ...holdsConfig, n: config.memoryN }) };
    // 5. Lambda cold start.
    log('measuring Lambda cold starts (a fresh process each)…');
    const coldStart = await measureColdStart(endpoint, TABLE, config.coldStartRounds);

    // 6. The on-sale scenario: one hot event, write units and key spread from the library's own requests.
    log('measuring the on-sale scenario…');
    const onSale = await onSaleBenchmark(endpoint, { buyers: config.buyers, live: config.onSaleLive, samples: config.countSamples, rounds: config.rounds, n: config.n });

    // 7. A hot price through the conflict model (DynamoDB's transaction-conflict rules in front of DynamoDB Local).
    log('measuring a hot price through the conflict model…');
    const hotPrice = await hotPriceBenchmark(endpoint, config.hotPrice);

    // 8. Failing calls against their documented bounds (docs/retries-and-timeouts.md), through a fault proxy.
    log('measuring failing calls against their bounds…');
    const faultBounds = await measureFaultBounds(endpoint, quick ? 1 : 3);

    const scalingAt = (live: number, unrelated: number) => scaling.rows.find((r) => r.live === live && r.unrelated === unrelated)!.p50Ms;
    const largestU = config.unrelated.at(-1)!;
    // A ratio short of 0.95 by less than the A/A calibration's distance from 1 cannot be told from noise.
    const lowestRatio = Math.min(...DYNAMODB_OPERATIONS.map((op) => dynamoResults[32]![op].ratio));
    const spread = Math.abs(1 - dynamoCalibration.ratio);
    const verdict = (met: boolean) => (met ? 'met' : 'missed');
    const targets = {
      dynamodbWithin5PercentOfRawSdk: lowestRatio >= 0.95 ? 'met' : lowestRatio >= 0.95 - spread ? `within noise (±${spread.toFixed(2)})` : 'missed',
      dynamodbP99Under100Ms: verdict(DYNAMODB_OPERATIONS.every((op) => dynamoResults[32]![op].library.p99Ms < 100)),
      driverCpuUnder5PercentOfALocalCallAtConcurrency1: verdict(overhead.every((row) => row.sharePercent < 5)),
      httpDynamodbAtLeast1000ReqPerSecP99Under100Ms: verdict(httpDynamo.reqPerSec >= 1000 && httpDynamo.p99Ms < 100 && httpDynamo.errors === 0),
      httpMemoryAtLeast5000ReqPerSec: verdict(httpMemory.reqPerSec >= 5000 && httpMemory.errors === 0),
      countCostFollowsLiveNotUnrelated: verdict(config.live.every((live) => scalingAt(live, largestU) <= 2 * scalingAt(live, 0))),
      heldReadsOneItemWhateverTheHolds: verdict(holds.dynamodb.held.every((row) => row.requestsPerCall === 1)),
      onSaleNoIndexKeyOver10PercentOfTheEvent: verdict(onSale.runs.every((run) => run.hottestIndexKeyShare <= 10)),
      onSaleLedgerAtMost4WcuPerHold: verdict(onSale.runs.every((run) => run.hottestTableKey.wcuPerHold <= 4)),
      ...coldStart.targets,
      ...hotPriceTargets(hotPrice),
      failingCallsWithinTheirDocumentedBounds: verdict(faultBounds.met),
    };
    const byOperation = <Op extends string>(operations: readonly Op[], results: Record<Op, VersusFloor>, shape: (r: VersusFloor) => Record<string, number>) =>
      Object.fromEntries(operations.map((op) => [op, shape(results[op])]));
    const memoryShape = (r: VersusFloor) => ({ ...r.library, floorOpsPerSec: r.floor.opsPerSec, ratio: r.ratio });
    const dynamoShape = (r: VersusFloor) => ({ ...r.library, rawOpsPerSec: r.floor.opsPerSec, rawP99Ms: r.floor.p99Ms, ratio: r.ratio });
    const report = {
      library: {
        memory: byOperation(OPERATIONS, memoryResults[32]!, memoryShape),
        dynamodb: byOperation(DYNAMODB_OPERATIONS, dynamoResults[32]!, dynamoShape),
      },
      libraryConcurrency1: {
        memory: byOperation(OPERATIONS, memoryResults[1]!, memoryShape),
        dynamodb: byOperation(DYNAMODB_OPERATIONS, dynamoResults[1]!, dynamoShape),
      },
      dynamodbOverheadConcurrency1: overhead,
      calibration: { dynamodbRawCreateVsItself: dynamoCalibration.ratio, memoryMapGetVsItself: memoryCalibration.ratio },
      http: { memory: httpMemory, dynamodb: httpDynamo },
      countScaling: scaling.rows,
      countScalingExpiredSameKey: scaling.expiredSameKey,
      holds,
      onSale,
      hotPrice,
      faultBounds: faultBounds.rows,
      memoryFootprint: footprint,
      lambdaColdStart: { node: coldStart.node, rows: coldStart.rows, overBare: coldStart.overBare },
      targets,
      machine: { cpus: cpus().length, node: process.version, when: new Date().toISOString() },
      quick,
      seconds: Math.round((Date.now() - started) / 1000),
    };

    for (const concurrency of CONCURRENCY) {
      printTable(
        `DynamoDB driver vs raw SDK (DynamoDB Local), concurrency ${concurrency}`,
        ['operation', 'lib ops/s', 'lib p50 ms', 'lib p99 ms', 'raw ops/s', 'raw p50 ms', 'raw p99 ms', 'ratio'],
        DYNAMODB_OPERATIONS.map((op) => {
          const r = dynamoResults[concurrency]![op];
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
      `  calibration: raw create against itself, same method: ratio ${dynamoCalibration.ratio} ` +
        '(how far apart two identical measurements land on this machine)',
    );
    for (const concurrency of CONCURRENCY) {
      printTable(
        `memory driver vs plain Map, concurrency ${concurrency}`,
        ['operation', 'lib ops/s', 'lib p50 ms', 'lib p99 ms', 'Map ops/s', 'ratio'],
        OPERATIONS.map((op) => {
          const r = memoryResults[concurrency]![op];
          return [op, r.library.opsPerSec, r.library.p50Ms, r.library.p99Ms, r.floor.opsPerSec, r.ratio];
        }),
      );
    }
    log(`  calibration: Map getById against itself: ratio ${memoryCalibration.ratio}`);
    printTable(
      `sample app over HTTP (autocannon, 32 connections, ${config.httpSeconds} s, lifecycle mix)`,
      ['driver', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS MB'],
      [
        ['memory', httpMemory.reqPerSec, httpMemory.p50Ms, httpMemory.p99Ms, httpMemory.errors, httpMemory.peakRssMb],
        ['dynamodb', httpDynamo.reqPerSec, httpDynamo.p50Ms, httpDynamo.p99Ms, httpDynamo.errors, httpDynamo.peakRssMb],
      ],
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
    printTable(
      'limited creates (maxHeld) vs plain creates, same run, concurrency 32',
      ['driver', 'limited ops/s', 'limited p99 ms', 'plain ops/s', 'plain p99 ms', 'ratio'],
      (['dynamodb', 'memory'] as const).map((driver) => {
        const r = holds[driver].limitedVsPlain;
        return [driver, r.limited.opsPerSec, r.limited.p99Ms, r.plain.opsPerSec, r.plain.p99Ms, r.ratio];
      }),
    );
    printTable(
      'held({ eventId, priceId }) by live holds of the pair',
      ['driver', 'live holds', 'p50 ms', 'p99 ms', 'requests per call'],
      (['dynamodb', 'memory'] as const).flatMap((driver) => holds[driver].held.map((r) => [driver, r.live, r.p50Ms, r.p99Ms, r.requestsPerCall])),
    );
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
    for (const line of hotPriceLines(hotPrice)) log(line);
    printFaultBounds(faultBounds, log);
    log(`\nmemory driver: ${footprint.bytesPerSession} bytes of heap per stored session`);
    printColdStart(coldStart, config.coldStartRounds, log);
    printTable(`targets${quick ? ' (--quick: few rounds, read the full run for the verdict)' : ''}`, ['target', 'verdict'], Object.entries(targets));
    log(`finished in ${report.seconds} s`);

    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
    log('wrote bench/results/latest.json');
  } finally {
    await local.stop();
  }
}

await main();
