import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDbConflictModel, itemKey } from './support/dynamodb-conflict-model.js';
import { within } from './support/bounded-wait.js';
import { RequestGate as Gate } from './support/request-gate.js';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';
const CONFLICT = { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' };
const NONE = { Code: 'None' };
const THROTTLED = { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more items' };
const cancelledFor = (...codes: string[]) =>
  `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`;

/** Every wait in this suite is bounded. */
const BOUND_MS = 10_000;

/** One raw request in the DynamoDB JSON protocol over `agent`. */
function raw(
  endpoint: string,
  agent: Agent,
  operation: string,
  input: object,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown>; reused: boolean }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'x-amz-target': `DynamoDB_20120810.${operation}`, 'content-type': 'application/x-amz-json-1.0', authorization: AUTHORIZATION },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(input));
  });
}

describe('DynamoDbConflictModel, in front of DynamoDB Local', () => {
  const local = process.env.DYNAMODB_ENDPOINT!;
  const TableName = `conflict-model-${randomUUID()}`;
  const sdkClients: DynamoDBClient[] = [];
  let gate: Gate;
  let model: DynamoDbConflictModel;
  /** Two clients of the model, as two module instances would be; one attempt each, so every error surfaces. */
  let a: DynamoDBDocumentClient;
  let b: DynamoDBDocumentClient;
  /** Straight to DynamoDB Local, for reading back what was applied. */
  let direct: DynamoDBDocumentClient;

  const documents = (endpoint: string): DynamoDBDocumentClient => {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    sdkClients.push(client);
    return DynamoDBDocumentClient.from(client);
  };
  const key = (id: string) => itemKey(TableName, { id: { S: id } });
  const add = (id: string) => ({ Update: { TableName, Key: { id }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } });
  const put = (id: string) => ({ Put: { TableName, Item: { id } } });
  const exists = (id: string) => ({ ConditionCheck: { TableName, Key: { id }, ConditionExpression: 'attribute_exists(id)' } });
  const transact = (client: DynamoDBDocumentClient, items: TransactWriteCommandInput['TransactItems'], token?: string) =>
    client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
  const update = (client: DynamoDBDocumentClient, id: string) => client.send(new UpdateCommand(add(id).Update));
  const read = async (id: string) => (await direct.send(new GetCommand({ TableName, Key: { id }, ConsistentRead: true }))).Item;
  const tokenIs = (token: string) => (operation: string, input: Record<string, unknown>) =>
    operation === 'TransactWriteItems' && input.ClientRequestToken === token;

  beforeAll(async () => {
    const client = new DynamoDBClient({ endpoint: local, region: 'us-east-1', credentials: CREDENTIALS });
    try {
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
    } finally {
      client.destroy();
    }
    gate = await new Gate(new URL(local)).start();
    model = await new DynamoDbConflictModel({ target: gate.endpoint }).start();
    a = documents(model.endpoint);
    b = documents(model.endpoint);
    direct = documents(local);
  });

  afterAll(async () => {
    for (const client of sdkClients) client.destroy();
    await model?.stop();
    await gate?.stop();
  });

  beforeEach(() => {
    model.resetStats();
    model.setWindow(0);
  });

  it('makes the items of a transaction in flight busy for transactions and single writes, not for reads or other items', async () => {
    const token = randomUUID();
    const held = gate.hold(tokenIs(token));
    const first = transact(a, [add('t-a'), add('t-b')], token);
    await within('the first transaction at DynamoDB Local', held.arrived, BOUND_MS);

    await expect(transact(b, [put('t-c'), add('t-a'), put('t-d')])).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      message: cancelledFor('None', 'TransactionConflict', 'None'),
      CancellationReasons: [NONE, CONFLICT, NONE],
    });
    await expect(update(b, 't-b')).rejects.toMatchObject({ name: 'TransactionConflictException', message: CONFLICT.Message });
    expect((await b.send(new GetCommand({ TableName, Key: { id: 't-a' } }))).Item).toBeUndefined();
    await transact(b, [put('t-e')]);

    held.release();
    await within('the first transaction', first, BOUND_MS);
    expect(await read('t-a')).toEqual({ id: 't-a', n: 1 });
    expect(await read('t-b')).toEqual({ id: 't-b', n: 1 });
    expect(await read('t-c')).toBeUndefined();
    expect(await read('t-d')).toBeUndefined();
    expect(await read('t-e')).toEqual({ id: 't-e' });
    expect(model.stats).toEqual({
      transactionsReceived: 3,
      transactionsForwarded: 2,
      transactionsReplayed: 0,
      transactionsCancelledForConflict: 1,
      transactionsThrottled: 0,
      transactionsInProgress: 0,
      singleWriteConflicts: 1,
      singleWritesThrottled: 0,
      transactionalWritesByItem: { [key('t-a')]: 1, [key('t-b')]: 1, [key('t-e')]: 1 },
    });
  });

  it('keeps the items busy for the window after DynamoDB Local answered; setWindow(0) ends the window', async () => {
    const token = randomUUID();
    const held = gate.hold(tokenIs(token));
    const first = transact(a, [add('w-a'), add('w-b')], token);
    await within('the first transaction at DynamoDB Local', held.arrived, BOUND_MS);
    model.setWindow(60_000);
    held.release();
    await within('the first transaction', first, BOUND_MS);

    await expect(transact(b, [add('w-a')])).rejects.toMatchObject({ name: 'TransactionCanceledException', CancellationReasons: [CONFLICT] });
    await expect(update(b, 'w-b')).rejects.toMatchObject({ name: 'TransactionConflictException' });
    model.setWindow(0);
    await transact(b, [add('w-a')]);
    await update(b, 'w-b');
    expect(await read('w-a')).toEqual({ id: 'w-a', n: 2 });
    expect(await read('w-b')).toEqual({ id: 'w-b', n: 2 });
    expect(model.stats).toMatchObject({ transactionsReceived: 3, transactionsForwarded: 2, transactionsCancelledForConflict: 1, singleWriteConflicts: 1 });
  });

  it('makes nothing busy for a single write', async () => {
    const held = gate.hold((operation, input) => operation === 'UpdateItem' && JSON.stringify(input.Key) === '{"id":{"S":"s-a"}}');
    const single = update(a, 's-a');
    await within('the single write at DynamoDB Local', held.arrived, BOUND_MS);
    await transact(b, [add('s-a')]);
    held.release();
    await within('the single write', single, BOUND_MS);
    expect(await read('s-a')).toEqual({ id: 's-a', n: 2 });
    expect(model.stats).toMatchObject({ transactionsForwarded: 1, transactionsCancelledForConflict: 0 });
  });

  it('answers TransactionInProgressException for a token in flight, and forwards a replay after success without the busy check', async () => {
    model.setWindow(60_000);
    const token = randomUUID();
    const held = gate.hold(tokenIs(token));
    const first = transact(a, [add('k-a')], token);
    await within('the first transaction at DynamoDB Local', held.arrived, BOUND_MS);
    await expect(transact(b, [add('k-a')], token)).rejects.toMatchObject({
      name: 'TransactionInProgressException',
      message: 'The transaction with the given request token is already in progress.',
    });
    held.release();
    await within('the first transaction', first, BOUND_MS);

    // k-a is busy for 60 s: a new transaction on it is cancelled, a replay of the one that succeeded is not.
    await expect(transact(b, [add('k-a')])).rejects.toMatchObject({ CancellationReasons: [CONFLICT] });
    await transact(b, [add('k-a')], token);
    expect(await read('k-a')).toEqual({ id: 'k-a', n: 1 });

    // A replay marks nothing busy: while one is in flight, a single write on its item passes.
    model.setWindow(0);
    const replayHeld = gate.hold(tokenIs(token));
    const replay = transact(a, [add('k-a')], token);
    await within('the replay at DynamoDB Local', replayHeld.arrived, BOUND_MS);
    await update(b, 'k-a');
    replayHeld.release();
    await within('the replay', replay, BOUND_MS);
    expect(await read('k-a')).toEqual({ id: 'k-a', n: 2 });
    expect(model.stats).toMatchObject({
      transactionsReceived: 5,
      transactionsForwarded: 3,
      transactionsReplayed: 2,
      transactionsInProgress: 1,
      transactionsCancelledForConflict: 1,
      singleWriteConflicts: 0,
      transactionalWritesByItem: { [key('k-a')]: 1 },
    });
  });

  it('forgets the token of a transaction that was cancelled or failed', async () => {
    model.setWindow(60_000);
    await transact(a, [add('f-a')]);
    const cancelledToken = randomUUID();
    await expect(transact(b, [add('f-a')], cancelledToken)).rejects.toMatchObject({ CancellationReasons: [CONFLICT] });
    const failedToken = randomUUID();
    await expect(transact(b, [exists('f-b')], failedToken)).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
    });

    // Remembered as successes, both would skip the busy check; forgotten, both meet it (f-b is in its window now).
    await expect(transact(b, [add('f-a')], cancelledToken)).rejects.toMatchObject({ CancellationReasons: [CONFLICT] });
    await expect(transact(b, [exists('f-b')], failedToken)).rejects.toMatchObject({ CancellationReasons: [CONFLICT] });
    model.setWindow(0);
    await transact(b, [add('f-a')], cancelledToken);
    expect(await read('f-a')).toEqual({ id: 'f-a', n: 2 });
    expect(model.stats).toMatchObject({ transactionsReceived: 6, transactionsForwarded: 3, transactionsReplayed: 0, transactionsCancelledForConflict: 3 });
  });

  it('throttles an item out of write units, charging only requests it forwards', async () => {
    let clock = 0;
    const limited = await new DynamoDbConflictModel({ target: local, windowMs: 0, writeUnitsPerSecond: 3, now: () => clock }).start();
    try {
      const c = documents(limited.endpoint);
      await transact(c, [add('q-a')]); // q-a: 3 units → 1
      await expect(transact(c, [add('q-a'), add('q-b')])).rejects.toMatchObject({
        name: 'TransactionCanceledException',
        message: cancelledFor('ThrottlingError', 'None'),
        CancellationReasons: [THROTTLED, NONE],
      });
      await transact(c, [add('q-b')]); // q-b was not charged by the cancelled transaction: 3 → 1
      await update(c, 'q-a'); // 1 → 0
      await expect(update(c, 'q-a')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
      clock += 1000; // a second later both buckets are full again
      await transact(c, [add('q-a'), add('q-b')]);
      expect(await read('q-a')).toEqual({ id: 'q-a', n: 3 });
      expect(await read('q-b')).toEqual({ id: 'q-b', n: 2 });
      expect(limited.stats).toEqual({
        transactionsReceived: 4,
        transactionsForwarded: 3,
        transactionsReplayed: 0,
        transactionsCancelledForConflict: 0,
        transactionsThrottled: 1,
        transactionsInProgress: 0,
        singleWriteConflicts: 0,
        singleWritesThrottled: 1,
        transactionalWritesByItem: { [key('q-a')]: 2, [key('q-b')]: 2 },
      });
    } finally {
      await limited.stop();
    }
  });

  it('answers its errors as DynamoDB Local does, over kept-alive connections both ways', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      model.setWindow(60_000);
      const connections = gate.connections;
      const requests = gate.requests;
      const get = { TableName, Key: { id: { S: 'r-a' } } };
      for (let i = 0; i < 3; i++) expect(await raw(model.endpoint, agent, 'GetItem', get)).toMatchObject({ status: 200, body: {} });
      // Without a ClientRequestToken: a new transaction.
      const transaction = { TransactItems: [{ Put: { TableName, Item: { id: { S: 'r-a' } } } }] };
      expect(await raw(model.endpoint, agent, 'TransactWriteItems', transaction)).toMatchObject({ status: 200, reused: true });
      const conflict = await raw(model.endpoint, agent, 'PutItem', { TableName, Item: { id: { S: 'r-a' } } });
      const errorHeaders = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': expect.any(String) };
      expect(conflict).toMatchObject({
        status: 400,
        reused: true,
        headers: errorHeaders,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException', message: CONFLICT.Message },
      });
      const missing = { TableName: `missing-${randomUUID()}`, Key: { id: { S: 'x' } } };
      expect(await raw(local, agent, 'GetItem', missing)).toMatchObject({ status: 400, headers: errorHeaders });
      // The model forwarded four requests to the gate over at most one new connection.
      expect(gate.requests - requests).toBe(4);
      expect(gate.connections - connections).toBeLessThanOrEqual(1);
    } finally {
      agent.destroy();
    }
  });

  it('leaves no open handles once stopped', async () => {
    const handles = () => process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
    const before = handles();
    const own = await new DynamoDbConflictModel({ target: local }).start();
    const client = new DynamoDBClient({ endpoint: own.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      await DynamoDBDocumentClient.from(client).send(new TransactWriteCommand({ TransactItems: [put('h-a')] }));
      // Its server, a client's kept-alive connection to it, its agent's and its DescribeTable client's connections.
      expect(handles()).toBeGreaterThan(before);
      await within('stop() with a client connection open', own.stop(), BOUND_MS);
    } finally {
      client.destroy();
    }
    const deadline = Date.now() + 10_000;
    while (handles() > before && Date.now() < deadline) await sleep(20);
    expect(handles()).toBeLessThanOrEqual(before);
  });
});
