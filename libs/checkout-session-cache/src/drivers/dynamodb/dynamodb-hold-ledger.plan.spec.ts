import fc from 'fast-check';
import { ledgerChange, type LedgerEntry, replanLedger } from './dynamodb-hold-ledger.plan.js';

const BUCKET = 2_000_000_000;
const NOW = 1_900_000_000_000;

/** Applies entries one by one as the memory driver does: whether each create fits, and the held after. */
function oneByOne(held: number, entries: LedgerEntry[]): { fits: boolean[]; held: number } {
  const fits = entries.map((entry) => {
    if (entry.delta > 0 && entry.maxHeld !== undefined && held + entry.delta > entry.maxHeld) return false;
    held += entry.delta;
    return true;
  });
  return { fits, held };
}

const entries = fc.array(
  fc.oneof(
    fc.record({ delta: fc.integer({ min: 1, max: 5 }), bucket: fc.constant(BUCKET), maxHeld: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }) }),
    fc.record({ delta: fc.integer({ min: -5, max: -1 }), bucket: fc.constant(BUCKET) }),
  ),
  { maxLength: 12 },
);
const releasesFirst = (list: LedgerEntry[]) => [...list.filter((e) => e.delta < 0), ...list.filter((e) => e.delta > 0)];

describe('ledgerChange', () => {
  it('precomputes one condition that holds exactly when every create fits, applied one by one in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), entries, (held, list) => {
        const ordered = releasesFirst(list);
        const change = ledgerChange(ordered);
        const passes = change.limit === undefined || held <= change.limit;
        expect(passes).toBe(oneByOne(held, ordered).fits.every(Boolean));
        expect([...change.deltas.values()].reduce((a, b) => a + b, 0)).toBe(ordered.reduce((sum, e) => sum + e.delta, 0));
      }),
    );
  });

  it('counts ended buckets released in the same write, and requires the buckets of releases to exist', () => {
    const change = ledgerChange([{ delta: -2, bucket: BUCKET }, { delta: 3, bucket: BUCKET + 60, maxHeld: 10 }], [[BUCKET - 60, 4]]);
    // held − 4 (ended) − 2 + 3 ≤ 10 → held ≤ 13.
    expect(change).toEqual({ deltas: new Map([[BUCKET, -2], [BUCKET + 60, 3]]), mustExist: [BUCKET], ended: [[BUCKET - 60, 4]], limit: 13 });
    expect(ledgerChange([{ delta: 1, bucket: BUCKET }])).not.toHaveProperty('limit');
  });
});

describe('replanLedger', () => {
  it('sends again only creates that fit in order, defers from the first that fits only alone, refuses one that fits in no order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), entries, (held, list) => {
        const ordered = releasesFirst(list);
        const ledger = { held, buckets: new Map([[BUCKET, held]]) };
        const { verdicts } = replanLedger(ledger, ordered, NOW, 0);
        const going = ordered.filter((_, i) => verdicts[i]!.verdict === 'go');
        // What goes again passes the condition it will carry.
        const limit = ledgerChange(going).limit;
        expect(limit === undefined || held <= limit).toBe(true);
        ordered.forEach((entry, i) => {
          const verdict = verdicts[i]!;
          if (verdict.verdict === 'soldOut') {
            // Refused only when it does not fit even after every release, with what was free then.
            const released = ordered.reduce((sum, e) => sum + Math.min(0, e.delta), 0);
            expect(held + released + entry.delta).toBeGreaterThan(entry.maxHeld!);
            expect(verdict.available).toBe(Math.max(0, entry.maxHeld! - held));
          }
          if (entry.delta < 0) expect(verdict.verdict).toBe('go');
        });
        // Call order: after the first create that waits, no create goes or is refused.
        const firstWait = verdicts.findIndex((v) => v.verdict === 'defer');
        if (firstWait >= 0) for (const v of verdicts.slice(firstWait)) expect(v.verdict === 'defer' || v.verdict === 'go').toBe(true);
        if (firstWait >= 0) ordered.slice(firstWait).forEach((e, i) => e.delta > 0 && expect(verdicts[firstWait + i]!.verdict).toBe('defer'));
      }),
    );
  });

  it('releases ended buckets and answers a release whose bucket is gone as released already', () => {
    const ended = Math.floor(NOW / 1000) - 10;
    const ledger = { held: 6, buckets: new Map([[BUCKET, 4], [ended, 2]]) };
    const plan = replanLedger(ledger, [{ delta: -1, bucket: BUCKET + 999 }, { delta: -1, bucket: ended }, { delta: 6, bucket: BUCKET, maxHeld: 10 }], NOW, 0);
    expect(plan.ended).toEqual([[ended, 2]]);
    expect(plan.verdicts).toEqual([{ verdict: 'bucketReleased' }, { verdict: 'bucketReleased' }, { verdict: 'go' }]);
  });

  it('keeps a bucket until its end plus the release margin', () => {
    const end = Math.floor(NOW / 1000);
    const ledger = { held: 1, buckets: new Map([[end, 1]]) };
    expect(replanLedger(ledger, [], NOW + 999, 1000).ended).toEqual([]);
    expect(replanLedger(ledger, [], NOW + 1000, 1000).ended).toEqual([[end, 1]]);
  });
});
