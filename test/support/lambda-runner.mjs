// One Lambda execution environment in its own process (forked by lambda-environment.ts): imports the bundle named in
// argv[2] — Lambda's init phase — then answers the events its parent sends over IPC with the module's `handler`.
// It counts the TCP connections opened during init, and times everything from the start of the import.
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

let connections = 0;
const connect = Socket.prototype.connect;
Socket.prototype.connect = /** @type {typeof connect} */ (
  function (/** @type {Parameters<typeof connect>} */ ...args) {
    connections++;
    return connect.apply(this, args);
  }
);

const started = performance.now();
const { handler } = await import(pathToFileURL(/** @type {string} */ (process.argv[2])).href);
const send = (/** @type {unknown} */ message) => /** @type {NonNullable<typeof process.send>} */ (process.send)(message);
send({ kind: 'ready', initMs: performance.now() - started, initConnections: connections, rssBytes: process.memoryUsage().rss });

process.on('message', async (/** @type {{ id: number, event: unknown }} */ { id, event }) => {
  const context = { awsRequestId: `request-${id}`, functionName: 'checkout-api', getRemainingTimeInMillis: () => 30_000 };
  try {
    const result = await handler(event, context);
    send({ kind: 'result', id, result, elapsedMs: performance.now() - started });
  } catch (error) {
    send({ kind: 'error', id, message: String(/** @type {Error} */ (error)?.stack ?? error) });
  }
});
