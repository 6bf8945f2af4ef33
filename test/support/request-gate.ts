import { Agent, createServer, request as httpRequest, type Server } from 'node:http';

interface Hold {
  match: (operation: string, input: Record<string, unknown>) => boolean;
  arrived: () => void;
  released: Promise<void>;
}

/**
 * A proxy between the model and DynamoDB Local that holds a chosen request until the test lets it go, so a
 * transaction stays in flight for as long as a test needs, whatever the machine's speed.
 */
export class RequestGate {
  /** Connections and requests from the model. */
  connections = 0;
  requests = 0;
  private readonly holds: Hold[] = [];
  private readonly agent = new Agent({ keepAlive: true });
  private readonly server: Server;

  constructor(private readonly target: URL) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        this.requests++;
        const body = Buffer.concat(chunks);
        const operation = String(req.headers['x-amz-target']).split('.')[1]!;
        const index = this.holds.findIndex((hold) => hold.match(operation, JSON.parse(body.toString()) as Record<string, unknown>));
        if (index >= 0) {
          const [hold] = this.holds.splice(index, 1);
          hold!.arrived();
          await hold!.released;
        }
        const upstream = httpRequest(
          { hostname: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
          (answer) => {
            res.writeHead(answer.statusCode!, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', () => this.connections++);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return this;
  }

  /** Holds the next request `match` picks: `arrived` resolves once it is held, `release()` sends it on. */
  hold(match: Hold['match']): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const hold: Hold = { match, arrived: () => arrived(), released: new Promise((resolve) => (release = resolve)) };
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    this.holds.push(hold);
    return { arrived: arrival, release };
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.agent.destroy();
  }
}
