// Where the time goes at concurrency 1, without DynamoDB Local's noise: the library and the raw-SDK floor (bench/sides.ts)
// over the SAME in-process DynamoDB client, whose request handler answers canned responses at once (no network), one
// call after another, interleaved rounds. What remains of a call is CPU: the SDK's (both sides) and the library's own.
// `tsx bench/overhead.ts` prints the table alone; `tsx bench/overhead.ts --profile <operation> [--floor]` profiles the
// library's (or the floor's) side of one operation with V8's sampling profiler and prints where its CPU time goes.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import type { RequestHandler } from '@smithy/types';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { compare, runBatch, tableLines } from './measure.js';
import { sessionItem, TTL_MS } from './seed.js';
import { bootCache, librarySides, OPERATIONS, type Operation, rawSdkSides, seedSessions } from './sides.js';

const TABLE = 'bench-overhead';
/** Requests one call sends (`count`: 32 shards × 4 stored statuses), to give each operation about the same time. */
const REQUESTS_PER_CALL: Record<Operation, number> = { create: 1, getById: 1, updateStatus: 2, count: 128, deleteById: 2 };

/** Settings of one overhead run: rounds, and single-request calls per side and round (fewer for heavier calls). */
export interface OverheadConfig {
  rounds: number;
  calls: number;
}

/** One operation: µs per call of each side (from the median round's throughput), and the library's extra per call. */
export interface OverheadRow {
  operation: Operation;
  calls: number;
  libraryUs: number;
  floorUs: number;
  /** Floor µs × (1 ÷ ratio − 1). */
  differenceUs: number;
  /** Median of per-round throughput ratios, library ÷ floor. */
  ratio: number;
}

/** A row with the DynamoDB Local call it is set against. */
export interface OverheadShare extends OverheadRow {
  /** The raw floor's p50 per call on DynamoDB Local at concurrency 1 (bench section 1). */
  localMs: number;
  /** The library's extra as a share of that call. */
  sharePercent: number;
}

/** Answers DynamoDB's JSON protocol from memory by the `x-amz-target` operation: a live session, or nothing. */
class CannedDynamoDb implements RequestHandler<HttpRequest, HttpResponse> {
  /** A live holding session; its id is set per request. */
  private readonly decoder = new TextDecoder();
  private readonly session = marshall({ ...sessionItem('overhead', 'p', 'CREATED', Date.now() + TTL_MS), quantity: 2, price: 10 });

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
    const operation = target.slice(target.indexOf('.') + 1);
    return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([this.answer(operation, request)]) }) };
  }

  private answer(operation: string, request: HttpRequest): string {
    if (operation === 'Query') return '{"Items":[],"Count":0,"ScannedCount":0}';
    if (operation !== 'GetItem') return '{}';
    const body = typeof request.body === 'string' ? request.body : this.decoder.decode(request.body as Uint8Array);
    const id = (JSON.parse(body) as { Key: { id: { S: string } } }).Key.id.S;
    // A ledger read (housekeeping) finds an empty ledger; any other id, a live session.
    return JSON.stringify({ Item: id.startsWith('hold#') ? { id: { S: id }, held: { N: '0' } } : { ...this.session, id: { S: id } } });
  }
}

/** The library and the floor on one canned client. */
async function canned() {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'canned', secretAccessKey: 'canned' },
    maxAttempts: 3,
    requestHandler: new CannedDynamoDb(),
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const booted = await bootCache({ driver: 'dynamodb', client, tableName: TABLE, verifyTableOnStartup: false, requestTimeoutMs: 5000 });
  return {
    library: librarySides(() => booted.cache, 'overhead'),
    floor: rawSdkSides(documents, TABLE, (n) => seedSessions(booted.cache, n, 'overhead-seed')),
    close: async () => {
      await booted.app.close();
      client.destroy();
    },
  };
}

const callsOf = (operation: Operation, config: OverheadConfig) => Math.max(20, Math.round(config.calls / REQUESTS_PER_CALL[operation]));

/** Each operation, library against floor, one call at a time, interleaved rounds after a warm-up. */
export async function measureOverhead(config: OverheadConfig): Promise<OverheadRow[]> {
  const { library, floor, close } = await canned();
  try {
    const rows: OverheadRow[] = [];
    for (const operation of OPERATIONS) {
      const calls = callsOf(operation, config);
      await compare(2, calls, 1, library[operation], floor[operation]); // warm-up
      const { a, b, ratio } = await compare(config.rounds, calls, 1, library[operation], floor[operation]);
      const round1 = (n: number) => Math.round(n * 10) / 10;
      const floorUs = 1e6 / b.opsPerSec;
      // The extra from the median per-round ratio: steadier on a shared machine than a difference of two medians.
      rows.push({ operation, calls, libraryUs: round1(1e6 / a.opsPerSec), floorUs: round1(floorUs), differenceUs: round1(floorUs * (1 / ratio - 1)), ratio });
    }
    return rows;
  } finally {
    await close();
  }
}

/** Sets each row against the DynamoDB Local call of its operation (ms per call at concurrency 1). */
export function overheadShares(rows: OverheadRow[], localMs: (operation: Operation) => number): OverheadShare[] {
  return rows.map((row) => {
    const ms = localMs(row.operation);
    return { ...row, localMs: ms, sharePercent: Math.round((row.differenceUs / (ms * 1000)) * 1000) / 10 };
  });
}

/** The overhead table, as text lines; with shares when they are known. */
export function overheadLines(rows: (OverheadRow | OverheadShare)[], rounds: number): string[] {
  const shared = (row: OverheadRow | OverheadShare): row is OverheadShare => 'sharePercent' in row;
  return tableLines(
    `library vs raw SDK on one in-process client answering canned responses (no network), concurrency 1, ${rounds} interleaved rounds: ` +
      'µs of CPU per call (median rounds); extra µs from the median per-round ratio, and as a share of the raw call on DynamoDB Local at concurrency 1',
    ['operation', 'calls/round', 'lib µs', 'raw µs', 'extra µs', 'ratio', 'Local ms/call', 'extra % of Local'],
    rows.map((r) => [r.operation, r.calls, r.libraryUs, r.floorUs, r.differenceUs, r.ratio, shared(r) ? r.localMs : '-', shared(r) ? r.sharePercent : '-']),
  );
}

/** Where a profiled sample's time is charged: the library's file, or the package or runtime part it ran in. */
function placeOf(url: string, functionName: string): string {
  const library = /checkout-session-cache\/src\/(.+)$/.exec(url);
  if (library) return `library ${library[1]}`;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url === '' ? `(${functionName || 'native'})` : url.replace(/^.*\/bench\//, 'bench/');
}

/**
 * One side of `operation` under V8's sampling profiler, after a warm-up, over prepared data (canned answers
 * do not depend on state, so one set of ids serves every round): self time per call by place, then the functions of
 * the library, zod and the bench.
 */
async function profile(operation: Operation, floorSide: boolean): Promise<void> {
  const { library, floor, close } = await canned();
  const side = (floorSide ? floor : library)[operation];
  const calls = callsOf(operation, { rounds: 1, calls: 5000 });
  const data = await side.prepare(calls);
  await runBatch(calls, 1, (i) => side.op(data, i));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const rounds = 4;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) await runBatch(calls, 1, (i) => side.op(data, i));
  const perCallUs = ((performance.now() - started) * 1000) / (rounds * calls);
  const { profile: samples } = await session.post('Profiler.stop');
  session.disconnect();
  await close();

  const nodes = new Map(samples.nodes.map((node) => [node.id, node]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let sampled = 0;
  samples.samples!.forEach((id, i) => {
    const us = samples.timeDeltas![i] ?? 0;
    const { url, functionName } = nodes.get(id)!.callFrame;
    const place = placeOf(url, functionName);
    sampled += us;
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    if (place.startsWith('library') || place === 'zod' || place.startsWith('bench/')) byFunction.set(`${functionName || '(anonymous)'} in ${place}`, (byFunction.get(`${functionName || '(anonymous)'} in ${place}`) ?? 0) + us);
  });
  // Sampled time spread over the calls, scaled to the measured µs per call.
  const perCall = (us: number) => Math.round(((us / sampled) * perCallUs) * 10) / 10;
  const rows = (map: Map<string, number>, most: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, most).map(([name, us]) => [name, perCall(us)]);
  const lines = [
    ...tableLines(`${operation} through the ${floorSide ? 'raw floor' : 'library'} on the canned client: ${Math.round(perCallUs * 10) / 10} µs per call, self time by place`, ['place', 'µs per call'], rows(byPlace, 15)),
    ...tableLines("the library's, zod's and the bench's functions", ['function', 'µs per call'], rows(byFunction, 20)),
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const profiled = process.argv[process.argv.indexOf('--profile') + 1];
  if (process.argv.includes('--profile')) {
    const operation = OPERATIONS.find((op) => op === profiled);
    if (!operation) throw new Error(`--profile takes one of ${OPERATIONS.join(', ')}`);
    return profile(operation, process.argv.includes('--floor'));
  }
  const config = { rounds: 12, calls: 1000 };
  for (const line of overheadLines(await measureOverhead(config), config.rounds)) process.stdout.write(`${line}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
