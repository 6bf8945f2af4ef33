/**
 * A model of DynamoDB's documented transaction-conflict rules, as an HTTP proxy in front of DynamoDB Local, which runs
 * transactions one at a time and never reports a conflict (Developer Guide, "Transaction conflict handling";
 * Idziorek et al., "Distributed Transactions at Scale in Amazon DynamoDB", USENIX ATC 2023, §3.3).
 *
 * What it captures:
 * - An item is busy while a TransactWriteItems that includes it is in flight (from its arrival here) and for a window
 *   W after DynamoDB Local answered it, whatever the answer. A TransactWriteItems with a busy item is cancelled
 *   (TransactionCanceledException, reason TransactionConflict for the busy items, None for the others); a PutItem,
 *   UpdateItem or DeleteItem on a busy item fails with TransactionConflictException. Single writes make nothing busy.
 * - ClientRequestToken: a request whose token's transaction is in flight gets TransactionInProgressException; one whose
 *   token's transaction succeeded in the last 10 minutes is forwarded without the busy check, and DynamoDB Local
 *   answers it idempotently. A cancelled or failed transaction's token is forgotten.
 * - Optionally, per-item write throughput: a token bucket per item of `writeUnitsPerSecond` (burst: one second of
 *   units), charged 2 units per item of a transaction and 1 per single write, as for items under 1 KB. Only requests
 *   that are forwarded are charged.
 *
 * What it does NOT capture: DynamoDB's own relaxations (it may let some of these writes through), adaptive capacity
 * and partition splits, a non-transactional write making a later transaction's prepare fail by timestamp ordering,
 * the other items of a cancelled transaction staying locked until they are released, TransactGetItems conflicts, item
 * sizes over 1 KB, real latency. It ranks designs by how they fare under these rules; it does not replace a run on a
 * real table.
 *
 * Reads and every other operation pass through untouched. Requests are forwarded unchanged (a SigV4 signature stays
 * valid) over a keep-alive agent. The state is the model's, so many clients and processes may share one model.
 */
import { DescribeTableCommand, DynamoDBClient, type AttributeValue, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { performance } from 'node:perf_hooks';

/** Options of {@link DynamoDbConflictModel}. */
export interface DynamoDbConflictModelOptions {
  /** Endpoint URL of DynamoDB Local, e.g. `http://127.0.0.1:8000`. */
  target: string;
  /** How long an item stays busy after DynamoDB Local answered a transaction that includes it (default 8 ms). */
  windowMs?: number;
  /** Write units per second and per item (the burst is one second of units); `false` disables the limit (default 1000). */
  writeUnitsPerSecond?: number | false;
  /** A monotonic clock in milliseconds (default `performance.now`), for tests that move time by hand. */
  now?: () => number;
}

/** What the model saw since it started or since {@link DynamoDbConflictModel.resetStats}. */
export interface DynamoDbConflictModelStats {
  transactionsReceived: number;
  /** Forwarded to DynamoDB Local, replays included. */
  transactionsForwarded: number;
  /** Forwarded as replays of a token whose transaction succeeded (no busy check, nothing marked busy). */
  transactionsReplayed: number;
  transactionsCancelledForConflict: number;
  transactionsThrottled: number;
  /** Answered TransactionInProgressException. */
  transactionsInProgress: number;
  singleWriteConflicts: number;
  singleWritesThrottled: number;
  /** Per {@link itemKey}: how many forwarded transactions (replays excluded) included the item. */
  transactionalWritesByItem: Record<string, number>;
}

/** The identity of an item: its table and its primary key attributes (DynamoDB JSON), sorted by name. */
export function itemKey(table: string, key: Record<string, AttributeValue>): string {
  const sorted = Object.keys(key).sort().map((name) => [name, key[name]]);
  return `${table}\u0000${JSON.stringify(Object.fromEntries(sorted))}`;
}

const TOKEN_TTL_MS = 10 * 60_000;
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const CONFLICT = { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } as const;
const THROTTLED = { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more items' } as const;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

interface ItemState {
  inFlight: number;
  answeredAt: number;
  busyUntil: number;
  units: number;
  refilledAt: number;
}

type Reason = { Code: string; Message?: string };

/** What to do with a request once its items are known. */
type Decision =
  | { kind: 'forward' }
  | { kind: 'transaction'; keys: string[]; token: string | undefined }
  | { kind: 'reject'; type: string; message: string; reasons?: Reason[] };

const emptyStats = (): DynamoDbConflictModelStats => ({
  transactionsReceived: 0,
  transactionsForwarded: 0,
  transactionsReplayed: 0,
  transactionsCancelledForConflict: 0,
  transactionsThrottled: 0,
  transactionsInProgress: 0,
  singleWriteConflicts: 0,
  singleWritesThrottled: 0,
  transactionalWritesByItem: {},
});

/** DynamoDB's transaction-conflict rules in front of DynamoDB Local; see the top of this file. */
export class DynamoDbConflictModel {
  private readonly target: URL;
  private windowMs: number;
  private readonly unitsPerSecond: number | false;
  private readonly now: () => number;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly schemaClient: DynamoDBClient;
  private readonly schemas = new Map<string, Promise<string[]>>();
  private readonly items = new Map<string, ItemState>();
  /** Token → 'in-flight', or when its transaction succeeded. */
  private readonly tokens = new Map<string, 'in-flight' | number>();
  /** Requests are admitted one at a time, in arrival order, so a check and the marks it leads to are atomic. */
  private admission: Promise<unknown> = Promise.resolve();
  private admitted = 0;
  private server: Server | undefined;
  /** Counters; see {@link DynamoDbConflictModelStats}. */
  stats = emptyStats();
  /** The port it listens on, once started. */
  port = 0;

  constructor(options: DynamoDbConflictModelOptions) {
    this.target = new URL(options.target);
    this.windowMs = options.windowMs ?? 8;
    this.unitsPerSecond = options.writeUnitsPerSecond ?? 1000;
    this.now = options.now ?? (() => performance.now());
    this.schemaClient = new DynamoDBClient({
      endpoint: options.target,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** `http://127.0.0.1:<port>`, for the clients. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1 (`port` 0: a free port). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => this.receive(req, res));
    // Clients reuse idle connections (the AWS SDK does): a longer idle timeout than Node's 5 s makes a race with a
    // closing socket rarer. stop() closes idle connections anyway.
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** Sets W from now on, for windows still running too (each ends `ms` after its answer); ended windows stay ended. */
  setWindow(ms: number): void {
    const now = this.now();
    for (const item of this.items.values()) if (item.busyUntil > now) item.busyUntil = item.answeredAt + ms;
    this.windowMs = ms;
  }

  /** Sets every counter back to zero. */
  resetStats(): void {
    this.stats = emptyStats();
  }

  /** Closes the server (cutting open connections), the forwarding agent and the DescribeTable client. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    this.agent.destroy();
    this.schemaClient.destroy();
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.once('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = /^DynamoDB_20120810\.(\w+)$/.exec(String(req.headers['x-amz-target'] ?? ''))?.[1] ?? '';
      if (operation === 'TransactWriteItems') this.stats.transactionsReceived++;
      if (operation !== 'TransactWriteItems' && !WRITES.has(operation)) return this.forward(req, res, body);
      const next = this.admission.then(() => this.decide(operation, body));
      this.admission = next.catch(() => undefined);
      next.then(
        (decision) => this.act(decision, req, res, body),
        () => this.forward(req, res, body),
      );
    });
  }

  private act(decision: Decision, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (decision.kind === 'forward') return this.forward(req, res, body);
    if (decision.kind === 'reject') return reject(res, decision.type, decision.message, decision.reasons);
    this.forward(req, res, body, (status) => this.settle(decision.keys, decision.token, status));
  }

  /** Decides on a write; asynchronous only while it learns a table's key schema. */
  private async decide(operation: string, body: Buffer): Promise<Decision> {
    const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (++this.admitted % 1024 === 0) this.sweep();
    if (operation !== 'TransactWriteItems') {
      const attributes = (operation === 'PutItem' ? input.Item : input.Key) as Record<string, AttributeValue> | undefined;
      const key = await this.keyOf(input.TableName, attributes);
      if (key === undefined) return { kind: 'forward' };
      const item = this.item(key);
      if (this.busy(item)) {
        this.stats.singleWriteConflicts++;
        return { kind: 'reject', type: 'TransactionConflictException', message: CONFLICT.Message };
      }
      if (!this.hasUnits(item, 1)) {
        this.stats.singleWritesThrottled++;
        return { kind: 'reject', type: 'ProvisionedThroughputExceededException', message: THROTTLED.Message };
      }
      this.charge(item, 1);
      return { kind: 'forward' };
    }

    const keys: string[] = [];
    for (const entry of (input.TransactItems ?? []) as TransactWriteItem[]) {
      const attributes = entry.Put ? entry.Put.Item : (entry.Update ?? entry.Delete ?? entry.ConditionCheck)?.Key;
      const key = await this.keyOf((entry.Put ?? entry.Update ?? entry.Delete ?? entry.ConditionCheck)?.TableName, attributes);
      if (key === undefined) return { kind: 'forward' };
      keys.push(key);
    }
    // From here on synchronous: nothing else is admitted between the checks and the marks.
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
    const earlier = token === undefined ? undefined : this.tokens.get(token);
    if (earlier === 'in-flight') {
      this.stats.transactionsInProgress++;
      return { kind: 'reject', type: 'TransactionInProgressException', message: 'The transaction with the given request token is already in progress.' };
    }
    if (earlier !== undefined && this.now() - earlier < TOKEN_TTL_MS) {
      this.stats.transactionsForwarded++;
      this.stats.transactionsReplayed++;
      return { kind: 'forward' };
    }
    const states = keys.map((key) => this.item(key));
    const conflicts = states.map((item) => this.busy(item));
    if (conflicts.some(Boolean)) {
      this.stats.transactionsCancelledForConflict++;
      return cancelled(conflicts.map((busy) => (busy ? CONFLICT : { Code: 'None' })));
    }
    const demand = new Map<ItemState, number>();
    for (const item of states) demand.set(item, (demand.get(item) ?? 0) + 2);
    const lacking = states.map((item) => !this.hasUnits(item, demand.get(item)!));
    if (lacking.some(Boolean)) {
      this.stats.transactionsThrottled++;
      return cancelled(lacking.map((short) => (short ? THROTTLED : { Code: 'None' })));
    }
    for (const [item, units] of demand) this.charge(item, units);
    for (const item of states) item.inFlight++;
    for (const key of keys) this.stats.transactionalWritesByItem[key] = (this.stats.transactionalWritesByItem[key] ?? 0) + 1;
    if (token !== undefined) this.tokens.set(token, 'in-flight');
    this.stats.transactionsForwarded++;
    return { kind: 'transaction', keys, token };
  }

  /** DynamoDB Local answered a forwarded transaction (`status` 0: no answer). */
  private settle(keys: string[], token: string | undefined, status: number): void {
    const now = this.now();
    for (const key of keys) {
      const item = this.item(key);
      item.inFlight--;
      item.answeredAt = now;
      item.busyUntil = Math.max(item.busyUntil, now + this.windowMs);
    }
    if (token === undefined) return;
    if (status === 200) this.tokens.set(token, now);
    else this.tokens.delete(token);
  }

  /** The item's identity, or `undefined` when the request does not name a table and the whole key. */
  private async keyOf(table: unknown, attributes: Record<string, AttributeValue> | undefined): Promise<string | undefined> {
    if (typeof table !== 'string' || !attributes) return undefined;
    const names = await this.schema(table);
    if (names.some((name) => !(name in attributes))) return undefined;
    return itemKey(table, Object.fromEntries(names.map((name) => [name, attributes[name]!])));
  }

  private schema(table: string): Promise<string[]> {
    let names = this.schemas.get(table);
    if (!names) {
      names = this.schemaClient
        .send(new DescribeTableCommand({ TableName: table }))
        .then(({ Table }) => (Table?.KeySchema ?? []).map((element) => element.AttributeName!));
      // A table that does not exist yet may be created later: ask again then.
      names.catch(() => this.schemas.delete(table));
      this.schemas.set(table, names);
    }
    return names;
  }

  private item(key: string): ItemState {
    let item = this.items.get(key);
    if (!item) {
      const now = this.now();
      item = { inFlight: 0, answeredAt: -Infinity, busyUntil: -Infinity, units: this.unitsPerSecond || 0, refilledAt: now };
      this.items.set(key, item);
    }
    return item;
  }

  private busy(item: ItemState): boolean {
    return item.inFlight > 0 || this.now() < item.busyUntil;
  }

  private hasUnits(item: ItemState, units: number): boolean {
    if (this.unitsPerSecond === false) return true;
    const now = this.now();
    item.units = Math.min(this.unitsPerSecond, item.units + ((now - item.refilledAt) / 1000) * this.unitsPerSecond);
    item.refilledAt = now;
    return item.units >= units;
  }

  private charge(item: ItemState, units: number): void {
    if (this.unitsPerSecond !== false) item.units -= units;
  }

  /** Forgets idle items with a full bucket and tokens past their 10 minutes. */
  private sweep(): void {
    const now = this.now();
    for (const [key, item] of this.items) {
      if (!this.busy(item) && (this.unitsPerSecond === false || this.hasUnits(item, this.unitsPerSecond))) this.items.delete(key);
    }
    for (const [token, at] of this.tokens) if (at !== 'in-flight' && now - at >= TOKEN_TTL_MS) this.tokens.delete(token);
  }

  /** Sends the request on unchanged and streams the answer back; `done` gets the status (0: no complete answer). */
  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, done?: (status: number) => void): void {
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      done?.(status);
    };
    const send = () => {
      const upstream = httpRequest(
        { hostname: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
        (answer) => {
          const status = answer.statusCode ?? 502;
          res.writeHead(status, answer.statusMessage, endToEnd(answer.headers));
          answer.pipe(res);
          // A client that went away stops the pipe: drain the rest so the answer still ends and settles.
          res.once('close', () => answer.resume());
          answer.once('error', () => res.destroy());
          answer.once('close', () => finish(answer.complete ? status : 0));
        },
      );
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the target closed while idle (the request most likely never reached it): send it again.
        if (upstream.reusedSocket && error.code === 'ECONNRESET') return send();
        finish(0);
        if (res.headersSent) res.destroy();
        else reject(res, 'InternalServerError', 'The conflict model could not reach its target', undefined, 500);
      });
      upstream.end(body);
    };
    send();
  }
}

function cancelled(reasons: Reason[]): Decision {
  const codes = reasons.map((reason) => reason.Code).join(', ');
  return {
    kind: 'reject',
    type: 'TransactionCanceledException',
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
    reasons,
  };
}

/** Answers as DynamoDB Local does for errors. */
function reject(res: ServerResponse, type: string, message: string, reasons?: Reason[], status = 400): void {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...(reasons && { CancellationReasons: reasons }) });
  res.writeHead(status, {
    'x-amzn-RequestId': randomUUID(),
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}
