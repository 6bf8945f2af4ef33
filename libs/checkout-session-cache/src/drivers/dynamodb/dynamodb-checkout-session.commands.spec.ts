import {
  countQueries,
  deleteSession,
  type LedgerChange,
  putNewSession,
  type SessionChange,
  transitionUpdate,
  updateLedger,
} from './dynamodb-checkout-session.commands.js';
import { type CheckoutSessionItem, MAX_TRANSITION_TOKENS } from './dynamodb-checkout-session.items.js';
import { HOLD_SEPARATOR } from './dynamodb-checkout-session.keys.js';
import { ledgerChange, type LedgerEntry } from './dynamodb-hold-ledger.plan.js';

const NOW = 1_900_000_000_500;
const HOLD = 1_900_000_600;
const item: CheckoutSessionItem = {
  id: 'a0000000-0000-4000-8000-000000000000',
  eventId: 'e',
  priceId: 'p',
  quantity: 2,
  status: 'CREATED',
  createdAt: NOW,
  expiresAt: 1_900_086_400,
  holdBucket: 1_900_000_610,
  holdExpiresAt: HOLD,
};
const to = (status: SessionChange['status'], change: Partial<SessionChange> = {}): SessionChange => ({ status, holdExpiresAt: HOLD, holdExtended: false, ...change });

/** The first condition of every ledger write: a ledger of this version (it keeps `free`), or none yet. */
const THIS_VERSION = '(attribute_exists(#free) OR attribute_not_exists(held))';
const B = 1_900_000_060;
const E = 1_899_999_940;
const ledgerUpdate = (entries: LedgerEntry[], ended: [number, number][] = [], adopt?: { held: number }) => updateLedger('t', 'hold#x', ledgerChange(entries, ended, adopt)).Update!;

describe('command builders', () => {
  it('puts a new session with its metadata item and key record, none over an existing item', () => {
    const parts = putNewSession('t', item, { seat: 'A1' }, 'key-1', NOW);
    expect(parts.map((part) => part.Put!.Item!.id)).toEqual([item.id, `metadata#${item.id}`, 'idempotency#key-1']);
    expect(parts[0]!.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    // An expired record that TTL has not deleted yet no longer holds the key.
    expect(parts[2]!.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(id) OR expiresAt <= :now', ExpressionAttributeValues: { ':now': 1_900_000_000 } });
    expect(putNewSession('t', item, undefined, undefined, NOW)).toHaveLength(1);
  });

  it('conditions a status change on the status and change count read, and keeps only the newest tokens', () => {
    const first = transitionUpdate('t', item, to('CONFIRMING'), 'tok-1', NOW);
    expect(first.ConditionExpression).toBe('attribute_exists(id) AND expiresAt > :now AND #status = :current AND attribute_not_exists(transitionCount)');
    expect(first.ExpressionAttributeValues).toMatchObject({ ':to': 'CONFIRMING', ':current': 'CREATED', ':tokens': ['tok-1'], ':next': 1, ':now': 1_900_000_000 });
    expect(first.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    const tokens = Array.from({ length: MAX_TRANSITION_TOKENS }, (_, i) => `old-${i}`);
    const later = transitionUpdate('t', { ...item, status: 'CONFIRMING', transitionCount: 41, transitionTokens: tokens }, to('CREATED'), 'tok-42', NOW);
    expect(later.ConditionExpression).toContain('transitionCount = :count');
    expect(later.ExpressionAttributeValues).toMatchObject({ ':current': 'CONFIRMING', ':count': 41, ':next': 42, ':tokens': [...tokens.slice(1), 'tok-42'] });
    expect((later.ExpressionAttributeValues![':tokens'] as string[]).length).toBe(MAX_TRANSITION_TOKENS);
  });

  it('sets the hold\'s lapse on every status change, and the extension and new bucket only when the hold is extended', () => {
    const kept = transitionUpdate('t', item, to('CANCELLED'), 'tok', NOW);
    expect(kept.UpdateExpression).toBe(
      'SET #status = :to, countShard = :countShard, countKey = :countKey, transitionTokens = :tokens, transitionCount = :next, holdExpiresAt = :hold',
    );
    expect(kept.ExpressionAttributeValues).toMatchObject({ ':hold': HOLD, ':countShard': 'e#0' });
    expect(kept.ExpressionAttributeValues).not.toHaveProperty(':extended');
    expect(kept.ExpressionAttributeValues).not.toHaveProperty(':bucket');

    const extended = transitionUpdate('t', item, to('CONFIRMING', { holdExpiresAt: HOLD + 900, holdExtended: true, holdBucket: 1_900_001_520 }), 'tok', NOW);
    expect(extended.UpdateExpression).toBe(
      'SET #status = :to, countShard = :countShard, countKey = :countKey, transitionTokens = :tokens, transitionCount = :next, holdExpiresAt = :hold, holdExtended = :extended, holdBucket = :bucket',
    );
    expect(extended.ExpressionAttributeValues).toMatchObject({ ':hold': HOLD + 900, ':extended': true, ':bucket': 1_900_001_520 });
    // Every value the expressions name is given, and no other (DynamoDB refuses unused values).
    for (const update of [kept, extended]) {
      const used = `${update.UpdateExpression} ${update.ConditionExpression}`.match(/:\w+/g)!;
      expect(Object.keys(update.ExpressionAttributeValues!).sort()).toEqual([...new Set(used)].sort());
    }
    // A hold kept as it was once extended (CONFIRMING → CREATED): the extension stays, nothing removes it.
    const back = transitionUpdate('t', { ...item, status: 'CONFIRMING', holdExtended: true }, to('CREATED', { holdExpiresAt: HOLD + 900 }), 'tok', NOW);
    expect(back.UpdateExpression).not.toMatch(/holdExtended|REMOVE/);
  });

  it('keys a holding status by price and hold lapse, and any other status by price alone', () => {
    const key = (change: SessionChange) => transitionUpdate('t', item, change, 'tok', NOW).ExpressionAttributeValues![':countKey'];
    expect(key(to('CONFIRMING', { holdExpiresAt: HOLD + 900, holdExtended: true, holdBucket: 1 }))).toBe(`CONFIRMING#p${HOLD_SEPARATOR}${HOLD + 900}`);
    expect(key(to('CREATED'))).toBe(`CREATED#p${HOLD_SEPARATOR}${HOLD}`);
    expect(key(to('COMPLETED'))).toBe('COMPLETED#p');
    expect(key(to('CANCELLED'))).toBe('CANCELLED#p');
  });

  it('conditions a delete on the status and change count read only when it releases a hold', () => {
    expect(deleteSession('t', item, true, NOW)).toMatchObject({
      ConditionExpression: '#status = :current AND expiresAt > :now AND attribute_not_exists(transitionCount)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':current': 'CREATED', ':now': 1_900_000_000 },
    });
    expect(deleteSession('t', item, true, NOW).ExpressionAttributeValues).not.toHaveProperty(':count');
    // A hold moved to another bucket since (an extension) is never released from the bucket read.
    expect(deleteSession('t', { ...item, status: 'CONFIRMING', transitionCount: 4 }, true, NOW)).toMatchObject({
      ConditionExpression: '#status = :current AND expiresAt > :now AND transitionCount = :count',
      ExpressionAttributeValues: { ':current': 'CONFIRMING', ':now': 1_900_000_000, ':count': 4 },
    });
    expect(deleteSession('t', item, false, NOW)).toEqual({ TableName: 't', Key: { id: item.id } });
  });

  describe('the ledger update', () => {
    it('holds: adds held, takes free, within maxHeld and, when the price has stock, within free', () => {
      expect(ledgerUpdate([{ kind: 'hold', quantity: 3, bucket: B, maxHeld: 10 }])).toEqual({
        TableName: 't',
        Key: { id: 'hold#x' },
        UpdateExpression: 'ADD held :held, #free :free, #b0 :b0',
        ConditionExpression: `${THIS_VERSION} AND (attribute_not_exists(held) OR held <= :limit) AND (attribute_not_exists(#stock) OR #free >= :need)`,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ExpressionAttributeNames: { '#free': 'free', '#b0': `b${B}`, '#stock': 'stock' },
        ExpressionAttributeValues: { ':held': 3, ':free': -3, ':b0': 3, ':limit': 7, ':need': 3 },
      });
      // A limit below 0 fails on a missing ledger too: no create fits.
      expect(ledgerUpdate([{ kind: 'hold', quantity: 3, bucket: B, maxHeld: 2 }]).ConditionExpression).toContain(' AND held <= :limit');
      expect(ledgerUpdate([{ kind: 'hold', quantity: 3, bucket: B }]).ConditionExpression).toBe(`${THIS_VERSION} AND (attribute_not_exists(#stock) OR #free >= :need)`);
    });

    it('releases: gives back held and free, from a bucket that is still there', () => {
      expect(ledgerUpdate([{ kind: 'release', quantity: 2, bucket: B }])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #b0 :b0',
        ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0)`,
        ExpressionAttributeNames: { '#free': 'free', '#b0': `b${B}` },
        ExpressionAttributeValues: { ':held': -2, ':free': 2, ':b0': -2 },
      });
    });

    it('sells: moves the tickets from a bucket still there to sold, free unchanged', () => {
      expect(ledgerUpdate([{ kind: 'sell', quantity: 2, bucket: B }])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #sold :sold, #b0 :b0',
        ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0)`,
        ExpressionAttributeNames: { '#free': 'free', '#sold': 'sold', '#b0': `b${B}` },
        ExpressionAttributeValues: { ':held': -2, ':free': 0, ':sold': 2, ':b0': -2 },
      });
    });

    it('resells: adds sold, takes free, within free when the price has stock', () => {
      expect(ledgerUpdate([{ kind: 'resell', quantity: 2 }])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #sold :sold',
        ConditionExpression: `${THIS_VERSION} AND (attribute_not_exists(#stock) OR #free >= :need)`,
        ExpressionAttributeNames: { '#free': 'free', '#sold': 'sold', '#stock': 'stock' },
        ExpressionAttributeValues: { ':held': 0, ':free': -2, ':sold': 2, ':need': 2 },
      });
    });

    it('moves an extended hold from a bucket still there to its new one', () => {
      expect(ledgerUpdate([{ kind: 'move', quantity: 2, bucket: B, to: B + 900 }])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #b0 :b0, #b1 :b1',
        ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0)`,
        ExpressionAttributeNames: { '#free': 'free', '#b0': `b${B}`, '#b1': `b${B + 900}` },
        ExpressionAttributeValues: { ':held': 0, ':free': 0, ':b0': -2, ':b1': 2 },
      });
    });

    it('returns: takes from sold, gives back free, while that many are sold', () => {
      expect(ledgerUpdate([{ kind: 'return', quantity: 3 }])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #sold :sold',
        ConditionExpression: `${THIS_VERSION} AND #sold >= :minSold`,
        ExpressionAttributeNames: { '#free': 'free', '#sold': 'sold' },
        ExpressionAttributeValues: { ':held': 0, ':free': 3, ':sold': -3, ':minSold': 3 },
      });
      // A sale before it in the same write covers it: no condition on sold.
      expect(ledgerUpdate([{ kind: 'sell', quantity: 3, bucket: B }, { kind: 'return', quantity: 3 }]).ConditionExpression).toBe(`${THIS_VERSION} AND attribute_exists(#b0)`);
    });

    it('sets the stock from the stock read, free moving by the difference', () => {
      expect(ledgerUpdate([{ kind: 'stock', total: 10, previous: null }])).toMatchObject({
        UpdateExpression: 'SET #stock = :stock ADD held :held, #free :free',
        ConditionExpression: `${THIS_VERSION} AND attribute_not_exists(#stock)`,
        ExpressionAttributeNames: { '#free': 'free', '#stock': 'stock' },
        ExpressionAttributeValues: { ':stock': 10, ':held': 0, ':free': 10 },
      });
      expect(ledgerUpdate([{ kind: 'stock', total: 4, previous: 10 }])).toMatchObject({
        UpdateExpression: 'SET #stock = :stock ADD held :held, #free :free',
        ConditionExpression: `${THIS_VERSION} AND #stock = :previous`,
        ExpressionAttributeValues: { ':stock': 4, ':previous': 10, ':held': 0, ':free': -6 },
      });
    });

    it('releases ended buckets in the same write, each conditioned on the tickets read', () => {
      expect(ledgerUpdate([{ kind: 'release', quantity: 1, bucket: B }, { kind: 'hold', quantity: 2, bucket: B + 60, maxHeld: 10 }], [[E, 4]])).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #b0 :b0, #b1 :b1 REMOVE #e0',
        ConditionExpression: `${THIS_VERSION} AND attribute_exists(#b0) AND #e0 = :e0 AND (attribute_not_exists(held) OR held <= :limit) AND (attribute_not_exists(#stock) OR #free >= :need)`,
        ExpressionAttributeNames: { '#free': 'free', '#b0': `b${B}`, '#b1': `b${B + 60}`, '#e0': `b${E}`, '#stock': 'stock' },
        // held: −1 + 2 − 4; free: +1 − 2 + 4; limit: held − 4 − 1 + 2 ≤ 10; need: free + 4 + 1 ≥ 2.
        ExpressionAttributeValues: { ':held': -3, ':free': 3, ':b0': -1, ':b1': 2, ':e0': 4, ':limit': 13, ':need': -3 },
      });
    });

    it('adopts a ledger of the previous version: conditioned on its held, free set from it', () => {
      expect(ledgerUpdate([{ kind: 'hold', quantity: 2, bucket: B }], [[E, 1]], { held: 5 })).toMatchObject({
        UpdateExpression: 'ADD held :held, #free :free, #b0 :b0 REMOVE #e0',
        ConditionExpression: 'attribute_not_exists(#free) AND held = :adopt AND #e0 = :e0 AND (attribute_not_exists(#stock) OR #free >= :need)',
        // free = 0 − 5 (adopted) − 2 + 1 (ended) = −6 = −(5 − 1 + 2).
        ExpressionAttributeValues: { ':adopt': 5, ':held': 1, ':free': -6, ':b0': 2, ':e0': 1, ':need': 1 },
      });
    });

    it('names and gives exactly what its expressions use, for any mix of entries', () => {
      const mixes: LedgerEntry[][] = [
        [{ kind: 'release', quantity: 1, bucket: B }, { kind: 'sell', quantity: 1, bucket: B + 1 }, { kind: 'return', quantity: 1 }, { kind: 'hold', quantity: 1, bucket: B, maxHeld: 9 }, { kind: 'resell', quantity: 1 }],
        [{ kind: 'move', quantity: 1, bucket: B, to: B + 2 }],
        [{ kind: 'stock', total: 0, previous: 3 }],
        [],
      ];
      for (const entries of mixes) {
        for (const adopt of [undefined, { held: 2 }]) {
          const update = ledgerUpdate(entries, [[E, 1]], adopt);
          const text = `${update.UpdateExpression} ${update.ConditionExpression}`;
          expect(Object.keys(update.ExpressionAttributeValues!).sort()).toEqual([...new Set(text.match(/:\w+/g))].sort());
          expect(Object.keys(update.ExpressionAttributeNames!).sort()).toEqual([...new Set(text.match(/#\w+/g))].sort());
        }
      }
    });

    it('writes a bare change as built: held, free and sold by the change, its limits as given', () => {
      const change: LedgerChange = { deltas: new Map([[10, 3]]), mustExist: [], ended: [], held: 3, sold: 0, free: -3, limit: -1 };
      expect(updateLedger('t', 'hold#x', change).Update!.ConditionExpression).toBe(`${THIS_VERSION} AND held <= :limit`);
      expect(updateLedger('t', 'hold#x', { ...change, limit: 0 }).Update!.ConditionExpression).toBe(`${THIS_VERSION} AND (attribute_not_exists(held) OR held <= :limit)`);
      // A need with the stock set by the same write compares free alone.
      expect(updateLedger('t', 'hold#x', { ...change, limit: undefined, need: 1, stock: { total: 5, previous: null } }).Update!.ConditionExpression).toBe(
        `${THIS_VERSION} AND #free >= :need AND attribute_not_exists(#stock)`,
      );
    });
  });

  describe('count queries', () => {
    it('queries each of the 32 shards once per status asked for, a price by its key range', () => {
      const byPrice = countQueries('t', { eventId: 'e', priceId: 'p', status: ['CREATED', 'CONFIRMING'] }, NOW, 25);
      expect(byPrice).toHaveLength(32);
      expect(byPrice[5]).toEqual([
        {
          TableName: 't',
          IndexName: 'countShard-countKey-index',
          KeyConditionExpression: 'countShard = :shard AND countKey BETWEEN :key AND :last',
          FilterExpression: 'expiresAt > :now',
          ProjectionExpression: 'quantity, countKey',
          ExpressionAttributeValues: { ':shard': 'e#5', ':key': 'CREATED#p', ':last': `CREATED#p${HOLD_SEPARATOR}:`, ':now': 1_900_000_000 },
          Limit: 25,
        },
        expect.objectContaining({ ExpressionAttributeValues: expect.objectContaining({ ':key': 'CONFIRMING#p', ':last': `CONFIRMING#p${HOLD_SEPARATOR}:` }) }),
      ]);
      expect(countQueries('t', { eventId: 'e' }, NOW, undefined)[0]).toEqual([expect.objectContaining({ KeyConditionExpression: 'countShard = :shard' })]);
      expect(countQueries('t', { eventId: 'e' }, NOW, undefined)[0]![0]).not.toHaveProperty('Limit');
      expect(countQueries('t', { eventId: 'e', status: ['CANCELLED'] }, NOW, undefined)[0]![0]!).toMatchObject({
        KeyConditionExpression: 'countShard = :shard AND begins_with(countKey, :key)',
        ExpressionAttributeValues: { ':key': 'CANCELLED#' },
      });
    });

    it('reads a lapsed hold where it is stored: EXPIRED asks for CREATED and CONFIRMING, each once', () => {
      const keys = (filter: Parameters<typeof countQueries>[1]) => countQueries('t', filter, NOW, undefined)[0]!.map((q) => q.ExpressionAttributeValues![':key']);
      expect(keys({ eventId: 'e', status: ['EXPIRED'] })).toEqual(['CREATED#', 'CONFIRMING#']);
      expect(keys({ eventId: 'e', priceId: 'p', status: ['EXPIRED', 'CREATED', 'COMPLETED'] })).toEqual(['CREATED#p', 'CONFIRMING#p', 'COMPLETED#p']);
      // A price without a status reads every stored status of that price.
      expect(keys({ eventId: 'e', priceId: 'p' })).toEqual(['CREATED#p', 'CONFIRMING#p', 'COMPLETED#p', 'CANCELLED#p']);
      expect(keys({ eventId: 'e', status: [] })).toEqual([]);
    });

    it('keeps a price\'s range to its own keys: a key with a hold lapse is in it, another price\'s key is not', () => {
      const [query] = countQueries('t', { eventId: 'e', priceId: 'p', status: ['CREATED'] }, NOW, undefined)[0]!;
      const { ':key': low, ':last': high } = query!.ExpressionAttributeValues as Record<string, string>;
      // DynamoDB compares strings by their UTF-8 bytes.
      const between = (key: string) => Buffer.compare(Buffer.from(low!), Buffer.from(key)) <= 0 && Buffer.compare(Buffer.from(key), Buffer.from(high!)) <= 0;
      expect(between('CREATED#p')).toBe(true);
      expect(between(`CREATED#p${HOLD_SEPARATOR}0`)).toBe(true);
      expect(between(`CREATED#p${HOLD_SEPARATOR}1900000600`)).toBe(true);
      expect(between(`CREATED#p${HOLD_SEPARATOR}99999999999`)).toBe(true);
      for (const other of ['CREATED#p ', 'CREATED#p!', 'CREATED#p#', 'CREATED#p0', 'CREATED#pa', 'CREATED#p\u00e9', 'CREATED#p\u{1F600}', 'CREATED#q', 'CREATED#', 'CONFIRMING#p', `CREATED#pp${HOLD_SEPARATOR}1`]) {
        expect([other, between(other)]).toEqual([other, false]);
      }
    });
  });
});
