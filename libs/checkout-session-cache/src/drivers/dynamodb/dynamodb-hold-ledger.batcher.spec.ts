import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { HoldLedgerBatcher, type LedgerMember, type LedgerMemberOutcome, MAX_TRANSACTION_ITEMS } from './dynamodb-hold-ledger.batcher.js';
import { within } from '../../../../../test/support/bounded-wait.js';
import { HoldLedgerHousekeeping } from './dynamodb-hold-ledger.housekeeping.js';

// The batcher against a scripted `send`: no DynamoDB, every answer chosen by the test.

const NOW = 1_800_000_000_000;
const BUCKET = 1_800_100_000;
const LEDGER = 'hold#["e","p"]';

type Answer = Error | undefined;
/** What DynamoDB answers to a cancelled transaction. */
const cancelled = (reasons: object[]) => Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons, $metadata: { httpStatusCode: 400, attempts: 1 } });
const timeout = () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: { attempts: 3 } });
const ledgerFailed = (held: number, buckets: Record<string, number> = { [`b${BUCKET}`]: held }) => ({
  Code: 'ConditionalCheckFailed',
  Item: marshall({ id: LEDGER, held, ...buckets }),
});

/** A create of `quantity` tickets whose session item is `id`. */
const create = (id: string, quantity = 1, maxHeld?: number, extraItems = 0): LedgerMember => ({
  operation: 'create',
  items: Array.from({ length: 1 + extraItems }, (_, i) => ({ Put: { TableName: 't', Item: { id: i === 0 ? id : `${id}#${i}` } } })),
  ids: Array.from({ length: 1 + extraItems }, (_, i) => (i === 0 ? id : `${id}#${i}`)),
  delta: quantity,
  bucket: BUCKET,
  ...(maxHeld !== undefined && { maxHeld }),
  now: NOW,
});
const release = (id: string, quantity = 1): LedgerMember => ({
  operation: 'updateStatus',
  items: [{ Update: { TableName: 't', Key: { id }, UpdateExpression: 'SET #s = :s' } }],
  ids: [id],
  delta: -quantity,
  bucket: BUCKET,
  now: NOW,
});

/** A batcher whose `send` records each request and answers from `answers`, in order (none left: success). */
function scripted(answers: Answer[] = [], budgetMs = 60_000) {
  const sent: TransactWriteCommandInput[] = [];
  let onSend: (() => void) | undefined;
  const batcher = new HoldLedgerBatcher({
    tableName: 't',
    send: async (input) => {
      sent.push(structuredClone(input));
      onSend?.();
      await Promise.resolve();
      const answer = answers.shift();
      if (answer) throw answer;
    },
    budgetMs,
    releaseMarginMs: 0,
    housekeeping: new HoldLedgerHousekeeping(async () => ({ held: 0, buckets: new Map() }), 0),
    storeError: (operation, error, unknown) => Object.assign(new Error(`${operation}: ${(error as Error).name}${unknown ? ' (outcome unknown)' : ''}`), { name: 'StoreError' }),
  });
  const ids = (input: TransactWriteCommandInput) => input.TransactItems!.slice(1).map((part) => (part.Put?.Item ?? part.Update?.Key)!.id as string);
  return { batcher, sent, ids, whenSent: (hook: () => void) => (onSend = hook) };
}

const submitAll = (batcher: HoldLedgerBatcher, members: LedgerMember[]) => members.map((m) => batcher.submit(LEDGER, m));

describe('HoldLedgerBatcher', () => {
  it('sends a member alone at once: one transaction, the ledger update first, one ClientRequestToken', async () => {
    const { batcher, sent } = scripted();
    await expect(batcher.submit(LEDGER, create('a', 2, 10))).resolves.toEqual({ outcome: 'applied' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]!.TransactItems![0]!.Update).toMatchObject({
      Key: { id: LEDGER },
      UpdateExpression: 'ADD held :held, #b0 :b0',
      ConditionExpression: '(attribute_not_exists(held) OR held <= :limit)',
      ExpressionAttributeValues: { ':held': 2, ':b0': 2, ':limit': 8 },
    });
  });

  it('puts calls made together in one transaction, releases first, with the net change and each limit in order', async () => {
    const { batcher, sent, ids } = scripted();
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 2, 10), release('r', 3), create('b', 1, 4)]));
    expect(outcomes).toEqual(Array(3).fill({ outcome: 'applied' }));
    expect(sent).toHaveLength(1);
    expect(ids(sent[0]!)).toEqual(['r', 'a', 'b']);
    // r: −3; a: held − 3 + 2 ≤ 10 → held ≤ 11; b: held − 3 + 2 + 1 ≤ 4 → held ≤ 4.
    expect(sent[0]!.TransactItems![0]!.Update).toMatchObject({
      ConditionExpression: '(attribute_not_exists(held) OR held <= :limit) AND attribute_exists(#b0)',
      ExpressionAttributeValues: { ':held': 0, ':b0': 0, ':limit': 4 },
    });
  });

  it('sends what arrives during a transaction in the next one, together', async () => {
    const { batcher, sent, ids, whenSent } = scripted();
    const later: Promise<LedgerMemberOutcome>[] = [];
    whenSent(() => {
      if (sent.length === 1) later.push(...submitAll(batcher, [create('b'), create('c'), create('d')]));
    });
    await batcher.submit(LEDGER, create('a'));
    await Promise.all(later);
    expect(sent.map(ids)).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('never puts two members that write one item (the same key record, the same session) in one transaction', async () => {
    const { batcher, sent, ids } = scripted();
    await Promise.all(submitAll(batcher, [create('a'), create('a'), release('s'), release('s'), create('b')]));
    for (const input of sent) expect(new Set(ids(input)).size).toBe(ids(input).length);
    expect(sent.flatMap(ids).sort()).toEqual(['a', 'a', 'b', 's', 's']);
  });

  it(`never sends more than ${MAX_TRANSACTION_ITEMS} items in a transaction`, async () => {
    const { batcher, sent } = scripted();
    await Promise.all(submitAll(batcher, Array.from({ length: 80 }, (_, i) => create(`s${i}`, 1, undefined, 2))));
    expect(sent.map((input) => input.TransactItems!.length)).toEqual([100, 100, 43]);
  });

  it('when the ledger condition fails: members that fit go again, the others wait for the next transaction, refused in call order', async () => {
    // held 7 of maxHeld 10: a (2) fits; b (2) fits alone but not after a; c (4) fits in no order, but is decided
    // after b, as one by one.
    const { batcher, sent, ids } = scripted([
      cancelled([ledgerFailed(7), { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]),
      undefined,
      cancelled([ledgerFailed(9), { Code: 'None' }, { Code: 'None' }]),
    ]);
    const [a, b, c] = await Promise.all(submitAll(batcher, [create('a', 2, 10), create('b', 2, 10), create('c', 4, 10)]));
    expect(a).toEqual({ outcome: 'applied' });
    // Decided afresh once a landed: then only 1 is free.
    expect(b).toEqual({ outcome: 'soldOut', available: 1 });
    expect(c).toEqual({ outcome: 'soldOut', available: 1 });
    expect(sent.map(ids)).toEqual([['a', 'b', 'c'], ['a'], ['b', 'c']]);
  });

  it('refuses at once the creates that fit in no order when none before them waits', async () => {
    const { batcher, sent } = scripted([cancelled([ledgerFailed(9), { Code: 'None' }, { Code: 'None' }])]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 4, 10), create('b', 1, 10)]));
    expect(outcomes).toEqual([{ outcome: 'soldOut', available: 1 }, { outcome: 'applied' }]);
    expect(sent).toHaveLength(2);
  });

  it('does not refuse a create that a release of the same transaction makes room for, and releases ended buckets in the write', async () => {
    const ended = Math.floor(NOW / 1000) - 100;
    const { batcher, sent } = scripted([cancelled([ledgerFailed(10, { [`b${BUCKET}`]: 9, [`b${ended}`]: 1 }), { Code: 'None' }, { Code: 'None' }])]);
    const outcomes = await Promise.all(submitAll(batcher, [release('r', 1), create('a', 2, 10)]));
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    expect(sent[1]!.TransactItems![0]!.Update).toMatchObject({
      UpdateExpression: 'ADD held :held, #b0 :b0 REMOVE #e0',
      ConditionExpression: '(attribute_not_exists(held) OR held <= :limit) AND attribute_exists(#b0) AND #e0 = :e0',
      ExpressionAttributeNames: { '#b0': `b${BUCKET}`, '#e0': `b${ended}` },
      // −1 + 2 − 1 ended; limit: held − 1 + (−1) + 2 ≤ 10 → held ≤ 10.
      ExpressionAttributeValues: { ':held': 0, ':b0': 1, ':e0': 1, ':limit': 10 },
    });
  });

  it('answers a release whose bucket is gone as released already, and never fails the others for it', async () => {
    const { batcher } = scripted([cancelled([ledgerFailed(1, {}), { Code: 'None' }, { Code: 'None' }])]);
    const outcomes = await Promise.all(submitAll(batcher, [release('r'), create('a')]));
    expect(outcomes).toEqual([{ outcome: 'bucketReleased' }, { outcome: 'applied' }]);
  });

  it('gives a member whose own condition failed its reasons, and sends the others again without it', async () => {
    const taken = { Code: 'ConditionalCheckFailed', Item: marshall({ id: 'idempotency#k', sessionId: 'x' }) };
    const { batcher, sent, ids } = scripted([cancelled([{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, taken, { Code: 'None' }])]);
    const [a, b, c] = await Promise.all(submitAll(batcher, [create('a'), create('b', 1, undefined, 1), create('c')]));
    expect(b).toEqual({ outcome: 'conditionFailed', reasons: [{ Code: 'None' }, taken] });
    expect([a, c]).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    expect(sent.map(ids)).toEqual([['a', 'b', 'b#1', 'c'], ['a', 'c']]);
    expect(sent[1]!.ClientRequestToken).not.toBe(sent[0]!.ClientRequestToken);
  });

  it('tries a lost race again with a new token, taking in what arrived meanwhile; a member past its budget is told the store is overloaded', async () => {
    const conflict = () => cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]);
    const { batcher, sent, ids, whenSent } = scripted([conflict(), cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }])]);
    let late: Promise<LedgerMemberOutcome> | undefined;
    whenSent(() => {
      if (sent.length === 1) late = batcher.submit(LEDGER, create('b'));
    });
    await expect(batcher.submit(LEDGER, create('a'))).resolves.toEqual({ outcome: 'applied' });
    await expect(late).resolves.toEqual({ outcome: 'applied' });
    expect(sent.map(ids)).toEqual([['a'], ['a', 'b'], ['a', 'b']]);
    expect(new Set(sent.map((input) => input.ClientRequestToken)).size).toBe(3);

    const spent = scripted(Array.from({ length: 1000 }, conflict), 30);
    await expect(spent.batcher.submit(LEDGER, create('z'))).rejects.toThrow('create: TransactionCanceledException');
    expect(spent.sent.length).toBeGreaterThan(1);
  });

  it('tells a call that waited past its budget behind its price\'s transaction that the store is overloaded, without sending it', async () => {
    const { batcher, sent, ids, whenSent } = scripted(Array.from({ length: 1000 }, timeout), 40);
    let late: Promise<LedgerMemberOutcome> | undefined;
    whenSent(() => {
      if (sent.length === 1) late = batcher.submit(LEDGER, create('b'));
    });
    await expect(batcher.submit(LEDGER, create('a'))).rejects.toThrow('(outcome unknown)');
    await expect(late).rejects.toThrow('create: Error');
    expect(sent.flatMap(ids)).not.toContain('b');
  });

  it('keeps a create it deferred out of the retries of the same transaction', async () => {
    // a fits, b only after a: b waits; a's resend loses a race and is tried again, still without b.
    const { batcher, sent, ids } = scripted([
      cancelled([ledgerFailed(8), { Code: 'None' }, { Code: 'None' }]),
      cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]),
    ]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 2, 10), create('b', 2, 10)]));
    expect(sent.map(ids)).toEqual([['a', 'b'], ['a'], ['a'], ['b']]);
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
  });

  it('resends a transaction whose outcome is unknown identical, same token, until DynamoDB answers', async () => {
    const { batcher, sent } = scripted([timeout(), timeout()]);
    await expect(Promise.all(submitAll(batcher, [create('a'), create('b')]))).resolves.toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    expect(sent).toHaveLength(3);
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[2]).toEqual(sent[0]);
  });

  it('reports an outcome it could not learn as unknown, only once the resolution window is over', async () => {
    const { batcher, sent } = scripted(Array.from({ length: 1000 }, timeout), 50);
    await expect(batcher.submit(LEDGER, create('a'))).rejects.toThrow('create: TimeoutError (outcome unknown)');
    expect(sent.length).toBeGreaterThan(1);
    expect(new Set(sent.map((input) => input.ClientRequestToken)).size).toBe(1);
  });

  it('fails every member of a refused transaction, but one that failed validation with others goes again alone', async () => {
    const invalid = Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400, attempts: 1 } });
    const { batcher, sent, ids } = scripted([invalid, invalid]);
    const outcomes = await Promise.allSettled(submitAll(batcher, [create('a'), create('b')]));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect(sent.map(ids)).toEqual([['a', 'b'], ['a'], ['b']]);

    const missing = Object.assign(new Error('no table'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400, attempts: 1 } });
    const gone = scripted([missing]);
    const both = await Promise.allSettled(submitAll(gone.batcher, [create('a'), create('b')]));
    expect(both.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('fails a transaction cancelled for no reason it knows instead of sending it again', async () => {
    const { batcher, sent } = scripted([cancelled([{ Code: 'None' }, { Code: 'None' }])]);
    await expect(batcher.submit(LEDGER, create('a'))).rejects.toThrow('TransactionCanceledException');
    expect(sent).toHaveLength(1);
  });

  it('settles every member, in flight or queued behind, when a bug throws inside a transaction', async () => {
    const bug = new Error('a bug in the driver');
    let sends = 0;
    const batcher = new HoldLedgerBatcher({
      tableName: 't',
      send: async () => {
        sends += 1;
        await Promise.resolve();
        throw Object.assign(new Error('refused'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400, attempts: 1 } });
      },
      budgetMs: 60_000,
      releaseMarginMs: 0,
      housekeeping: new HoldLedgerHousekeeping(async () => ({ held: 0, buckets: new Map() }), 0),
      storeError: () => {
        throw bug;
      },
    });
    const inFlight = submitAll(batcher, [create('a'), create('b')]);
    await Promise.resolve();
    const queued = batcher.submit(LEDGER, create('c'));
    const outcomes = await within('every member settled', Promise.allSettled([...inFlight, queued]), 5000);
    expect(outcomes).toEqual([0, 1, 2].map(() => ({ status: 'rejected', reason: bug })));
    expect(sends).toBe(1);
  });
});
