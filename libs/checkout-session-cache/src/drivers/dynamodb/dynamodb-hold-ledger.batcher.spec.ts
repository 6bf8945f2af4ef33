import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { availabilityOf } from '../../checkout-session-cache.holds.js';
import { toLedger } from './dynamodb-checkout-session.items.js';
import { HoldLedgerBatcher, type LedgerMember, type LedgerMemberOutcome, MAX_TRANSACTION_ITEMS } from './dynamodb-hold-ledger.batcher.js';
import { within } from '../../../../../test/support/bounded-wait.js';
import { HoldLedgerHousekeeping } from './dynamodb-hold-ledger.housekeeping.js';
import { type LedgerEntry, takesTickets } from './dynamodb-hold-ledger.plan.js';

// The batcher against a scripted `send`, or against a ledger simulated as DynamoDB evaluates its expressions: no
// DynamoDB, every answer chosen by the test.

const NOW = 1_800_000_000_000;
const NOW_S = NOW / 1000;
const BUCKET = 1_800_100_000;
const LEDGER = 'hold#["e","p"]';
/** The first condition of every ledger write: a ledger of this version (it keeps `free`), or none yet. */
const THIS_VERSION = '(attribute_exists(#free) OR attribute_not_exists(held))';
const WITHIN_MAX_HELD = '(attribute_not_exists(held) OR held <= :limit)';
const WITHIN_STOCK = '(attribute_not_exists(#stock) OR #free >= :need)';

type Answer = Error | undefined;
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts: 1 } });
/** What DynamoDB answers to a cancelled transaction. */
const cancelled = (reasons: object[]) => Object.assign(awsError('TransactionCanceledException', 'Transaction cancelled'), { CancellationReasons: reasons });
const timeout = () => Object.assign(new Error('Request timed out'), { name: 'TimeoutError', $metadata: { attempts: 3 } });
const NONE = { Code: 'None' };
/** The ledger's failed condition, returning a ledger of this version: `free` = (stock or 0) − held − sold. */
const ledgerFailed = (held: number, buckets: Record<string, number> = { [`b${BUCKET}`]: held }, { sold = 0, stock }: { sold?: number; stock?: number } = {}) => ({
  Code: 'ConditionalCheckFailed',
  Item: marshall({ id: LEDGER, held, ...buckets, ...(sold > 0 && { sold }), ...(stock !== undefined && { stock }), free: (stock ?? 0) - held - sold }),
});
/** The ledger's failed condition, returning a ledger of 0.1.0: held by bucket, no `free`. */
const legacyFailed = (held: number, buckets: Record<string, number> = { [`b${BUCKET}`]: held }) => ({ Code: 'ConditionalCheckFailed', Item: marshall({ id: LEDGER, held, ...buckets }) });

const member = (entry: LedgerEntry, operation: string, items: LedgerMember['items'], ids: string[]): LedgerMember => ({ ...entry, operation, items, ids, now: NOW }) as LedgerMember;
/** A create of `quantity` tickets whose session item is `id`. */
const create = (id: string, quantity = 1, maxHeld?: number, extraItems = 0): LedgerMember =>
  member(
    { kind: 'hold', quantity, bucket: BUCKET, ...(maxHeld !== undefined && { maxHeld }) },
    'create',
    Array.from({ length: 1 + extraItems }, (_, i) => ({ Put: { TableName: 't', Item: { id: i === 0 ? id : `${id}#${i}` } } })),
    Array.from({ length: 1 + extraItems }, (_, i) => (i === 0 ? id : `${id}#${i}`)),
  );
const statusChange = (id: string, entry: LedgerEntry): LedgerMember => member(entry, 'updateStatus', [{ Update: { TableName: 't', Key: { id }, UpdateExpression: 'SET #s = :s' } }], [id]);
const release = (id: string, quantity = 1, bucket = BUCKET): LedgerMember => statusChange(id, { kind: 'release', quantity, bucket });
const sell = (id: string, quantity = 1, bucket = BUCKET): LedgerMember => statusChange(id, { kind: 'sell', quantity, bucket });
const resell = (id: string, quantity = 1): LedgerMember => statusChange(id, { kind: 'resell', quantity });
const move = (id: string, quantity = 1, bucket = BUCKET, to = BUCKET + 900): LedgerMember => statusChange(id, { kind: 'move', quantity, bucket, to });
const returned = (quantity: number): LedgerMember => member({ kind: 'return', quantity }, 'returnTickets', [], []);
const stock = (total: number, previous: number | null): LedgerMember => member({ kind: 'stock', total, previous }, 'setStock', [], []);

const emptyHousekeeping = () => new HoldLedgerHousekeeping(async () => ({ held: 0, buckets: new Map(), sold: 0 }));
const storeError = (operation: string, error: unknown, unknown?: boolean) =>
  Object.assign(new Error(`${operation}: ${(error as Error).name}${unknown ? ' (outcome unknown)' : ''}`), { name: 'StoreError', cause: error });
/** The ids of the members' items a request carries (after the ledger's update). */
const ids = (input: TransactWriteCommandInput) => input.TransactItems!.slice(1).map((part) => (part.Put?.Item ?? part.Update?.Key)!.id as string);
const ledgerPart = (input: TransactWriteCommandInput) => input.TransactItems![0]!.Update!;

/** A batcher whose `send` records each request and answers from `answers`, in order (none left: success). */
function scripted(answers: Answer[] = [], budgetMs = 60_000, housekeeping = emptyHousekeeping()) {
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
    housekeeping,
    storeError,
  });
  return { batcher, sent, ids, whenSent: (hook: () => void) => (onSend = hook) };
}

const submitAll = (batcher: HoldLedgerBatcher, members: LedgerMember[]) => members.map((m) => batcher.submit(LEDGER, m));

// ---------------------------------------------------------------------------------------------------------------
// A ledger item as DynamoDB keeps it: conditions and updates evaluated from their expressions.
// ---------------------------------------------------------------------------------------------------------------

type Item = Record<string, unknown>;
const validation = (message: string) => awsError('ValidationException', message);

/** Evaluates a condition expression on `item` (missing: no attributes), as DynamoDB does: a comparison with a missing attribute is false. */
function evaluateCondition(expression: string, item: Item | undefined, path: (token: string) => string, value: (token: string) => unknown): boolean {
  const tokens = expression.match(/\(|\)|<=|>=|<>|=|<|>|[#:]?\w+/g) ?? [];
  let at = 0;
  const next = () => tokens[at++];
  const operand = (token: string) => {
    if (token.startsWith(':')) return value(token);
    const name = path(token);
    return item?.[name];
  };
  const or = (): boolean => {
    let result = and();
    while (tokens[at] === 'OR') {
      next();
      result = and() || result;
    }
    return result;
  };
  const and = (): boolean => {
    let result = factor();
    while (tokens[at] === 'AND') {
      next();
      result = factor() && result;
    }
    return result;
  };
  const factor = (): boolean => {
    const token = next()!;
    if (token === '(') {
      const result = or();
      if (next() !== ')') throw validation(`unbalanced condition: ${expression}`);
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      if (next() !== '(') throw validation(`bad function: ${expression}`);
      // The name first: `item?.[…]` would not evaluate it on a missing item.
      const name = path(next()!);
      const exists = item?.[name] !== undefined;
      if (next() !== ')') throw validation(`bad function: ${expression}`);
      return token === 'attribute_exists' ? exists : !exists;
    }
    const left = operand(token);
    const op = next();
    const right = operand(next()!);
    if (typeof left !== 'number' || typeof right !== 'number') return false;
    switch (op) {
      case '=':
        return left === right;
      case '<>':
        return left !== right;
      case '<=':
        return left <= right;
      case '>=':
        return left >= right;
      case '<':
        return left < right;
      case '>':
        return left > right;
      default:
        throw validation(`bad comparison: ${expression}`);
    }
  };
  const result = or();
  if (at !== tokens.length) throw validation(`trailing tokens: ${expression}`);
  return result;
}

/** Applies an update expression (SET, ADD, REMOVE) to `item`; two actions on one attribute are a validation error, as in DynamoDB. */
function applyUpdate(expression: string, item: Item, path: (token: string) => string, value: (token: string) => unknown): Item {
  const result = { ...item };
  const touched = new Set<string>();
  for (const [, clause, body] of expression.matchAll(/(SET|ADD|REMOVE) ((?:(?!\b(?:SET|ADD|REMOVE)\b).)*)/g)) {
    for (const action of body!.split(',').map((a) => a.trim())) {
      const [target, ...rest] = action.split(/\s+/);
      const name = path(target!);
      if (touched.has(name)) throw validation(`Two document paths overlap: ${name} in ${expression}`);
      touched.add(name);
      if (clause === 'REMOVE') delete result[name];
      else if (clause === 'SET') result[name] = value(rest[1]!);
      else result[name] = ((result[name] as number | undefined) ?? 0) + (value(rest[0]!) as number);
    }
  }
  return result;
}

/**
 * A batcher whose `send` evaluates each transaction's ledger update on a simulated ledger item, as DynamoDB would:
 * every name and value used and given, the condition on the item as it is, `ALL_OLD` returned when it fails. The
 * members' own items always pass, unless `ownFailure` says otherwise; `interrupt` may answer a send first (a lost race).
 */
function simulated(
  start: Item | undefined,
  { budgetMs = 60_000, interrupt, ownFailure }: { budgetMs?: number; interrupt?: (n: number) => Error | undefined; ownFailure?: (id: string, n: number) => CancellationReason | undefined } = {},
) {
  const state = { ledger: start === undefined ? undefined : { id: LEDGER, ...start } };
  const sent: TransactWriteCommandInput[] = [];
  let onSend: ((n: number) => void) | undefined;
  const housekeeping = new HoldLedgerHousekeeping(async () => toLedger(state.ledger));
  const send = async (input: TransactWriteCommandInput) => {
    sent.push(structuredClone(input));
    const n = sent.length;
    onSend?.(n);
    await Promise.resolve();
    const interrupted = interrupt?.(n);
    if (interrupted) throw interrupted;
    if (input.TransactItems!.length > MAX_TRANSACTION_ITEMS) throw validation('too many items');
    const update = ledgerPart(input);
    const names = update.ExpressionAttributeNames ?? {};
    const values = update.ExpressionAttributeValues ?? {};
    const usedNames = new Set<string>();
    const usedValues = new Set<string>();
    const path = (token: string) => {
      if (!token.startsWith('#')) return token;
      if (!(token in names)) throw validation(`undefined name ${token}`);
      usedNames.add(token);
      return names[token]!;
    };
    const value = (token: string) => {
      if (!(token in values)) throw validation(`undefined value ${token}`);
      usedValues.add(token);
      return values[token];
    };
    const passes = update.ConditionExpression === undefined || evaluateCondition(update.ConditionExpression, state.ledger, path, value);
    const after = applyUpdate(update.UpdateExpression!, state.ledger ?? { id: LEDGER }, path, value);
    for (const name of Object.keys(names)) if (!usedNames.has(name)) throw validation(`unused name ${name}`);
    for (const token of Object.keys(values)) if (!usedValues.has(token)) throw validation(`unused value ${token}`);
    const own = ids(input).map((id) => ownFailure?.(id, n) ?? NONE);
    if (!passes || own.some((reason) => reason.Code !== 'None')) {
      const ledgerReason = passes ? NONE : { Code: 'ConditionalCheckFailed', ...(state.ledger && { Item: marshall(state.ledger) }) };
      throw cancelled([ledgerReason, ...own]);
    }
    state.ledger = after as typeof state.ledger;
  };
  const batcher = new HoldLedgerBatcher({ tableName: 't', send, budgetMs, housekeeping, storeError });
  return { batcher, sent, state, housekeeping, whenSent: (hook: (n: number) => void) => (onSend = hook) };
}

describe('HoldLedgerBatcher', () => {
  it('sends a member alone at once: one transaction, the ledger update first, one ClientRequestToken', async () => {
    const { batcher, sent } = scripted();
    await expect(batcher.submit(LEDGER, create('a', 2, 10))).resolves.toEqual({ outcome: 'applied' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]!.TransactItems![0]!.Update).toMatchObject({
      Key: { id: LEDGER },
      UpdateExpression: 'ADD held :held, #free :free, #b0 :b0',
      ConditionExpression: `${THIS_VERSION} AND ${WITHIN_MAX_HELD} AND ${WITHIN_STOCK}`,
      ExpressionAttributeValues: { ':held': 2, ':free': -2, ':b0': 2, ':limit': 8, ':need': 2 },
    });
  });

  it('puts calls made together in one transaction, releases first, with the net change and each limit in order', async () => {
    const { batcher, sent } = scripted();
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 2, 10), release('r', 3), create('b', 1, 4)]));
    expect(outcomes).toEqual(Array(3).fill({ outcome: 'applied' }));
    expect(sent).toHaveLength(1);
    expect(ids(sent[0]!)).toEqual(['r', 'a', 'b']);
    // r: −3; a: held − 3 + 2 ≤ 10 → held ≤ 11; b: held − 3 + 2 + 1 ≤ 4 → held ≤ 4. Free: a needs 2 − 3, b 1 − 1.
    expect(sent[0]!.TransactItems![0]!.Update).toMatchObject({
      ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0) AND ${WITHIN_MAX_HELD} AND ${WITHIN_STOCK}`,
      ExpressionAttributeValues: { ':held': 0, ':free': 0, ':b0': 0, ':limit': 4, ':need': 0 },
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

  it('sends a stock change alone in its transaction, conditioned on the stock it read', async () => {
    const { batcher, sent } = scripted();
    const outcomes = await Promise.all(submitAll(batcher, [create('a'), stock(10, null), create('b'), stock(12, 10), release('r')]));
    expect(outcomes).toEqual(Array(5).fill({ outcome: 'applied' }));
    const stockWrites = sent.filter((input) => ledgerPart(input).UpdateExpression!.startsWith('SET #stock'));
    expect(stockWrites).toHaveLength(2);
    for (const input of stockWrites) expect(input.TransactItems).toHaveLength(1);
    // Nothing else rides along: the other members went in transactions of their own.
    expect(sent.flatMap(ids).sort()).toEqual(['a', 'b', 'r']);
    expect(ledgerPart(stockWrites[0]!)).toMatchObject({
      UpdateExpression: 'SET #stock = :stock ADD held :held, #free :free',
      ConditionExpression: `${THIS_VERSION} AND attribute_not_exists(#stock)`,
      ExpressionAttributeValues: { ':stock': 10, ':held': 0, ':free': 10 },
    });
    expect(ledgerPart(stockWrites[1]!)).toMatchObject({ ConditionExpression: `${THIS_VERSION} AND #stock = :previous`, ExpressionAttributeValues: { ':stock': 12, ':previous': 10, ':free': 2 } });
  });

  it('answers a stock change read from a stale stock with the stock there is, without sending it again', async () => {
    const { batcher, sent } = scripted([cancelled([ledgerFailed(0, {}, { stock: 7 })])]);
    await expect(batcher.submit(LEDGER, stock(3, null))).resolves.toEqual({ outcome: 'stale', stock: 7 });
    expect(sent).toHaveLength(1);
  });

  it('when the ledger condition fails: members that fit go again, the others wait for the next transaction, refused in call order', async () => {
    // held 7 of maxHeld 10: a (2) fits; b (2) fits alone but not after a; c (4) fits in no order, but is decided
    // after b, as one by one.
    const { batcher, sent, ids } = scripted([
      cancelled([ledgerFailed(7), NONE, NONE, NONE]),
      undefined,
      cancelled([ledgerFailed(9), NONE, NONE]),
    ]);
    const [a, b, c] = await Promise.all(submitAll(batcher, [create('a', 2, 10), create('b', 2, 10), create('c', 4, 10)]));
    expect(a).toEqual({ outcome: 'applied' });
    // Decided afresh once a landed: then only 1 is free.
    expect(b).toEqual({ outcome: 'soldOut', available: 1 });
    expect(c).toEqual({ outcome: 'soldOut', available: 1 });
    expect(sent.map(ids)).toEqual([['a', 'b', 'c'], ['a'], ['b', 'c']]);
  });

  it('refuses at once the creates that fit in no order when none before them waits', async () => {
    const { batcher, sent } = scripted([cancelled([ledgerFailed(9), NONE, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 4, 10), create('b', 1, 10)]));
    expect(outcomes).toEqual([{ outcome: 'soldOut', available: 1 }, { outcome: 'applied' }]);
    expect(sent).toHaveLength(2);
  });

  it('refuses a create past the stock with what is free, the smaller room when maxHeld is smaller', async () => {
    // Stock 10, held 4, sold 3: 3 free.
    const { batcher } = scripted([cancelled([ledgerFailed(4, undefined, { sold: 3, stock: 10 }), NONE, NONE, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 4), create('b', 4, 5), create('c', 3)]));
    expect(outcomes).toEqual([{ outcome: 'soldOut', available: 3 }, { outcome: 'soldOut', available: 1 }, { outcome: 'applied' }]);
  });

  it('refuses a late sale past the stock, and sells one within it', async () => {
    // Stock 5, held 2, sold 2: 1 free.
    const { batcher, sent } = scripted([cancelled([ledgerFailed(2, undefined, { sold: 2, stock: 5 }), NONE, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [resell('x', 2), resell('y', 1)]));
    expect(outcomes).toEqual([{ outcome: 'soldOut', available: 1 }, { outcome: 'applied' }]);
    expect(ledgerPart(sent[0]!)).toMatchObject({
      UpdateExpression: 'ADD held :held, #free :free, #sold :sold',
      ConditionExpression: `${THIS_VERSION} AND ${WITHIN_STOCK}`,
      ExpressionAttributeValues: { ':held': 0, ':free': -3, ':sold': 3, ':need': 3 },
    });
    expect(ids(sent[1]!)).toEqual(['y']);
  });

  it('answers a return of more than is sold with what is sold, and applies the others', async () => {
    const { batcher, sent } = scripted([cancelled([ledgerFailed(0, {}, { sold: 2, stock: 10 })])]);
    const outcomes = await Promise.all(submitAll(batcher, [returned(3), returned(2)]));
    expect(outcomes).toEqual([{ outcome: 'notSold', sold: 2 }, { outcome: 'applied' }]);
    expect(ledgerPart(sent[0]!)).toMatchObject({
      UpdateExpression: 'ADD held :held, #free :free, #sold :sold',
      ConditionExpression: `${THIS_VERSION} AND #sold >= :minSold`,
      ExpressionAttributeValues: { ':held': 0, ':free': 5, ':sold': -5, ':minSold': 5 },
    });
    expect(ledgerPart(sent[1]!).ExpressionAttributeValues).toMatchObject({ ':sold': -2, ':minSold': 2 });
    expect(sent).toHaveLength(2);
  });

  it('adopts a ledger of the previous version: free set from the held it read, then writes as this version', async () => {
    const { batcher, sent } = scripted([cancelled([legacyFailed(4), NONE])]);
    await expect(batcher.submit(LEDGER, create('a', 2, 10))).resolves.toEqual({ outcome: 'applied' });
    expect(sent).toHaveLength(2);
    expect(ledgerPart(sent[0]!).ConditionExpression).toMatch(/^\(attribute_exists\(#free\) OR attribute_not_exists\(held\)\)/);
    expect(ledgerPart(sent[1]!)).toMatchObject({
      UpdateExpression: 'ADD held :held, #free :free, #b0 :b0',
      ConditionExpression: `attribute_not_exists(#free) AND held = :adopt AND ${WITHIN_MAX_HELD} AND ${WITHIN_STOCK}`,
      // free = −4 (held as read, no stock, nothing sold) − 2.
      ExpressionAttributeValues: { ':adopt': 4, ':held': 2, ':free': -6, ':b0': 2, ':limit': 8, ':need': 2 },
    });
    // The next transaction finds a ledger of this version.
    await batcher.submit(LEDGER, create('b'));
    expect(ledgerPart(sent[2]!).ConditionExpression).toMatch(/^\(attribute_exists\(#free\) OR attribute_not_exists\(held\)\)/);
  });

  it('adopts a legacy ledger as DynamoDB evaluates it, releasing its ended buckets, and keeps free = stock − held − sold after', async () => {
    const ended = NOW_S - 100;
    const sim = simulated({ held: 5, [`b${BUCKET}`]: 3, [`b${ended}`]: 2 });
    const outcomes = await Promise.all(submitAll(sim.batcher, [release('r', 1), create('a', 4, 6)]));
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    await expect(sim.batcher.submit(LEDGER, stock(10, null))).resolves.toEqual({ outcome: 'applied' });
    expect(sim.state.ledger).toEqual({ id: LEDGER, held: 6, free: 4, [`b${BUCKET}`]: 6, stock: 10 });
  });

  it('sets the stock first when called first, then decides creates within it, and lowering it takes nothing back', async () => {
    const sim = simulated(undefined);
    const outcomes = await Promise.all(submitAll(sim.batcher, [stock(10, null), create('a', 6), create('b', 6)]));
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }, { outcome: 'soldOut', available: 4 }]);
    await expect(sim.batcher.submit(LEDGER, sell('a', 6))).resolves.toEqual({ outcome: 'applied' });
    // Lowered below held + sold: nothing new fits, nothing is taken back; a stale read is told the stock now.
    await expect(sim.batcher.submit(LEDGER, stock(2, null))).resolves.toEqual({ outcome: 'stale', stock: 10 });
    await expect(sim.batcher.submit(LEDGER, stock(2, 10))).resolves.toEqual({ outcome: 'applied' });
    await expect(Promise.all(submitAll(sim.batcher, [create('c', 1), resell('x', 1)]))).resolves.toEqual([
      { outcome: 'soldOut', available: 0 },
      { outcome: 'soldOut', available: 0 },
    ]);
    expect(availabilityOf(toLedger(sim.state.ledger), NOW)).toEqual({ stock: 2, held: 0, sold: 6, available: 0 });
    // Returns give the room back.
    await expect(sim.batcher.submit(LEDGER, returned(7))).resolves.toEqual({ outcome: 'notSold', sold: 6 });
    await expect(sim.batcher.submit(LEDGER, returned(5))).resolves.toEqual({ outcome: 'applied' });
    await expect(sim.batcher.submit(LEDGER, create('d', 1))).resolves.toEqual({ outcome: 'applied' });
    expect(sim.state.ledger).toMatchObject({ held: 1, sold: 1, stock: 2, free: 0 });
  });

  it('does not refuse a create that a release of the same transaction makes room for, and releases ended buckets in the write', async () => {
    const ended = Math.floor(NOW / 1000) - 100;
    const { batcher, sent } = scripted([cancelled([ledgerFailed(10, { [`b${BUCKET}`]: 9, [`b${ended}`]: 1 }), NONE, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [release('r', 1), create('a', 2, 10)]));
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    expect(sent[1]!.TransactItems![0]!.Update).toMatchObject({
      UpdateExpression: 'ADD held :held, #free :free, #b0 :b0 REMOVE #e0',
      ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0) AND #e0 = :e0 AND ${WITHIN_MAX_HELD} AND ${WITHIN_STOCK}`,
      ExpressionAttributeNames: { '#free': 'free', '#b0': `b${BUCKET}`, '#e0': `b${ended}`, '#stock': 'stock' },
      // −1 + 2 − 1 ended; limit: held − 1 + (−1) + 2 ≤ 10 → held ≤ 10; need: free + 1 + 1 ≥ 2.
      ExpressionAttributeValues: { ':held': 0, ':free': 0, ':b0': 1, ':e0': 1, ':limit': 10, ':need': 0 },
    });
  });

  it('answers a release whose bucket is gone as released already, and never fails the others for it', async () => {
    const { batcher } = scripted([cancelled([ledgerFailed(1, {}), NONE, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [release('r'), create('a')]));
    expect(outcomes).toEqual([{ outcome: 'bucketReleased' }, { outcome: 'applied' }]);
  });

  it('answers a sale, a release or a move from a bucket housekeeping found ended as released, without sending it', async () => {
    const ended = NOW_S - 100;
    const housekeeping = new HoldLedgerHousekeeping(async () => ({ held: 3, buckets: new Map([[ended, 3]]), sold: 0 }));
    housekeeping.afterWrite(LEDGER, NOW);
    await housekeeping.close();
    const { batcher, sent } = scripted([], 60_000, housekeeping);
    const outcomes = await Promise.all(submitAll(batcher, [sell('s', 1, ended), release('r', 1, ended), move('m', 1, ended), create('a')]));
    expect(outcomes).toEqual([{ outcome: 'bucketReleased' }, { outcome: 'bucketReleased' }, { outcome: 'bucketReleased' }, { outcome: 'applied' }]);
    expect(sent.map(ids)).toEqual([['a']]);
    expect(ledgerPart(sent[0]!)).toMatchObject({ UpdateExpression: 'ADD held :held, #free :free, #b0 :b0 REMOVE #e0', ExpressionAttributeValues: { ':e0': 3, ':held': -2, ':free': 2 } });
  });

  it('gives a member whose own condition failed its reasons, and sends the others again without it', async () => {
    const taken = { Code: 'ConditionalCheckFailed', Item: marshall({ id: 'idempotency#k', sessionId: 'x' }) };
    const { batcher, sent, ids } = scripted([cancelled([NONE, NONE, NONE, taken, NONE])]);
    const [a, b, c] = await Promise.all(submitAll(batcher, [create('a'), create('b', 1, undefined, 1), create('c')]));
    expect(b).toEqual({ outcome: 'conditionFailed', reasons: [NONE, taken] });
    expect([a, c]).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    expect(sent.map(ids)).toEqual([['a', 'b', 'b#1', 'c'], ['a', 'c']]);
    expect(sent[1]!.ClientRequestToken).not.toBe(sent[0]!.ClientRequestToken);
  });

  it('tries a lost race again with a new token, taking in what arrived meanwhile; a member past its budget is told the store is overloaded', async () => {
    const conflict = () => cancelled([{ Code: 'TransactionConflict' }, NONE]);
    const { batcher, sent, ids, whenSent } = scripted([conflict(), cancelled([{ Code: 'TransactionConflict' }, NONE, NONE])]);
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

  it("tells a call that waited past its budget behind its price's transaction that the store is overloaded, without sending it", async () => {
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
    const { batcher, sent, ids } = scripted([cancelled([ledgerFailed(8), NONE, NONE]), cancelled([{ Code: 'TransactionConflict' }, NONE])]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 2, 10), create('b', 2, 10)]));
    expect(sent.map(ids)).toEqual([['a', 'b'], ['a'], ['a'], ['b']]);
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
  });

  it('keeps call order when a create arrives while one it deferred waits: the deferred one is decided first', async () => {
    // Held 7 of maxHeld 10. a (2) fits; b (3) fits alone but not after a, so it waits. a's resend loses a race, and d
    // (1), called after b, arrives meanwhile; then a fails on its own item (its key was taken). As one by one in call
    // order (the memory driver): a fails, b fits (10), d does not.
    const taken = { Code: 'ConditionalCheckFailed', Item: marshall({ id: 'idempotency#k', sessionId: 'x' }) };
    const sim = simulated(
      { held: 7, free: -7, [`b${BUCKET}`]: 7 },
      { interrupt: (n) => (n === 2 ? cancelled([{ Code: 'TransactionConflict' }, NONE]) : undefined), ownFailure: (id, n) => (id === 'a' && n >= 3 ? taken : undefined) },
    );
    let d: Promise<LedgerMemberOutcome> | undefined;
    sim.whenSent((n) => {
      if (n === 2) d = sim.batcher.submit(LEDGER, create('d', 1, 10));
    });
    const [a, b] = await Promise.all(submitAll(sim.batcher, [create('a', 2, 10), create('b', 3, 10)]));
    expect(a).toMatchObject({ outcome: 'conditionFailed' });
    expect({ b, d: await d }).toEqual({ b: { outcome: 'applied' }, d: { outcome: 'soldOut', available: 0 } });
  });

  it('keeps call order among the creates deferred by successive failures of one transaction', async () => {
    // Held 5 of maxHeld 10, creates of 2: c waits (11 after a and b). Before a and b land, another process holds 2: b
    // waits too (11 after a). Then one ticket is released elsewhere (held 8): b came before c, so b is decided first
    // and fits (10), and c does not.
    const { batcher, sent } = scripted([
      cancelled([ledgerFailed(5), NONE, NONE, NONE]),
      cancelled([ledgerFailed(7), NONE, NONE]),
      undefined,
      cancelled([ledgerFailed(8), NONE, NONE]),
      undefined,
      cancelled([ledgerFailed(10), NONE]),
    ]);
    const outcomes = await Promise.all(submitAll(batcher, [create('a', 2, 10), create('b', 2, 10), create('c', 2, 10)]));
    expect(sent.map(ids)).toEqual([['a', 'b', 'c'], ['a', 'b'], ['a'], ['b', 'c'], ['b'], ['c']]);
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }, { outcome: 'soldOut', available: 0 }]);
  });

  it('releases only the buckets housekeeping found that have ended by the clock of the write too', async () => {
    const ended = NOW_S - 100;
    const housekeeping = new HoldLedgerHousekeeping(async () => ({ held: 3, buckets: new Map([[ended, 3]]), sold: 0 }));
    housekeeping.afterWrite(LEDGER, NOW);
    await housekeeping.close();
    const { batcher, sent } = scripted([], 60_000, housekeeping);
    // A clock that stepped back before the bucket's end.
    await expect(batcher.submit(LEDGER, { ...create('a'), now: ended * 1000 - 1 })).resolves.toEqual({ outcome: 'applied' });
    expect(ledgerPart(sent[0]!).UpdateExpression).toBe('ADD held :held, #free :free, #b0 :b0');
  });

  it('writes a create whose bucket has ended by the clock of another member of its transaction', async () => {
    // a was called 2 s before b, its hold lapsing 1 s after its call; by b's clock a's bucket has ended. One write
    // cannot both add to a bucket and remove it: whatever the batch, both are written and the ledger stays exact.
    const bucket = NOW_S - 1;
    const sim = simulated({ held: 2, [`b${bucket}`]: 2 });
    const a = { ...create('a', 1), bucket, now: NOW - 2000 } as LedgerMember;
    const outcomes = await Promise.all(submitAll(sim.batcher, [a, create('b', 1)]));
    expect(outcomes).toEqual([{ outcome: 'applied' }, { outcome: 'applied' }]);
    const ledger = toLedger(sim.state.ledger);
    expect(ledger.free).toBe(-ledger.held);
    expect(ledger.held).toBe([...ledger.buckets.values()].reduce((x, y) => x + y, 0));
    expect(availabilityOf(ledger, NOW)).toMatchObject({ held: 1 });
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
    const invalid = awsError('ValidationException', 'bad');
    const { batcher, sent, ids } = scripted([invalid, invalid]);
    const outcomes = await Promise.allSettled(submitAll(batcher, [create('a'), create('b')]));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect(sent.map(ids)).toEqual([['a', 'b'], ['a'], ['b']]);

    const gone = scripted([awsError('ResourceNotFoundException', 'no table')]);
    const both = await Promise.allSettled(submitAll(gone.batcher, [create('a'), create('b')]));
    expect(both.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('fails a transaction cancelled for no reason it knows instead of sending it again', async () => {
    const { batcher, sent } = scripted([cancelled([NONE, NONE])]);
    await expect(batcher.submit(LEDGER, create('a'))).rejects.toThrow('TransactionCanceledException');
    expect(sent).toHaveLength(1);
  });

  it('fails a transaction whose ledger condition failed on a ledger that changes nothing, instead of sending it again in a loop', async () => {
    // The ledger returned admits the create as it is: a condition this driver does not model failed.
    const { batcher, sent } = scripted(Array.from({ length: 5000 }, () => cancelled([ledgerFailed(0, {}), NONE])), 300);
    await expect(batcher.submit(LEDGER, create('a', 1, 10))).rejects.toThrow('create: TransactionCanceledException');
    expect(sent.length).toBeLessThanOrEqual(2);
  });

  it('settles every member, in flight or queued behind, when a bug throws inside a transaction', async () => {
    const bug = new Error('a bug in the driver');
    let sends = 0;
    const batcher = new HoldLedgerBatcher({
      tableName: 't',
      send: async () => {
        sends += 1;
        await Promise.resolve();
        throw awsError('AccessDeniedException', 'refused');
      },
      budgetMs: 60_000,
      housekeeping: emptyHousekeeping(),
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

// ---------------------------------------------------------------------------------------------------------------
// The whole: calls made together on a simulated ledger end as the one-by-one model ends them.
// ---------------------------------------------------------------------------------------------------------------

const LIVE = [NOW_S + 60, NOW_S + 120];
const ENDED = [NOW_S - 60, NOW_S];
const MISSING = NOW_S + 999;
const FUTURE = NOW_S + 600;

/** One call of the mix: a create, a change of a holding session (`session` picks one), a lapsed one's, a late sale, a return. */
type Call =
  | { readonly type: 'hold'; readonly quantity: number; readonly maxHeld?: number }
  | { readonly type: 'release' | 'sell' | 'move'; readonly session: number }
  | { readonly type: 'lapsed'; readonly kind: 'release' | 'sell' | 'move'; readonly quantity: number }
  | { readonly type: 'resell' | 'return'; readonly quantity: number };

const quantity = fc.integer({ min: 1, max: 4 });
const callArb: fc.Arbitrary<Call> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('hold' as const), quantity, maxHeld: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }) }, { requiredKeys: ['type', 'quantity'] }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom('release' as const, 'sell' as const, 'move' as const), session: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('lapsed' as const), kind: fc.constantFrom('release' as const, 'sell' as const, 'move' as const), quantity }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('resell' as const, 'return' as const), quantity }) },
);
const startArb = fc.record({
  version: fc.constantFrom('current', 'current', 'current', 'legacy', 'missing'),
  sessions: fc.array(fc.record({ bucket: fc.constantFrom(...LIVE, ...ENDED), quantity }), { maxLength: 6 }),
  sold: fc.integer({ min: 0, max: 10 }),
  stock: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
});

describe('HoldLedgerBatcher on a simulated ledger', () => {
  it('ends calls made together as applying them one by one does (frees first, takers in call order), keeping free = stock − held − sold', async () => {
    await fc.assert(
      fc.asyncProperty(startArb, fc.array(callArb, { maxLength: 14 }), async (start, calls) => {
        // The ledger as stored, and its sessions still holding (their buckets).
        const sessions = start.version === 'missing' ? [] : start.sessions;
        const buckets = new Map<number, number>();
        for (const s of sessions) buckets.set(s.bucket, (buckets.get(s.bucket) ?? 0) + s.quantity);
        const held = sessions.reduce((total, s) => total + s.quantity, 0);
        const sold = start.version === 'current' ? start.sold : 0;
        const stockSet = start.version === 'current' ? start.stock : undefined;
        const item: Item | undefined =
          start.version === 'missing'
            ? undefined
            : {
                held,
                ...Object.fromEntries([...buckets].map(([b, t]) => [`b${b}`, t])),
                ...(start.version === 'current' && { free: (stockSet ?? 0) - held - sold, ...(sold > 0 && { sold }), ...(stockSet !== undefined && { stock: stockSet }) }),
              };
        // The members, in call order: each live session changed at most once; a lapsed one's bucket is gone.
        const live = sessions.filter((s) => LIVE.includes(s.bucket));
        const used = new Set<number>();
        const members: LedgerMember[] = calls.map((call, i): LedgerMember => {
          const id = `m${i}`;
          switch (call.type) {
            case 'hold':
              return { ...create(id, call.quantity, call.maxHeld), bucket: FUTURE } as LedgerMember;
            case 'release':
            case 'sell':
            case 'move': {
              const pick = live.findIndex((_, j) => !used.has(j) && j >= call.session % Math.max(1, live.length));
              if (pick < 0) return release(id, 1, MISSING);
              used.add(pick);
              const s = live[pick]!;
              return call.type === 'release' ? release(id, s.quantity, s.bucket) : call.type === 'sell' ? sell(id, s.quantity, s.bucket) : move(id, s.quantity, s.bucket, FUTURE);
            }
            case 'lapsed':
              return statusChange(id, call.kind === 'move' ? { kind: 'move', quantity: call.quantity, bucket: MISSING, to: FUTURE } : { kind: call.kind, quantity: call.quantity, bucket: MISSING });
            case 'resell':
              return resell(id, call.quantity);
            case 'return':
              return returned(call.quantity);
          }
        });

        // The model: the ledger past its ended buckets, the members one by one, frees first, takers in call order.
        const m = { held: held - sessions.filter((s) => ENDED.includes(s.bucket)).reduce((t, s) => t + s.quantity, 0), sold, stock: stockSet, buckets: new Map([...buckets].filter(([b]) => !ENDED.includes(b))) };
        const free = () => (m.stock ?? 0) - m.held - m.sold;
        const add = (b: number, d: number) => m.buckets.set(b, (m.buckets.get(b) ?? 0) + d);
        const present = new Set(m.buckets.keys());
        const expected = new Map<LedgerMember, LedgerMemberOutcome['outcome'] | { outcome: 'notSold'; sold: number }>();
        for (const entry of [...members.filter((e) => !takesTickets(e)), ...members.filter(takesTickets)]) {
          switch (entry.kind) {
            case 'hold':
              if ((entry.maxHeld !== undefined && m.held + entry.quantity > entry.maxHeld) || (m.stock !== undefined && free() < entry.quantity)) expected.set(entry, 'soldOut');
              else {
                m.held += entry.quantity;
                add(entry.bucket, entry.quantity);
                expected.set(entry, 'applied');
              }
              break;
            case 'resell':
              if (m.stock !== undefined && free() < entry.quantity) expected.set(entry, 'soldOut');
              else {
                m.sold += entry.quantity;
                expected.set(entry, 'applied');
              }
              break;
            case 'return':
              if (m.sold < entry.quantity) expected.set(entry, { outcome: 'notSold', sold: m.sold });
              else {
                m.sold -= entry.quantity;
                expected.set(entry, 'applied');
              }
              break;
            case 'release':
            case 'sell':
            case 'move':
              if (!present.has(entry.bucket)) {
                expected.set(entry, 'bucketReleased');
                break;
              }
              add(entry.bucket, -entry.quantity);
              if (entry.kind === 'move') add(entry.to, entry.quantity);
              else m.held -= entry.quantity;
              if (entry.kind === 'sell') m.sold += entry.quantity;
              expected.set(entry, 'applied');
              break;
            default:
              throw new Error('no stock change in the mix');
          }
        }

        // A small budget: a batcher that resends without end fails the run instead of hanging it.
        const sim = simulated(item, { budgetMs: 1000 });
        const outcomes = await within('every call answered', Promise.all(submitAll(sim.batcher, members)), 5000);
        await sim.housekeeping.close();
        members.forEach((entry, i) => {
          const want = expected.get(entry)!;
          const got = outcomes[i]!;
          if (typeof want === 'object') expect([entry, got]).toEqual([entry, want]);
          else expect([entry, got.outcome]).toEqual([entry, want]);
          // A refusal says how many would have fitted: fewer than asked.
          if (got.outcome === 'soldOut') {
            expect(got.available).toBeGreaterThanOrEqual(0);
            expect(got.available).toBeLessThan(entry.kind === 'hold' || entry.kind === 'resell' ? entry.quantity : 0);
          }
        });
        const ledger = toLedger(sim.state.ledger);
        expect(availabilityOf(ledger, NOW)).toEqual({
          stock: m.stock ?? null,
          held: m.held,
          sold: m.sold,
          available: m.stock === undefined ? null : Math.max(0, free()),
        });
        expect(new Map([...ledger.buckets].filter(([b]) => b * 1000 > NOW))).toEqual(m.buckets);
        // The stored ledger: held is the sum of its buckets, and free what every write keeps it (once written).
        expect(ledger.held).toBe([...ledger.buckets.values()].reduce((a, b) => a + b, 0));
        if (outcomes.some((o) => o.outcome === 'applied')) expect(ledger.free).toBe((ledger.stock ?? 0) - ledger.held - ledger.sold);
        else expect(sim.state.ledger).toEqual(item === undefined ? undefined : { id: LEDGER, ...item });
        for (const input of sim.sent) expect(input.TransactItems!.length).toBeLessThanOrEqual(MAX_TRANSACTION_ITEMS);
      }),
      { numRuns: 300 },
    );
  });
});
