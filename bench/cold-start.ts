// Lambda cold start: a fresh process per measurement (one execution environment), timed from the start of the bundle's
// import to its first answered event, for the sample app on both drivers and a bare Nest app (bench/bare-lambda.ts)
// with the same adapter, interleaved round by round. Also counts the TCP connections opened during init.
import { randomUUID } from 'node:crypto';
import { buildIsolatedBundle, LambdaEnvironment } from '../test/support/lambda-environment.js';
import { httpEvent } from '../test/support/lambda-events.js';
import { median } from './measure.js';

/** Medians over the rounds for one bundle and env. */
export interface ColdStartRow {
  name: string;
  initMs: number;
  firstEventMs: number;
  maxInitConnections: number;
  rssMb: number;
  bundleKiB: number;
}

/** The cold-start figures and their verdicts. */
export interface ColdStartReport {
  rows: ColdStartRow[];
  /** Median init and time to the first answered event relative to the bare app's (0.25 = 25 % longer). */
  overBare: Record<'memory' | 'dynamodb', { init: number; firstEvent: number }>;
  targets: Record<string, string>;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** Measures `rounds` cold starts of each subject (plus one unrecorded warm-up round) against DynamoDB Local's `tableName`. */
export async function measureColdStart(endpoint: string, tableName: string, rounds: number): Promise<ColdStartReport> {
  const app = buildIsolatedBundle();
  const bare = buildIsolatedBundle('bench/bare-lambda.ts', 'dist/lambda-bare');
  const subjects: { name: string; bundle: typeof app; env: Record<string, string>; path: () => string }[] = [
    { name: 'bare Nest app', bundle: bare, env: {}, path: () => '/ping' },
    { name: 'memory', bundle: app, env: { CHECKOUT_SESSION_CACHE_DRIVER: 'memory' }, path: () => `/checkout-sessions/${randomUUID()}` },
    {
      name: 'dynamodb',
      bundle: app,
      env: { CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb', DYNAMODB_ENDPOINT: endpoint, DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName },
      path: () => `/checkout-sessions/${randomUUID()}`,
    },
  ];
  const samples = subjects.map(() => ({ initMs: [] as number[], firstEventMs: [] as number[], connections: [] as number[], rss: [] as number[] }));
  try {
    for (let round = 0; round <= rounds; round++) {
      for (const [i, subject] of subjects.entries()) {
        const environment = await LambdaEnvironment.start(subject.bundle.entry, subject.env);
        try {
          const { result, elapsedMs } = await environment.invoke(httpEvent('http-api', { method: 'GET', path: subject.path() }));
          if (result.statusCode !== 200 && result.statusCode !== 404) throw new Error(`${subject.name}: first event answered ${result.statusCode}`);
          if (round === 0) continue;
          samples[i]!.initMs.push(environment.init.initMs);
          samples[i]!.firstEventMs.push(elapsedMs);
          samples[i]!.connections.push(environment.init.initConnections);
          samples[i]!.rss.push(environment.init.rssBytes / 2 ** 20);
        } finally {
          await environment.stop();
        }
      }
    }
  } finally {
    app.remove();
    bare.remove();
  }
  const rows = subjects.map((subject, i) => ({
    name: subject.name,
    initMs: round1(median(samples[i]!.initMs)),
    firstEventMs: round1(median(samples[i]!.firstEventMs)),
    maxInitConnections: Math.max(...samples[i]!.connections),
    rssMb: round1(median(samples[i]!.rss)),
    bundleKiB: Math.round(subject.bundle.bytes / 1024),
  }));
  const [bareRow, memoryRow, dynamodbRow] = rows as [ColdStartRow, ColdStartRow, ColdStartRow];
  const over = (row: ColdStartRow) => ({
    init: Math.round((row.initMs / bareRow.initMs - 1) * 100) / 100,
    firstEvent: Math.round((row.firstEventMs / bareRow.firstEventMs - 1) * 100) / 100,
  });
  const overBare = { memory: over(memoryRow), dynamodb: over(dynamodbRow) };
  const verdict = (met: boolean) => (met ? 'met' : 'missed');
  return {
    rows,
    overBare,
    targets: {
      lambdaNoNetworkCallDuringInit: verdict(rows.every((row) => row.maxInitConnections === 0)),
      lambdaInitAtMost30PercentOverBare: verdict(overBare.memory.init <= 0.3 && overBare.dynamodb.init <= 0.3),
    },
  };
}
