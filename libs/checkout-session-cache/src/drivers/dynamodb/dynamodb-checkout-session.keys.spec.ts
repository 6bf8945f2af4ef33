import fc from 'fast-check';
import { countedStatusOf, storedStatusesOf } from './dynamodb-checkout-session.commands.js';
import { countKeyOf, countShardOf, countShardsOf, HOLD_SEPARATOR, holdExpiryOfCountKey, ledgerIdOf, metadataIdOf } from './dynamodb-checkout-session.keys.js';
import { COUNT_INDEX_SHARDS } from './dynamodb-checkout-session.layout.js';
import type { CheckoutSessionStatus, CheckoutSessionStoredStatus } from '../../interfaces/checkout-session.interface.js';

const NOW = 1_900_000_000_500;
const NOW_S = 1_900_000_000;
const STORED: CheckoutSessionStoredStatus[] = ['CREATED', 'CONFIRMING', 'COMPLETED', 'CANCELLED'];
/** What an identifier may be: no control character (the schemas refuse them). */
const identifier = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !/\p{Cc}/u.test(s));

describe('count keys', () => {
  it('files a holding session under its price and hold lapse, any other under its price alone', () => {
    expect(countKeyOf('CREATED', 'p', NOW_S)).toBe(`CREATED#p${HOLD_SEPARATOR}${NOW_S}`);
    expect(countKeyOf('CONFIRMING', 'p', NOW_S)).toBe(`CONFIRMING#p\u001f${NOW_S}`);
    expect(countKeyOf('COMPLETED', 'p', NOW_S)).toBe('COMPLETED#p');
    expect(countKeyOf('CANCELLED', 'p', NOW_S)).toBe('CANCELLED#p');
    // A session of the previous layout, or a key built for a query: the price alone.
    expect(countKeyOf('CREATED', 'p')).toBe('CREATED#p');
    expect(holdExpiryOfCountKey('CREATED#p')).toBeUndefined();
    expect(holdExpiryOfCountKey('COMPLETED#p')).toBeUndefined();
  });

  it('reads back the hold lapse of any key, whatever the price (a # in it included)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STORED), identifier, fc.integer({ min: 0, max: 99_999_999_999 }), (status, priceId, lapse) => {
        const key = countKeyOf(status, priceId, lapse);
        const holding = status === 'CREATED' || status === 'CONFIRMING';
        expect(holdExpiryOfCountKey(key)).toBe(holding ? lapse : undefined);
        expect(key.startsWith(`${status}#${priceId}`)).toBe(true);
      }),
    );
  });

  it('spreads an event over its shards by the id\'s first two hex digits', () => {
    expect(countShardsOf('e')).toEqual(Array.from({ length: COUNT_INDEX_SHARDS }, (_, n) => `e#${n}`));
    expect(countShardOf('e', '00aa')).toBe('e#0');
    expect(countShardOf('e', '1f00')).toBe('e#31');
    expect(countShardOf('e', 'ff00')).toBe(`e#${255 % COUNT_INDEX_SHARDS}`);
    fc.assert(fc.property(fc.uuid(), (id) => expect(countShardsOf('e')).toContain(countShardOf('e', id))));
  });

  it('keeps the ids of ledgers and metadata apart for any two pairs', () => {
    expect(ledgerIdOf('e', 'p')).toBe('hold#["e","p"]');
    expect(ledgerIdOf('a#b', 'c')).not.toBe(ledgerIdOf('a', 'b#c'));
    expect(metadataIdOf('s')).toBe('metadata#s');
  });
});

describe('countedStatusOf', () => {
  it('reads a holding session as EXPIRED from the second its hold lapses, never before', () => {
    for (const status of ['CREATED', 'CONFIRMING'] as const) {
      expect(countedStatusOf(countKeyOf(status, 'p', NOW_S + 1), NOW)).toBe(status);
      expect(countedStatusOf(countKeyOf(status, 'p', NOW_S), NOW)).toBe('EXPIRED');
      expect(countedStatusOf(countKeyOf(status, 'p', NOW_S), NOW_S * 1000)).toBe('EXPIRED');
      expect(countedStatusOf(countKeyOf(status, 'p', NOW_S), NOW_S * 1000 - 1)).toBe(status);
      expect(countedStatusOf(countKeyOf(status, 'p', NOW_S - 3600), NOW)).toBe('EXPIRED');
    }
  });

  it('reads the stored status of a key without a hold lapse (ended sessions, sessions of 0.1.0)', () => {
    expect(countedStatusOf('COMPLETED#p', NOW)).toBe('COMPLETED');
    expect(countedStatusOf('CANCELLED#p', NOW)).toBe('CANCELLED');
    expect(countedStatusOf('CREATED#p', NOW)).toBe('CREATED');
    expect(countedStatusOf('CONFIRMING#p', NOW)).toBe('CONFIRMING');
  });

  it('agrees with the lapse by the clock (holdExpiresAt × 1000 ≤ now) for any price and time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STORED),
        identifier,
        fc.integer({ min: NOW_S - 100, max: NOW_S + 100 }),
        fc.integer({ min: (NOW_S - 100) * 1000, max: (NOW_S + 100) * 1000 }),
        (status, priceId, lapse, now) => {
          const holding = status === 'CREATED' || status === 'CONFIRMING';
          const expected: CheckoutSessionStatus = holding && lapse * 1000 <= now ? 'EXPIRED' : status;
          expect(countedStatusOf(countKeyOf(status, priceId, lapse), now)).toBe(expected);
        },
      ),
    );
  });
});

describe('storedStatusesOf', () => {
  it('reads EXPIRED where lapsed holds are stored, each stored status once', () => {
    expect(storedStatusesOf(['EXPIRED'])).toEqual(['CREATED', 'CONFIRMING']);
    expect(storedStatusesOf(['COMPLETED', 'EXPIRED', 'CONFIRMING'])).toEqual(['COMPLETED', 'CREATED', 'CONFIRMING']);
    expect(storedStatusesOf(['CANCELLED'])).toEqual(['CANCELLED']);
    expect(storedStatusesOf([])).toEqual([]);
  });
});
