import fc from 'fast-check';
import { endedBuckets } from '../../checkout-session-cache.holds.js';
import type { LedgerChange } from './dynamodb-checkout-session.commands.js';
import { ledgerChange, type LedgerEntry, type LedgerVerdict, replanLedger, type StoredLedger, takesTickets } from './dynamodb-hold-ledger.plan.js';

const NOW = 1_900_000_000_000;
const NOW_S = NOW / 1000;
/** Buckets still running at NOW. */
const LIVE = [NOW_S + 60, NOW_S + 120];
/** Buckets ended at NOW: a bucket ends once `now >= bucket × 1000`, so NOW_S itself has ended. */
const ENDED = [NOW_S - 60, NOW_S];
/** A bucket no ledger here has: the holds it kept were released already. */
const MISSING = NOW_S + 999;
/** Where new holds and extended holds go. */
const FUTURE = NOW_S + 600;

// ---------------------------------------------------------------------------------------------------------------
// The reference: a ledger changed one entry at a time, as the memory driver changes it.
// ---------------------------------------------------------------------------------------------------------------

/** A ledger as the one-by-one model keeps it. `free` = (stock or 0) − held − sold. */
interface ModelLedger {
  held: number;
  sold: number;
  stock: number | undefined;
  free: number;
  buckets: Map<number, number>;
  /** The buckets the ledger had as read, less those released: what a release, sale or move may take from. */
  present: ReadonlySet<number>;
}

/** `free` of a ledger as read: kept by this version, (stock or 0) − held − sold for an earlier one (or none). */
const storedFreeOf = (ledger: StoredLedger): number => ledger.free ?? (ledger.stock ?? 0) - ledger.held - ledger.sold;

/** The ledger once `ended` buckets are released from it. */
function modelOf(ledger: StoredLedger, ended: readonly (readonly [number, number])[]): ModelLedger {
  const buckets = new Map(ledger.buckets);
  let released = 0;
  for (const [bucket, tickets] of ended) {
    buckets.delete(bucket);
    released += tickets;
  }
  return { held: ledger.held - released, sold: ledger.sold, stock: ledger.stock, free: storedFreeOf(ledger) + released, buckets, present: new Set(buckets.keys()) };
}

const copy = (m: ModelLedger): ModelLedger => ({ ...m, buckets: new Map(m.buckets) });

/** Whether `entry` may be applied to `m` now: its limits hold, its bucket is still there. */
function fits(m: ModelLedger, entry: LedgerEntry): boolean {
  switch (entry.kind) {
    case 'hold':
      return (entry.maxHeld === undefined || m.held + entry.quantity <= entry.maxHeld) && (m.stock === undefined || m.free >= entry.quantity);
    case 'resell':
      return m.stock === undefined || m.free >= entry.quantity;
    case 'release':
    case 'sell':
    case 'move':
      // The bucket as read: a write cannot take from one it creates.
      return m.present.has(entry.bucket);
    case 'return':
      return m.sold >= entry.quantity;
    case 'stock':
      return (m.stock ?? null) === entry.previous;
  }
}

const addTo = (buckets: Map<number, number>, bucket: number, delta: number) => buckets.set(bucket, (buckets.get(bucket) ?? 0) + delta);

/** Applies `entry` to `m`, in place. */
function apply(m: ModelLedger, entry: LedgerEntry): void {
  switch (entry.kind) {
    case 'hold':
      m.held += entry.quantity;
      m.free -= entry.quantity;
      addTo(m.buckets, entry.bucket, entry.quantity);
      return;
    case 'release':
      m.held -= entry.quantity;
      m.free += entry.quantity;
      addTo(m.buckets, entry.bucket, -entry.quantity);
      return;
    case 'sell':
      m.held -= entry.quantity;
      m.sold += entry.quantity;
      addTo(m.buckets, entry.bucket, -entry.quantity);
      return;
    case 'resell':
      m.sold += entry.quantity;
      m.free -= entry.quantity;
      return;
    case 'move':
      addTo(m.buckets, entry.bucket, -entry.quantity);
      addTo(m.buckets, entry.to, entry.quantity);
      return;
    case 'return':
      m.sold -= entry.quantity;
      m.free += entry.quantity;
      return;
    case 'stock':
      m.free += entry.total - (m.stock ?? 0);
      m.stock = entry.total;
      return;
  }
}

/** Applies the entries one by one, in order: whether every one fits where it comes, and the ledger after all. */
function oneByOne(start: ModelLedger, entries: readonly LedgerEntry[]): { allFit: boolean; after: ModelLedger } {
  const m = copy(start);
  let allFit = true;
  for (const entry of entries) {
    if (!fits(m, entry)) allFit = false;
    apply(m, entry);
  }
  return { allFit, after: m };
}

/**
 * Whether the write of `change` passes its conditions on `ledger` as read (what `updateLedger` asks of DynamoDB,
 * evaluated on numbers): the ledger's version (or the adoption's `held`), `held ≤ limit`, `free ≥ need` when the price
 * has stock, `sold ≥ minSold`, the stock read, and every bucket taken from still there and not released by this write.
 */
function passes(ledger: StoredLedger, change: LedgerChange): boolean {
  const released = new Set(change.ended.map(([bucket]) => bucket));
  const version = change.adopt === undefined ? ledger.free !== undefined || !ledger.exists : ledger.free === undefined && ledger.held === change.adopt.held;
  const hasStock = ledger.stock !== undefined || change.stock !== undefined;
  return (
    version &&
    change.ended.every(([bucket, tickets]) => ledger.buckets.get(bucket) === tickets) &&
    change.mustExist.every((bucket) => ledger.buckets.has(bucket) && !released.has(bucket)) &&
    (change.limit === undefined || ledger.held <= change.limit) &&
    (change.need === undefined || !hasStock || storedFreeOf(ledger) >= change.need) &&
    (change.minSold === undefined || ledger.sold >= change.minSold) &&
    (change.stock === undefined || (ledger.stock ?? null) === change.stock.previous)
  );
}

/** The ledger a passing write of `change` leaves: its numbers added to the attributes (missing: 0), ended buckets gone. */
function written(ledger: StoredLedger, change: LedgerChange): Omit<ModelLedger, 'present'> {
  const released = change.ended.reduce((sum, [, tickets]) => sum + tickets, 0);
  const buckets = new Map(ledger.buckets);
  for (const [bucket] of change.ended) buckets.delete(bucket);
  for (const [bucket, delta] of change.deltas) addTo(buckets, bucket, delta);
  return {
    held: ledger.held + change.held - released,
    sold: ledger.sold + change.sold,
    stock: change.stock === undefined ? ledger.stock : change.stock.total,
    // `free` of an earlier version's ledger is set from its `held`: ADD on a missing attribute starts from 0.
    free: (ledger.free ?? 0) + change.free + released - (change.adopt?.held ?? 0),
    buckets,
  };
}

/** The batch order: the entries that free tickets first, then those that take some, each in call order. */
const batchOrder = (list: readonly LedgerEntry[]) => [...list.filter((e) => !takesTickets(e)), ...list.filter(takesTickets)];

/**
 * What `replanLedger` must answer, from the model: every freeing entry decided in order (a return against the tickets
 * sold where it comes), then the takers in call order: each that fits after the ones before it goes; the first that
 * fits only after the freeing entries waits, and so does every taker after it; one that fits in no order is sold out,
 * with the smaller room of the ledger as read (past its ended buckets).
 */
function expectedVerdicts(ledger: StoredLedger, entries: readonly LedgerEntry[]): LedgerVerdict[] {
  const read = modelOf(ledger, endedBuckets(ledger, NOW));
  const m = copy(read);
  const early = entries.map((entry): LedgerVerdict | undefined => {
    if (takesTickets(entry)) return undefined;
    if (fits(m, entry)) {
      apply(m, entry);
      return { verdict: 'go' };
    }
    if (entry.kind === 'stock') return { verdict: 'stale', stock: m.stock ?? null };
    if (entry.kind === 'return') return { verdict: 'notSold', sold: m.sold };
    return { verdict: 'bucketReleased' };
  });
  const freed = copy(m);
  let waiting = false;
  return entries.map((entry, i): LedgerVerdict => {
    if (early[i] !== undefined) return early[i];
    if (waiting) return { verdict: 'defer' };
    if (fits(m, entry)) {
      apply(m, entry);
      return { verdict: 'go' };
    }
    if (fits(freed, entry)) {
      waiting = true;
      return { verdict: 'defer' };
    }
    const maxHeld = entry.kind === 'hold' ? entry.maxHeld : undefined;
    const rooms = [...(maxHeld === undefined ? [] : [maxHeld - read.held]), ...(read.stock === undefined ? [] : [read.free])];
    return { verdict: 'soldOut', available: Math.max(0, Math.min(...rooms)) };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries: ledgers of this version, of the previous one, or none; entries of every kind.
// ---------------------------------------------------------------------------------------------------------------

const quantity = fc.integer({ min: 1, max: 5 });
const someBucket = fc.constantFrom(...LIVE, ...ENDED, MISSING);
const bucketsArb = fc.uniqueArray(fc.tuple(fc.constantFrom(...LIVE, ...ENDED, FUTURE), fc.integer({ min: 0, max: 8 })), { selector: ([b]) => b, maxLength: 5 });
const sum = (buckets: readonly (readonly [number, number])[]) => buckets.reduce((total, [, tickets]) => total + tickets, 0);

/** A ledger this version wrote: `held` the sum of its buckets, `free` kept. */
const currentLedger: fc.Arbitrary<StoredLedger> = fc
  .record({ buckets: bucketsArb, sold: fc.integer({ min: 0, max: 20 }), stock: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }) })
  .map(({ buckets, sold, stock }) => {
    const held = sum(buckets);
    return { held, buckets: new Map(buckets), sold, ...(stock !== undefined && { stock }), free: (stock ?? 0) - held - sold, exists: true };
  });
/** A ledger of 0.1.0: held by bucket, no `free`, no stock, nothing sold. */
const legacyLedger: fc.Arbitrary<StoredLedger> = bucketsArb.map((buckets) => ({ held: sum(buckets), buckets: new Map(buckets), sold: 0, exists: true }));
const missingLedger: StoredLedger = { held: 0, buckets: new Map(), sold: 0, exists: false };
const ledgerArb = fc.oneof({ weight: 6, arbitrary: currentLedger }, { weight: 2, arbitrary: legacyLedger }, { weight: 1, arbitrary: fc.constant(missingLedger) });

const holdArb = fc
  .record({ quantity, bucket: fc.constantFrom(FUTURE, LIVE[0]!), maxHeld: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }) })
  .map(({ maxHeld, ...rest }): LedgerEntry => ({ kind: 'hold', ...rest, ...(maxHeld !== undefined && { maxHeld }) }));
const entryArb: fc.Arbitrary<LedgerEntry> = fc.oneof(
  { weight: 4, arbitrary: holdArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), quantity, bucket: someBucket }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sell' as const), quantity, bucket: someBucket }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const), quantity, bucket: someBucket, to: fc.constant(FUTURE) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resell' as const), quantity }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('return' as const), quantity }) },
);
/**
 * A stock change, with the stock it was read from. The batcher sends one alone, so it is drawn alone here (with takers
 * after it, `free` is compared before the stock it sets: see the batcher spec).
 */
const stockEntry = (ledger: StoredLedger): fc.Arbitrary<LedgerEntry> =>
  fc.record({
    kind: fc.constant('stock' as const),
    total: fc.integer({ min: 0, max: 60 }),
    previous: fc.oneof(fc.constant(ledger.stock ?? null), fc.constant(null), fc.integer({ min: 0, max: 60 })),
  });
/** A ledger and a batch of entries for it: entries of every kind but stock, or one stock change alone. */
const batchArb = ledgerArb.chain((ledger) =>
  fc.tuple(fc.constant(ledger), fc.oneof({ weight: 9, arbitrary: fc.array(entryArb, { maxLength: 12 }) }, { weight: 1, arbitrary: stockEntry(ledger).map((e) => [e]) })),
);
/** Some of the ledger's ended buckets, as housekeeping found them: those a write releases. */
const endedArb = (ledger: StoredLedger) => fc.subarray(endedBuckets(ledger, NOW));

const adoptionOf = (ledger: StoredLedger) => (ledger.exists && ledger.free === undefined ? { held: ledger.held } : undefined);

describe('ledgerChange', () => {
  it('precomputes conditions that hold exactly when every entry fits, applied one by one in order, and writes what the model ends with', () => {
    fc.assert(
      fc.property(
        batchArb.chain(([ledger, list]) => fc.tuple(fc.constant(ledger), fc.constant(list), endedArb(ledger), fc.boolean())),
        ([ledger, list, ended, inBatchOrder]) => {
          // The batch order (what the batcher sends), or any order: the conditions follow the order they are given.
          const entries = inBatchOrder ? batchOrder(list) : list;
          const change = ledgerChange(entries, ended, adoptionOf(ledger));
          const model = oneByOne(modelOf(ledger, ended), entries);
          expect(passes(ledger, change)).toBe(model.allFit);
          if (!model.allFit) return;
          const after = written(ledger, change);
          const { present: _present, ...expected } = model.after;
          expect(after).toEqual(expected);
          // The invariant every write keeps.
          expect(after.free).toBe((after.stock ?? 0) - after.held - after.sold);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('sums the held, sold and free changes and the bucket deltas, and names the buckets taken from', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 12 }), (entries) => {
        const change = ledgerChange(entries);
        const m = oneByOne({ held: 0, sold: 0, stock: undefined, free: 0, buckets: new Map(), present: new Set() }, entries).after;
        expect({ held: change.held, sold: change.sold, free: change.free }).toEqual({ held: m.held, sold: m.sold, free: m.free });
        expect(new Map([...change.deltas])).toEqual(m.buckets);
        const takenFrom = entries.flatMap((e) => (e.kind === 'release' || e.kind === 'sell' || e.kind === 'move' ? [e.bucket] : []));
        expect([...change.mustExist].sort()).toEqual([...new Set(takenFrom)].sort());
      }),
    );
  });

  it('counts ended buckets released in the same write, and requires the buckets of releases to exist', () => {
    const BUCKET = LIVE[0]!;
    const change = ledgerChange(
      [
        { kind: 'release', quantity: 2, bucket: BUCKET },
        { kind: 'hold', quantity: 3, bucket: BUCKET + 60, maxHeld: 10 },
      ],
      [[ENDED[0]!, 4]],
    );
    expect(change).toEqual({
      deltas: new Map([
        [BUCKET, -2],
        [BUCKET + 60, 3],
      ]),
      mustExist: [BUCKET],
      ended: [[ENDED[0]!, 4]],
      held: 1,
      sold: 0,
      free: -1,
      // held − 4 (ended) − 2 + 3 ≤ 10 → held ≤ 13.
      limit: 13,
      // free + 4 (ended) + 2 ≥ 3 → free ≥ −3.
      need: -3,
    });
    expect(ledgerChange([{ kind: 'hold', quantity: 1, bucket: BUCKET }])).not.toHaveProperty('limit');
  });

  it('gives each kind its change and condition', () => {
    const B = LIVE[0]!;
    expect(ledgerChange([{ kind: 'hold', quantity: 2, bucket: B }])).toEqual({ deltas: new Map([[B, 2]]), mustExist: [], ended: [], held: 2, sold: 0, free: -2, need: 2 });
    expect(ledgerChange([{ kind: 'release', quantity: 2, bucket: B }])).toEqual({ deltas: new Map([[B, -2]]), mustExist: [B], ended: [], held: -2, sold: 0, free: 2 });
    expect(ledgerChange([{ kind: 'sell', quantity: 2, bucket: B }])).toEqual({ deltas: new Map([[B, -2]]), mustExist: [B], ended: [], held: -2, sold: 2, free: 0 });
    expect(ledgerChange([{ kind: 'resell', quantity: 2 }])).toEqual({ deltas: new Map(), mustExist: [], ended: [], held: 0, sold: 2, free: -2, need: 2 });
    expect(ledgerChange([{ kind: 'move', quantity: 2, bucket: B, to: FUTURE }])).toEqual({
      deltas: new Map([
        [B, -2],
        [FUTURE, 2],
      ]),
      mustExist: [B],
      ended: [],
      held: 0,
      sold: 0,
      free: 0,
    });
    expect(ledgerChange([{ kind: 'return', quantity: 2 }])).toEqual({ deltas: new Map(), mustExist: [], ended: [], held: 0, sold: -2, free: 2, minSold: 2 });
    expect(ledgerChange([{ kind: 'stock', total: 10, previous: null }])).toEqual({
      deltas: new Map(),
      mustExist: [],
      ended: [],
      held: 0,
      sold: 0,
      free: 10,
      stock: { total: 10, previous: null },
    });
    expect(ledgerChange([{ kind: 'stock', total: 4, previous: 10 }])).toMatchObject({ free: -6, stock: { total: 4, previous: 10 } });
    expect(ledgerChange([], [], { held: 7 })).toMatchObject({ adopt: { held: 7 } });
  });

  it('lets a return count the tickets a sale before it in the same write sold, as one by one', () => {
    // Sold 0; a completion sells 2, then a refund returns 1: one by one, both apply.
    const ledger: StoredLedger = { held: 2, buckets: new Map([[LIVE[0]!, 2]]), sold: 0, stock: 10, free: 8, exists: true };
    const entries: LedgerEntry[] = [
      { kind: 'sell', quantity: 2, bucket: LIVE[0]! },
      { kind: 'return', quantity: 1 },
    ];
    expect(oneByOne(modelOf(ledger, []), entries).allFit).toBe(true);
    expect(passes(ledger, ledgerChange(entries))).toBe(true);
  });
});

describe('replanLedger', () => {
  it('answers each entry as the one-by-one model does: go in order, defer from the first that fits only alone, sold out when it fits in no order', () => {
    fc.assert(
      fc.property(batchArb, ([ledger, list]) => {
        const ordered = batchOrder(list);
        const plan = replanLedger(ledger, ordered, NOW);
        expect(plan.verdicts).toEqual(expectedVerdicts(ledger, ordered));
        // Every ended bucket is released by the next write, and a ledger of the previous version adopted.
        expect(new Map(plan.ended)).toEqual(new Map(endedBuckets(ledger, NOW)));
        expect(plan.adopt).toEqual(adoptionOf(ledger));
        // What goes again passes the conditions it will carry, on the ledger as returned.
        const going = ordered.filter((_, i) => plan.verdicts[i]!.verdict === 'go');
        expect(passes(ledger, ledgerChange(going, plan.ended, plan.adopt))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps call order among the takers: after the first that waits, none goes or is refused; freeing entries are never deferred', () => {
    fc.assert(
      fc.property(batchArb, ([ledger, list]) => {
        const ordered = batchOrder(list);
        const { verdicts } = replanLedger(ledger, ordered, NOW);
        const firstWait = verdicts.findIndex((v) => v.verdict === 'defer');
        ordered.forEach((entry, i) => {
          const verdict = verdicts[i]!.verdict;
          if (!takesTickets(entry)) expect(verdict).not.toBe('defer');
          else if (firstWait >= 0 && i >= firstWait) expect(verdict).toBe('defer');
          if (verdict === 'soldOut') {
            // Refused only when it does not fit even after every freeing entry that goes.
            const freed = modelOf(ledger, endedBuckets(ledger, NOW));
            ordered.forEach((e, j) => !takesTickets(e) && verdicts[j]!.verdict === 'go' && apply(freed, e));
            expect(fits(freed, entry)).toBe(false);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('releases ended buckets and answers a release whose bucket is gone or ended as released already', () => {
    const ledger: StoredLedger = { held: 6, buckets: new Map([[LIVE[0]!, 4], [ENDED[0]!, 2]]), sold: 0, free: -6, exists: true };
    const plan = replanLedger(
      ledger,
      [
        { kind: 'release', quantity: 1, bucket: MISSING },
        { kind: 'release', quantity: 1, bucket: ENDED[0]! },
        { kind: 'sell', quantity: 1, bucket: MISSING },
        { kind: 'move', quantity: 1, bucket: ENDED[0]!, to: FUTURE },
        { kind: 'hold', quantity: 6, bucket: LIVE[0]!, maxHeld: 10 },
      ],
      NOW,
    );
    expect(plan.ended).toEqual([[ENDED[0]!, 2]]);
    expect(plan.verdicts).toEqual([{ verdict: 'bucketReleased' }, { verdict: 'bucketReleased' }, { verdict: 'bucketReleased' }, { verdict: 'bucketReleased' }, { verdict: 'go' }]);
    expect(plan).not.toHaveProperty('adopt');
  });

  it('keeps a bucket until its end, and releases it from then', () => {
    const end = LIVE[0]!;
    const ledger: StoredLedger = { held: 1, buckets: new Map([[end, 1]]), sold: 0, free: -1, exists: true };
    expect(replanLedger(ledger, [], end * 1000 - 1).ended).toEqual([]);
    expect(replanLedger(ledger, [], end * 1000).ended).toEqual([[end, 1]]);
  });

  it('refuses a create with the smaller room of maxHeld and the stock, and a resale with the stock\'s', () => {
    // Stock 10, held 3 (1 of it in an ended bucket), sold 4: free 3, and 4 once the ended bucket goes.
    const ledger: StoredLedger = { held: 3, buckets: new Map([[LIVE[0]!, 2], [ENDED[0]!, 1]]), sold: 4, stock: 10, free: 3, exists: true };
    const hold = (q: number, maxHeld?: number): LedgerEntry => ({ kind: 'hold', quantity: q, bucket: FUTURE, ...(maxHeld !== undefined && { maxHeld }) });
    expect(replanLedger(ledger, [hold(5, 3)], NOW).verdicts).toEqual([{ verdict: 'soldOut', available: 1 }]);
    expect(replanLedger(ledger, [hold(5, 20)], NOW).verdicts).toEqual([{ verdict: 'soldOut', available: 4 }]);
    expect(replanLedger(ledger, [hold(5)], NOW).verdicts).toEqual([{ verdict: 'soldOut', available: 4 }]);
    expect(replanLedger(ledger, [hold(4)], NOW).verdicts).toEqual([{ verdict: 'go' }]);
    expect(replanLedger(ledger, [{ kind: 'resell', quantity: 5 }], NOW).verdicts).toEqual([{ verdict: 'soldOut', available: 4 }]);
    // Below 0 when the stock was lowered under held + sold.
    const over: StoredLedger = { held: 5, buckets: new Map([[LIVE[0]!, 5]]), sold: 5, stock: 6, free: -4, exists: true };
    expect(replanLedger(over, [hold(1)], NOW).verdicts).toEqual([{ verdict: 'soldOut', available: 0 }]);
    // Without stock, a resale always fits.
    expect(replanLedger({ ...over, stock: undefined, free: -10 }, [{ kind: 'resell', quantity: 50 }], NOW).verdicts).toEqual([{ verdict: 'go' }]);
  });

  it('answers a stock change read from a stale stock with the stock now, and a return of more than sold with what is sold', () => {
    const ledger: StoredLedger = { held: 0, buckets: new Map(), sold: 2, stock: 7, free: 5, exists: true };
    expect(replanLedger(ledger, [{ kind: 'stock', total: 3, previous: null }], NOW).verdicts).toEqual([{ verdict: 'stale', stock: 7 }]);
    expect(replanLedger(ledger, [{ kind: 'stock', total: 3, previous: 7 }], NOW).verdicts).toEqual([{ verdict: 'go' }]);
    expect(replanLedger(missingLedger, [{ kind: 'stock', total: 3, previous: 7 }], NOW).verdicts).toEqual([{ verdict: 'stale', stock: null }]);
    expect(
      replanLedger(
        ledger,
        [
          { kind: 'return', quantity: 1 },
          { kind: 'return', quantity: 2 },
          { kind: 'return', quantity: 1 },
        ],
        NOW,
      ).verdicts,
    ).toEqual([{ verdict: 'go' }, { verdict: 'notSold', sold: 1 }, { verdict: 'go' }]);
    expect(replanLedger(missingLedger, [{ kind: 'return', quantity: 1 }], NOW).verdicts).toEqual([{ verdict: 'notSold', sold: 0 }]);
  });

  it('lets a return count the tickets a sale before it in the same batch sold, as one by one', () => {
    const ledger: StoredLedger = { held: 2, buckets: new Map([[LIVE[0]!, 2]]), sold: 0, stock: 10, free: 8, exists: true };
    const plan = replanLedger(
      ledger,
      [
        { kind: 'sell', quantity: 2, bucket: LIVE[0]! },
        { kind: 'return', quantity: 1 },
      ],
      NOW,
    );
    expect(plan.verdicts).toEqual([{ verdict: 'go' }, { verdict: 'go' }]);
  });

  it('adopts a ledger of the previous version (held, no free), and no other', () => {
    const legacy: StoredLedger = { held: 5, buckets: new Map([[LIVE[0]!, 3], [ENDED[0]!, 2]]), sold: 0, exists: true };
    const plan = replanLedger(legacy, [{ kind: 'hold', quantity: 2, bucket: FUTURE, maxHeld: 5 }], NOW);
    // 2 ended: 3 live, and the hold fits in 5.
    expect(plan).toEqual({ ended: [[ENDED[0]!, 2]], adopt: { held: 5 }, verdicts: [{ verdict: 'go' }] });
    expect(replanLedger({ ...legacy, free: -5 }, [], NOW)).not.toHaveProperty('adopt');
    expect(replanLedger(missingLedger, [], NOW)).not.toHaveProperty('adopt');
  });
});
