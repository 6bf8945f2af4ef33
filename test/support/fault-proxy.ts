import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to a chunk a client sends. */
export type Fault =
  | { kind: 'none' }
  /** Holds every chunk, both ways, for `ms` before passing it on. */
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
 * A TCP proxy in front of DynamoDB Local that injects faults: each chunk a client sends meets the current fault with
 * probability `probability`. Requests to DynamoDB are small, so a chunk is in practice one request.
 */
export class FaultProxy {
  private server: Server | undefined;
  private fault: Fault = { kind: 'none' };
  private probability = 1;
  private schedule: ((ordinal: number) => Fault) | undefined;
  private ordinal = 0;
  private readonly sockets = new Set<Socket>();
  /** How many chunks met a fault, by kind. */
  readonly injected: Record<string, number> = {};
  port = 0;

  constructor(
    private readonly targetHost: string,
    private targetPort: number,
    private readonly random: () => number = Math.random,
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

  /** Applies `fault` to each later chunk with probability `probability`; open connections are kept. */
  set(fault: Fault, probability = 1): void {
    this.fault = fault;
    this.probability = probability;
  }

  /**
   * Replaces the random draw with a schedule: the n-th chunk clients send from now on (n = 0, 1, …) meets
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

  private accept(client: Socket): void {
    this.track(client);
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    // A black-holed client keeps waiting after its upstream connection is gone.
    let holding = false;
    // The request of this connection met `lose-response`: its answer is dropped and the connection cut.
    let losing = false;
    upstream.on('close', () => holding || client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('data', (chunk: Buffer) => {
      const fault = this.fault;
      if (losing) {
        losing = false;
        client.destroy();
        upstream.destroy();
      } else if (fault.kind === 'latency') setTimeout(() => client.write(chunk), fault.ms);
      else client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      const fault = this.schedule
        ? this.schedule(this.ordinal++)
        : this.random() < this.probability
          ? this.fault
          : ({ kind: 'none' } as const);
      if (fault.kind !== 'none') this.injected[fault.kind] = (this.injected[fault.kind] ?? 0) + 1;
      switch (fault.kind) {
        case 'none':
          upstream.write(chunk);
          break;
        case 'latency':
          setTimeout(() => upstream.write(chunk), fault.ms);
          break;
        case 'blackhole':
          // Drop the upstream side too: a request cut in half would hold a server thread until its idle timeout.
          holding = true;
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
          losing = true;
          upstream.write(chunk);
          break;
      }
    });
  }
}
