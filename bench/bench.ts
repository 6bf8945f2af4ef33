// `npm run bench` (40 minutes or more) and `npm run bench -- --quick` (about 13 minutes on a shared 2-core machine).
// Starts what it needs (DynamoDB Local on a free port, the built sample app), warms up, measures, prints tables and
// writes bench/results/latest.json.
// Every comparison is a ratio measured in this run, interleaved, with medians (see bench/measure.ts).
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCheckoutSessionDynamoDbClient, ensureCheckoutSessionTable } from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV, freePort, startDynamoDbLocal } from '../scripts/dynamodb-local.launcher.mjs';
import { CONCURRENCY, config, quick } from './config.js';
import { dynamoDbHoldsBenchmark, memoryHoldsBenchmark } from './holds.js';
import { measureFaultBounds } from './fault-bounds.js';
import { hotPriceBenchmark } from './hot-price.js';
import { onSaleBenchmark } from './on-sale.js';
import { measureOverhead, overheadShares } from './overhead.js';
import { batchWrite, sessionItem, TTL_MS } from './seed.js';
import { measureColdStart } from './cold-start.js';
import { compare, percentile, type Side } from './measure.js';
import {
  type CountScalingResult,
  type HttpResult,
  log,
  type Measurements,
  printReport,
  resultsReport,
  targetVerdicts,
  type VersusFloor,
  type VersusFloorRun,
  writeResults,
} from './report.js';
import {
  bootCache as boot,
  COUNT_EVENT,
  COUNT_EVENT_SESSIONS,
  DYNAMODB_OPERATIONS,
  type DynamoDbOperation,
  input,
  librarySides,
  none,
  OPERATIONS,
  type Operation,
  rawSdkSides,
  seedSessions,
} from './sides.js';

/** The same client settings on both sides; generous timeouts, since a loaded 2-core machine answers slowly at times. */
const CLIENT_SETTINGS = { maxAttempts: 3, requestTimeoutMs: 5000 } as const;
const TABLE = 'bench-sessions';
const SCALING_TABLE = 'bench-scaling';
/** Prices of the HTTP benchmark's event: each has its own hold ledger. */
const HTTP_PRICES = 20;
const APP_MAIN = 'dist/apps/checkout-api/apps/checkout-api/src/main.js';

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

/** Runs each of `operations` at every concurrency, library against its floor. */
async function libraryVersusFloor<Op extends string>(
  library: Record<Op, Side<string[]>>,
  floor: Record<Op, Side<string[]>>,
  operations: readonly Op[],
  n: number,
): Promise<VersusFloorRun<Op>['results']> {
  const results: Record<number, Partial<Record<Op, VersusFloor>>> = {};
  for (const concurrency of CONCURRENCY) {
    const atConcurrency: Partial<Record<Op, VersusFloor>> = (results[concurrency] = {});
    for (const operation of operations) {
      await compare(1, Math.min(n, 100), concurrency, library[operation], floor[operation]); // warm-up
      const { a, b, ratio } = await compare(config.rounds, n, concurrency, library[operation], floor[operation]);
      atConcurrency[operation] = { library: a, floor: b, ratio };
    }
  }
  return results as VersusFloorRun<Op>['results'];
}

/** The sample app, built, in its own process, under autocannon with the session lifecycle as the request mix. */
async function httpRun(env: Record<string, string>): Promise<HttpResult> {
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
async function countScaling(endpoint: string): Promise<CountScalingResult> {
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
  const rows: CountScalingResult['rows'] = [];
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

/** Logs `label`, then runs one benchmark section. */
async function section<T>(label: string, run: () => Promise<T>): Promise<T> {
  log(label);
  return run();
}

/** Builds the sample app (nest build checkout-api), which the HTTP section runs. */
function buildSampleApp(): void {
  log('building the sample app…');
  execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'checkout-api'], { stdio: 'inherit' });
}

/** The DynamoDB driver against the raw SDK on one table, then the raw create against itself (A/A calibration). */
async function measureDynamoDbVersusRawSdk(endpoint: string): Promise<VersusFloorRun<DynamoDbOperation>> {
  const rawClient = createCheckoutSessionDynamoDbClient({ endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, ...CLIENT_SETTINGS });
  await ensureCheckoutSessionTable(rawClient, TABLE);
  const documents = DynamoDBDocumentClient.from(rawClient, { marshallOptions: { removeUndefinedValues: true } });
  const dynamo = await boot({ driver: 'dynamodb', endpoint, tableName: TABLE, ...CLIENT_SETTINGS });
  await seedSessions(dynamo.cache, COUNT_EVENT_SESSIONS, COUNT_EVENT);
  log('\nmeasuring the DynamoDB driver against the raw SDK…');
  const rawSides = rawSdkSides(documents, TABLE, (n) => seedSessions(dynamo.cache, n, 'raw-seed'));
  const results = await libraryVersusFloor(librarySides(() => dynamo.cache, 'lib'), rawSides, DYNAMODB_OPERATIONS, config.n);
  // Calibration: the same side against itself shows how far apart two identical measurements land here.
  const calibration = await compare(config.rounds, config.n, 32, rawSides.create, { ...rawSides.create });
  await dynamo.app.close();
  rawClient.destroy();
  return { results, calibration: calibration.ratio };
}

/** The memory driver against a plain Map, then the Map's getById against itself (A/A calibration). */
async function measureMemoryVersusMap(): Promise<VersusFloorRun<Operation>> {
  const memory = memoryLibrarySides();
  const floor = mapFloorSides();
  const results = await libraryVersusFloor(memory.sides, floor, OPERATIONS, config.memoryN);
  const calibration = await compare(config.rounds, config.memoryN, 32, floor.getById, { ...floor.getById });
  await memory.close();
  return { results, calibration: calibration.ratio };
}

/** Heap bytes per stored session of the memory driver, from bench/memory-footprint.ts in a child process with --expose-gc. */
function measureMemoryFootprint(): { bytesPerSession: number } {
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/memory-footprint.ts', String(config.memoryN)], { encoding: 'utf8' });
  return JSON.parse(output) as { bytesPerSession: number };
}

/** The sample app over HTTP, on the memory driver, then on the DynamoDB driver against `endpoint`. */
async function measureHttp(endpoint: string): Promise<Measurements['http']> {
  const memory = await httpRun({ CHECKOUT_SESSION_CACHE_DRIVER: 'memory' });
  const dynamodb = await httpRun({
    CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
    DYNAMODB_ENDPOINT: endpoint,
    DYNAMODB_CHECKOUT_SESSIONS_TABLE: TABLE,
    DYNAMODB_REQUEST_TIMEOUT_MS: String(CLIENT_SETTINGS.requestTimeoutMs),
  });
  return { memory, dynamodb };
}

/** Limited against plain creates and `held` latency by live holds, on DynamoDB Local, then on the memory driver. */
async function measureHolds(endpoint: string): Promise<Measurements['holds']> {
  const holdsConfig = { rounds: config.rounds, n: config.n, live: config.heldLive, samples: config.countSamples };
  return { dynamodb: await dynamoDbHoldsBenchmark(endpoint, holdsConfig), memory: await memoryHoldsBenchmark({ ...holdsConfig, n: config.memoryN }) };
}

/** Runs every section in order against DynamoDB Local at `endpoint`, logging each as it starts. */
async function measureAll(endpoint: string): Promise<Measurements> {
  const dynamodb = await measureDynamoDbVersusRawSdk(endpoint);
  // Where the time goes at concurrency 1: both sides on one canned in-process client, set against the raw SDK's calls above.
  const overhead = await section('measuring the driver overhead on a canned in-process client…', async () =>
    overheadShares(await measureOverhead(config.overhead), (op) => dynamodb.results[1]![op].floor.p50Ms),
  );
  const memory = await section('measuring the memory driver against a plain Map…', measureMemoryVersusMap);
  const footprint = measureMemoryFootprint();
  const http = await section('measuring the sample app over HTTP…', () => measureHttp(endpoint));
  const scaling = await section('measuring count scaling (loading unrelated sessions)…', () => countScaling(endpoint));
  const holds = await section('measuring holds (limited creates, held)…', () => measureHolds(endpoint));
  const coldStart = await section('measuring Lambda cold starts (a fresh process each)…', () => measureColdStart(endpoint, TABLE, config.coldStartRounds));
  // The on-sale scenario: one hot event, write units and key spread from the library's own requests.
  const onSaleConfig = { buyers: config.buyers, live: config.onSaleLive, samples: config.countSamples, rounds: config.rounds, n: config.n };
  const onSale = await section('measuring the on-sale scenario…', () => onSaleBenchmark(endpoint, onSaleConfig));
  // A hot price through the conflict model (DynamoDB's transaction-conflict rules in front of DynamoDB Local).
  const hotPrice = await section('measuring a hot price through the conflict model…', () => hotPriceBenchmark(endpoint, config.hotPrice));
  // Failing calls against their documented bounds (docs/retries-and-timeouts.md), through a fault proxy.
  const faultBounds = await section('measuring failing calls against their bounds…', () => measureFaultBounds(endpoint, quick ? 1 : 3));
  return { dynamodb, overhead, memory, footprint, http, scaling, holds, coldStart, onSale, hotPrice, faultBounds };
}

/** Builds the sample app, starts DynamoDB Local, measures, prints the tables and verdicts, writes the results file. */
async function main(): Promise<void> {
  const started = Date.now();
  log(`checkout-session-cache benchmark${quick ? ' (--quick)' : ''}: ${cpus().length} cpus, node ${process.version}`);
  buildSampleApp();
  const local = await startDynamoDbLocal();
  Object.assign(process.env, DYNAMODB_LOCAL_ENV);
  try {
    const measurements = await measureAll(local.endpoint);
    const targets = targetVerdicts(measurements);
    const report = resultsReport(measurements, targets, started);
    printReport(measurements, targets, report.seconds);
    writeResults(report);
  } finally {
    await local.stop();
  }
}

await main();
