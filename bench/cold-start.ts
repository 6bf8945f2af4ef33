// Lambda cold start: a fresh process per measurement (one execution environment), timed from the start of the bundle's
// import to its first answered event, on the Node line of the stack's Lambda runtime (nodejs22.x). Five subjects,
// interleaved round by round: a bare Nest app (bench/bare-lambda.ts), the same app with the library
// (bench/library-lambda.ts) on each driver — the library's share — and the sample app on each driver, which adds its
// own modules (config, terminus, the validation pipe, its controllers). Also counts the TCP connections opened during
// init. `npm run bench:cold-start [rounds]` runs this part alone and writes bench/results/cold-start-latest.json;
// `npm run bench` includes it.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import {
  type CheckoutSessionCacheDriver,
  createCheckoutSessionDynamoDbClient,
  ensureCheckoutSessionTable,
} from '../libs/checkout-session-cache/src/index.js';
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from '../scripts/dynamodb-local.launcher.mjs';
import { buildIsolatedBundle, LambdaEnvironment } from '../test/support/lambda-environment.js';
import { httpEvent } from '../test/support/lambda-events.js';
import { median, tableLines } from './measure.js';

/** The Node line of the Lambda runtime the stack deploys (infra/checkout-api.stack.ts). */
const LAMBDA_NODE_LINE = 22;

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
  node: string;
  rows: ColdStartRow[];
  /**
   * Init and time to the first answered event relative to the bare app's, the median of the rounds' ratios (0.25 = 25 %
   * longer): the library's share (bare app plus the library) and the sample app's (plus its own modules), per driver.
   * The first event is not like for like: the bare app's does no I/O, the DynamoDB driver's reads the table.
   */
  overBare: Record<'library' | 'sampleApp', Record<CheckoutSessionCacheDriver, { init: number; firstEvent: number }>>;
  targets: Record<string, string>;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** The path of a Node binary of `line` from the npm registry's `node` package (as `npm test` runs the suites). */
function nodeOfLine(line: number): string {
  return execFileSync('npx', ['-y', '-p', `node@${line}`, '--', 'node', '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
}

/** Measures `rounds` cold starts of each subject (plus one unrecorded warm-up round) against DynamoDB Local's `tableName`. */
export async function measureColdStart(endpoint: string, tableName: string, rounds: number): Promise<ColdStartReport> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a whole number of at least 1 (got ${rounds})`);
  const node = nodeOfLine(LAMBDA_NODE_LINE);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const bare = buildIsolatedBundle('bench/bare-lambda.ts', 'dist/lambda-bare');
  const library = buildIsolatedBundle('bench/library-lambda.ts', 'dist/lambda-library');
  const app = buildIsolatedBundle();
  const driverEnv: Record<CheckoutSessionCacheDriver, Record<string, string>> = {
    memory: { CHECKOUT_SESSION_CACHE_DRIVER: 'memory' },
    dynamodb: { CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb', DYNAMODB_ENDPOINT: endpoint, DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName },
  };
  const aSession = () => `/checkout-sessions/${randomUUID()}`;
  const subjects = [
    { name: 'bare Nest app', bundle: bare, env: {}, path: () => '/ping' },
    ...(['memory', 'dynamodb'] as const).map((driver) => ({ name: `library, ${driver}`, bundle: library, env: driverEnv[driver], path: aSession })),
    ...(['memory', 'dynamodb'] as const).map((driver) => ({ name: `sample app, ${driver}`, bundle: app, env: driverEnv[driver], path: aSession })),
  ];
  const samples = subjects.map(() => ({ initMs: [] as number[], firstEventMs: [] as number[], connections: [] as number[], rss: [] as number[] }));
  try {
    for (let round = 0; round <= rounds; round++) {
      for (const [i, subject] of subjects.entries()) {
        const environment = await LambdaEnvironment.start(subject.bundle.entry, subject.env, node);
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
    for (const bundle of [bare, library, app]) bundle.remove();
  }
  const rows = subjects.map((subject, i) => ({
    name: subject.name,
    initMs: round1(median(samples[i]!.initMs)),
    firstEventMs: round1(median(samples[i]!.firstEventMs)),
    maxInitConnections: Math.max(...samples[i]!.connections),
    rssMb: round1(median(samples[i]!.rss)),
    bundleKiB: Math.round(subject.bundle.bytes / 1024),
  }));
  // Each round runs the subjects back to back, so a round's ratio to its own bare app cancels what drifts between rounds.
  const overRounds = (i: number, figure: 'initMs' | 'firstEventMs') =>
    median(samples[i]![figure].map((value, round) => value / samples[0]![figure][round]! - 1));
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  const over = (i: number) => ({ init: round3(overRounds(i, 'initMs')), firstEvent: round3(overRounds(i, 'firstEventMs')) });
  const overBare = {
    library: { memory: over(1), dynamodb: over(2) },
    sampleApp: { memory: over(3), dynamodb: over(4) },
  };
  const verdict = (met: boolean) => (met ? 'met' : 'missed');
  // On the unrounded ratios: +30.04 % is over 30 %.
  const within30Percent = (subjects: number[]) => verdict(subjects.every((i) => overRounds(i, 'initMs') <= 0.3));
  return {
    node: version,
    rows,
    overBare,
    targets: {
      lambdaNoNetworkCallDuringInit: verdict(rows.every((row) => row.maxInitConnections === 0)),
      lambdaLibraryInitAtMost30PercentOverBare: within30Percent([1, 2]),
      lambdaSampleAppInitAtMost30PercentOverBare: within30Percent([3, 4]),
    },
  };
}

/** Prints the report's table and verdicts. */
export function printColdStart(report: ColdStartReport, rounds: number, log: (line: string) => void): void {
  const { library, sampleApp } = report.overBare;
  const percent = (share: { init: number }) => `${share.init < 0 ? '' : '+'}${(share.init * 100).toFixed(1)} %`;
  const title =
    `Lambda cold start on node ${report.node} (medians of ${rounds}, from the bundle's import); init over the bare app's ` +
    `(median of the rounds' ratios): library ${percent(library.memory)} (memory) and ${percent(library.dynamodb)} ` +
    `(dynamodb), sample app ${percent(sampleApp.memory)} and ${percent(sampleApp.dynamodb)}`;
  const header = ['bundle', 'init ms', 'first event ms', 'init connections', 'RSS MB', 'bundle KiB'];
  const rows = report.rows.map((r) => [r.name, r.initMs, r.firstEventMs, r.maxInitConnections, r.rssMb, r.bundleKiB]);
  for (const line of tableLines(title, header, rows)) log(line);
  for (const [target, result] of Object.entries(report.targets)) log(`  ${target}: ${result}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 20);
  const local = await startDynamoDbLocal();
  Object.assign(process.env, DYNAMODB_LOCAL_ENV);
  try {
    const client = createCheckoutSessionDynamoDbClient({ endpoint: local.endpoint, region: DYNAMODB_LOCAL_ENV.AWS_REGION, maxAttempts: 3, requestTimeoutMs: 5000 });
    await ensureCheckoutSessionTable(client, 'bench-sessions');
    client.destroy();
    const report = await measureColdStart(local.endpoint, 'bench-sessions', rounds);
    printColdStart(report, rounds, (line) => process.stdout.write(`${line}\n`));
    const machine = { cpus: cpus().length, when: new Date().toISOString() };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/cold-start-latest.json', `${JSON.stringify({ ...report, rounds, machine }, null, 2)}\n`);
    process.stdout.write('wrote bench/results/cold-start-latest.json\n');
  } finally {
    await local.stop();
  }
}
