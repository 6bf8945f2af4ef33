import { countQueries, deleteSession, putNewSession, transitionUpdate, updateLedger } from './dynamodb-checkout-session.commands.js';
import { type CheckoutSessionItem, MAX_TRANSITION_TOKENS } from './dynamodb-checkout-session.items.js';

const NOW = 1_900_000_000_500;
const item: CheckoutSessionItem = {
  id: 'a0000000-0000-4000-8000-000000000000',
  eventId: 'e',
  priceId: 'p',
  quantity: 2,
  status: 'CREATED',
  createdAt: NOW,
  expiresAt: 1_900_086_400,
  holdBucket: 1_900_087_000,
};

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
    const first = transitionUpdate('t', item, 'CONFIRMING', 'tok-1', NOW);
    expect(first.ConditionExpression).toBe('attribute_exists(id) AND expiresAt > :now AND #status = :current AND attribute_not_exists(transitionCount)');
    expect(first.ExpressionAttributeValues).toMatchObject({ ':to': 'CONFIRMING', ':current': 'CREATED', ':countKey': 'CONFIRMING#p', ':tokens': ['tok-1'], ':next': 1 });
    const tokens = Array.from({ length: MAX_TRANSITION_TOKENS }, (_, i) => `old-${i}`);
    const later = transitionUpdate('t', { ...item, status: 'CONFIRMING', transitionCount: 41, transitionTokens: tokens }, 'CREATED', 'tok-42', NOW);
    expect(later.ConditionExpression).toContain('transitionCount = :count');
    expect(later.ExpressionAttributeValues).toMatchObject({ ':count': 41, ':next': 42, ':tokens': [...tokens.slice(1), 'tok-42'] });
    expect((later.ExpressionAttributeValues![':tokens'] as string[]).length).toBe(MAX_TRANSITION_TOKENS);
  });

  it('conditions a delete on the status read only when it releases a hold', () => {
    expect(deleteSession('t', item, true, NOW)).toMatchObject({ ConditionExpression: '#status = :current AND expiresAt > :now' });
    expect(deleteSession('t', item, false, NOW)).toEqual({ TableName: 't', Key: { id: item.id } });
  });

  it('writes a ledger change without a condition when nothing limits or releases', () => {
    const update = updateLedger('t', 'hold#x', { deltas: new Map([[10, 3]]), mustExist: [], ended: [] }).Update!;
    expect(update).toEqual({
      TableName: 't',
      Key: { id: 'hold#x' },
      UpdateExpression: 'ADD held :held, #b0 :b0',
      ExpressionAttributeNames: { '#b0': 'b10' },
      ExpressionAttributeValues: { ':held': 3, ':b0': 3 },
    });
    // A limit below 0 fails on a missing ledger too: no create fits.
    expect(updateLedger('t', 'hold#x', { deltas: new Map([[10, 3]]), mustExist: [], ended: [], limit: -1 }).Update!.ConditionExpression).toBe('held <= :limit');
  });

  it('queries each of the 32 shards once per status asked for', () => {
    const byPrice = countQueries('t', { eventId: 'e', priceId: 'p', status: ['CREATED', 'CONFIRMING'] }, NOW, 25);
    expect(byPrice).toHaveLength(32);
    expect(byPrice[5]).toEqual([
      expect.objectContaining({ KeyConditionExpression: 'countShard = :shard AND countKey = :key', ExpressionAttributeValues: { ':shard': 'e#5', ':key': 'CREATED#p', ':now': 1_900_000_000 }, Limit: 25 }),
      expect.objectContaining({ ExpressionAttributeValues: expect.objectContaining({ ':key': 'CONFIRMING#p' }) }),
    ]);
    expect(countQueries('t', { eventId: 'e' }, NOW, undefined)[0]).toEqual([expect.objectContaining({ KeyConditionExpression: 'countShard = :shard' })]);
    expect(countQueries('t', { eventId: 'e', status: ['CANCELLED'] }, NOW, undefined)[0]![0]!.ExpressionAttributeValues).toMatchObject({ ':key': 'CANCELLED#' });
  });
});
