import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { announcedSeed, seededRandom } from './seeded-random.js';

/** What the proxy does to a request a client sends. */
export type Fault =
  | { kind: 'none' }
  /** Holds the request, and then its response, for `ms` each before passing it on. */
  | { kind: 'latency'; ms: number }
  /** Swallows the request and never answers. */
  | { kind: 'blackhole' }
  /** Resets the connection (TCP RST). */
  | { kind: 'reset' }
  /** Answers with this HTTP status and a DynamoDB-style JSON error (500 InternalServerError, 503 ServiceUnavailable). */
  | { kind: 'http'; status: 500 | 503 }
  /** Answers 400 ThrottlingException, as DynamoDB does when throttling. */
  | { kind: 'throttle' }
  /** Passes the request on, so the write lands, then cuts the connection instead of passing the response back. */
  | { kind: 'lose-response' };

const ERROR_TYPES: Record<number, string> = { 500: 'InternalServerError', 503: 'ServiceUnavailable' };

function httpError(status: number, type: string, reason: string): string {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected by the fault proxy' });
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/x-amz-json-1.0',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Splits the bytes a client sends into whole HTTP/1.1 requests: a head, then a body of its `Content-Length` (as the AWS
 * SDK sends them). A request may come in several chunks, or several requests in one.
 */
export class HttpRequestFramer {
  private buffered = Buffer.alloc(0);

  /** Adds `chunk` and returns the requests it completes, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const requests: Buffer[] = [];
    for (;;) {
      const headEnd = this.buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return requests;
      const head = this.buffered.subarray(0, headEnd).toString('latin1');
      if (/^transfer-encoding:/im.test(head)) throw new Error('the fault proxy frames requests by Content-Length only');
      const total = headEnd + 4 + Number(/^content-length:\s*(\d+)\s*$/im.exec(head)?.[1] ?? 0);
      if (this.buffered.length < total) return requests;
      requests.push(this.buffered.subarray(0, total));
      this.buffered = this.buffered.subarray(total);
    }
  }
}

/**
 * A TCP proxy in front of DynamoDB Local that injects faults per HTTP request: each request a client sends meets the
 * current fault with probability `probability` (drawn from a seeded stream, its seed printed), or the planned
 * schedule's fault for its ordinal. What it delays is written out before it closes a client's connection, also when
 * the server closes its side after each response (`Connection: close`).
 */
export class FaultProxy {
  private server: Server | undefined;
  private fault: Fault = { kind: 'none' };
  private probability = 1;
  private schedule: ((ordinal: number) => Fault) | undefined;
  private ordinal = 0;
  private readonly sockets = new Set<Socket>();
  /** How many requests met a fault, by kind. */
  readonly injected: Record<string, number> = {};
  port = 0;

  /** `random` draws whether a request meets the fault; by default a seeded stream (`FAULT_PROXY_SEED` replays it). */
  constructor(
    private readonly targetHost: string,
    private targetPort: number,
    private random?: () => number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Applies `fault` to each later request with probability `probability`; open connections are kept. */
  set(fault: Fault, probability = 1): void {
    this.fault = fault;
    this.probability = probability;
    if (probability < 1) this.random ??= seededRandom(announcedSeed('fault proxy draws', 'FAULT_PROXY_SEED'));
  }

  /**
   * Replaces the random draw with a schedule: the n-th request clients send from now on (n = 0, 1, …) meets
   * `schedule(n)`, so a seeded schedule injects the same faults in the same order on every run. `undefined` ends it.
   */
  plan(schedule: ((ordinal: number) => Fault) | undefined): void {
    this.schedule = schedule;
    this.ordinal = 0;
    this.fault = { kind: 'none' };
  }

  /** Sends later connections to another port (a restarted server). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Drops every open connection, as a crashing server would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  /** The fault of the next request: the schedule's, or the current fault with its probability. */
  private draw(): Fault {
    if (this.schedule) return this.schedule(this.ordinal++);
    return this.probability >= 1 || this.random!() < this.probability ? this.fault : { kind: 'none' };
  }

  private accept(client: Socket): void {
    this.track(client);
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    const framer = new HttpRequestFramer();
    // A black-holed client keeps waiting after its upstream connection is gone.
    let holding = false;
    // The request of this connection met `lose-response`: its answer is dropped and the connection cut.
    let losing = false;
    // How long the answer to the current request is held (a `latency` fault holds both ways).
    let answerDelayMs = 0;
    // What is passed or due to the client, in order: a delayed answer is written before the connection closes.
    let toClient = Promise.resolve();
    const passToClient = (chunk: Buffer, delayMs: number) => {
      const due = delayMs > 0 ? sleep(delayMs) : undefined;
      toClient = toClient.then(() => due).then(() => void (client.destroyed || client.write(chunk)));
    };
    upstream.on('close', (hadError) => {
      toClient = toClient.then(() => {
        if (holding || client.destroyed || client.writableEnded) return;
        if (hadError) client.destroy();
        else client.end();
      });
    });
    client.on('close', () => upstream.destroy());
    upstream.on('data', (chunk: Buffer) => {
      if (losing) {
        losing = false;
        client.destroy();
        upstream.destroy();
      } else passToClient(chunk, answerDelayMs);
    });
    client.on('data', (chunk: Buffer) => {
      let requests: Buffer[];
      try {
        requests = framer.push(chunk);
      } catch {
        client.destroy();
        return;
      }
      for (const request of requests) this.forward(request, this.draw(), client, upstream, {
        hold: () => (holding = true),
        lose: () => (losing = true),
        delayAnswer: (ms) => (answerDelayMs = ms),
      });
    });
  }

  /** Passes one whole request on, or applies `fault` to it. */
  private forward(
    request: Buffer,
    fault: Fault,
    client: Socket,
    upstream: Socket,
    connection: { hold: () => void; lose: () => void; delayAnswer: (ms: number) => void },
  ): void {
    if (fault.kind !== 'none') this.injected[fault.kind] = (this.injected[fault.kind] ?? 0) + 1;
    connection.delayAnswer(fault.kind === 'latency' ? fault.ms : 0);
    switch (fault.kind) {
      case 'none':
        upstream.write(request);
        break;
      case 'latency':
        setTimeout(() => upstream.write(request), fault.ms);
        break;
      case 'blackhole':
        // Drop the upstream side too: a request cut in half would hold a server thread until its idle timeout.
        connection.hold();
        upstream.destroy();
        break;
      case 'reset':
        client.resetAndDestroy();
        upstream.destroy();
        break;
      case 'http':
        client.end(httpError(fault.status, ERROR_TYPES[fault.status]!, fault.status === 500 ? 'Internal Server Error' : 'Service Unavailable'));
        upstream.destroy();
        break;
      case 'throttle':
        client.end(httpError(400, 'ThrottlingException', 'Bad Request'));
        upstream.destroy();
        break;
      case 'lose-response':
        connection.lose();
        upstream.write(request);
        break;
    }
  }
}
