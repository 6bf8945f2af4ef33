// The size of a hold ledger item (docs/holds.md): measured after a steady on-sale of one price simulated over half an
// hour of the module's clock (24 h TTL, the default 10-minute holds and 15-minute holds while paying), and the worst
// case, every bucket a ledger may keep at once being there. DynamoDB bills a transactional write 2 WCU per KB of the
// item (the larger of before and after, rounded up to the KB), so past 1,024 bytes each ledger write costs 4 instead of 2.
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NestFactory } from '@nestjs/core';
import { holdBucketSeconds, holdReleaseMarginMs } from '../libs/checkout-session-cache/src/checkout-session-cache.holds.js';
import { ledgerIdOf } from '../libs/checkout-session-cache/src/drivers/dynamodb/dynamodb-checkout-session.keys.js';
import {
  CHECKOUT_SESSION_CACHE,
  CheckoutSessionCacheModule,
  type CheckoutSession,
  type CheckoutSessionCache,
} from '../libs/checkout-session-cache/src/index.js';
import { seededRandom } from '../test/support/seeded-random.js';

/** The module's defaults (docs/holds.md): a hold, and the hold while paying. */
const HOLD_SECONDS = 600;
const CONFIRMING_HOLD_SECONDS = 900;
/** How often, at most, one process releases a ledger's ended buckets (dynamodb-hold-ledger.housekeeping.ts). */
const TIDY_SECONDS = 60;
/** The stock of the simulated price: never reached, so every create holds. */
const STOCK = 50_000;

/** Bytes of an attribute value as DynamoDB sizes items (Developer Guide, "Item sizes and formats"). */
export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeValueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name, 'utf8') + attributeValueBytes(v), 0);
  return 0;
}

/**
 * A number: 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed); one more for a negative
 * number, to err on the large side (the documentation does not say).
 */
export function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1 + (n.startsWith('-') ? 1 : 0);
}

/** An item's size: the UTF-8 bytes of each attribute name plus its value's. */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + attributeValueBytes(value), 0);

/** Write units of one transactional write of an item of `bytes` bytes. */
export const transactionalWcu = (bytes: number): number => 2 * Math.max(1, Math.ceil(bytes / 1024));

/** A ledger item as read, summarised: its buckets and size. */
export interface LedgerSize {
  buckets: number;
  bytes: number;
  /** Bytes of the bucket attributes alone, per bucket. */
  bytesPerBucket: number;
  wcuPerTransactionalWrite: number;
  /** How many bucket ends fall on multiples of 11, 16 and 17 s: the widths of 600 s and 900 s holds' buckets. */
  endsOnMultiplesOf: Record<string, number>;
}

export function ledgerSizeOf(item: Record<string, AttributeValue>): LedgerSize {
  const buckets = Object.keys(item).filter((name) => /^b\d+$/.test(name));
  const bucketBytes = buckets.reduce((sum, name) => sum + Buffer.byteLength(name) + attributeValueBytes(item[name]!), 0);
  const bytes = itemBytes(item);
  const ends = buckets.map((name) => Number(name.slice(1)));
  const endsOnMultiplesOf = Object.fromEntries([11, 16, 17].map((width) => [width, ends.filter((end) => end % width === 0).length]));
  return {
    buckets: buckets.length,
    bytes,
    bytesPerBucket: buckets.length ? Math.round((bucketBytes / buckets.length) * 10) / 10 : 0,
    wcuPerTransactionalWrite: transactionalWcu(bytes),
    endsOnMultiplesOf,
  };
}

/**
 * The most buckets a ledger keeps at once: those not ended yet — for holds of a `windowMs` window (buckets of
 * `holdBucketSeconds(windowMs)`), the bucket ends in (now, now + window + margin + width] — plus, for each kind, the
 * ended ones that wait for the next tidying (one per {@link TIDY_SECONDS} per process). Bucket ends of two widths
 * rarely meet (every lcm of the widths).
 */
export function worstCaseBuckets(windowsMs: number[]): { live: number; ended: number; byHold: Record<string, { width: number; live: number; ended: number }> } {
  const byHold: Record<string, { width: number; live: number; ended: number }> = {};
  for (const windowMs of windowsMs) {
    const width = holdBucketSeconds(windowMs);
    byHold[`${windowMs / 1000}`] = { width, live: Math.ceil((windowMs / 1000 + holdReleaseMarginMs(windowMs) / 1000 + width) / width), ended: Math.ceil(TIDY_SECONDS / width) };
  }
  const rows = Object.values(byHold);
  return { live: rows.reduce((sum, r) => sum + r.live, 0), ended: rows.reduce((sum, r) => sum + r.ended, 0), byHold };
}

/**
 * The windows the library sizes buckets by: a create's hold window, and an extended hold's window from the moment of
 * the change, `ceil(now + 900 s) − now`, in [900, 901) s: 17-s buckets either way.
 */
export const BUCKET_WINDOWS_MS = [HOLD_SECONDS * 1000, CONFIRMING_HOLD_SECONDS * 1000];

/**
 * The bytes of a ledger of `eventId`/`priceId` with `buckets` buckets, each holding up to `ticketsPerBucket` tickets,
 * and `held`, `sold`, `stock` and `free` of up to `figure` (10 digits: the largest stock, 1e9, and below).
 */
export function ledgerBytes(eventId: string, priceId: string, buckets: number, ticketsPerBucket: number, figure = 999_999_999): number {
  const id = 2 + Buffer.byteLength(ledgerIdOf(eventId, priceId));
  const figures = ['held', 'sold', 'stock', 'free'].reduce((sum, name) => sum + name.length + numberBytes(String(figure)), 0) + 1;
  const bucket = 1 + 10 + numberBytes(String(ticketsPerBucket));
  return id + figures + buckets * bucket;
}

/** What the ledger-size run reports. */
export interface LedgerSizeResult {
  simulatedSeconds: number;
  creates: number;
  /** Quantity of the completed sessions, and the ledger's `sold` after the run: equal. */
  completedTickets: number;
  sold: number;
  /** The ledger after the run, and the largest it was when read every 10 simulated seconds. */
  final: LedgerSize;
  largest: LedgerSize;
  eventId: string;
  priceId: string;
  worstCase: {
    buckets: number;
    liveBuckets: number;
    endedBuckets: number;
    byHold: Record<string, { width: number; live: number; ended: number }>;
    /** With these ids, up to 99 tickets a bucket, and with 9,999. */
    bytes: number;
    bytesWith9999PerBucket: number;
    /** With event and price ids of 128 characters each. */
    bytesWithLongIds: number;
  };
}

interface Due {
  at: number;
  run: () => Promise<unknown>;
}

/**
 * A steady on-sale of one price on the module's clock, moved by hand in steps of `stepSeconds` (with a random part of a
 * second, as real calls have): `createsPerStep` creates a step, 1–4 tickets each; of the holds, 40 % are abandoned
 * (they lapse), 25 % cancelled, 35 % go to `CONFIRMING` (which extends the hold) and, of these, 85 % complete and the
 * others lapse while paying. The ledger is read every 10 simulated seconds.
 */
export async function ledgerSizeBenchmark(client: DynamoDBClient, endpoint: string, tableName: string, simulatedSeconds = 1800): Promise<LedgerSizeResult> {
  const random = seededRandom(26);
  const start = Math.ceil(Date.now() / 1000) * 1000;
  let now = start;
  const app = await NestFactory.createApplicationContext(
    CheckoutSessionCacheModule.forRoot({
      driver: 'dynamodb',
      endpoint,
      tableName,
      verifyTableOnStartup: false,
      requestTimeoutMs: 5000,
      clock: { now: () => now },
    }),
    { logger: ['error', 'warn'] },
  );
  const cache = app.get<CheckoutSessionCache>(CHECKOUT_SESSION_CACHE);
  const pair = { eventId: `ledger-size-${start / 1000}`, priceId: 'ga' };
  const readLedger = async () =>
    (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: ledgerIdOf(pair.eventId, pair.priceId) } }, ConsistentRead: true }))).Item ?? {};
  const stepSeconds = 2;
  const createsPerStep = 3;
  let creates = 0;
  let completedTickets = 0;
  let largest: LedgerSize = ledgerSizeOf({});
  const due: Due[] = [];
  const later = (seconds: number, run: () => Promise<unknown>) => due.push({ at: now + seconds * 1000, run });
  const fate = (session: CheckoutSession) => {
    const roll = random();
    if (roll < 0.4) return; // abandoned: it lapses
    if (roll < 0.65) return later(30 + random() * 500, () => cache.updateStatus(session.id, 'CANCELLED'));
    later(30 + random() * 550, async () => {
      await cache.updateStatus(session.id, 'CONFIRMING');
      if (random() < 0.85) {
        later(20 + random() * 600, async () => {
          await cache.updateStatus(session.id, 'COMPLETED');
          completedTickets += session.quantity;
        });
      }
    });
  };
  try {
    await cache.setStock(pair, STOCK);
    for (let step = 0; step * stepSeconds < simulatedSeconds; step++) {
      now = start + step * stepSeconds * 1000 + Math.floor(random() * 1000);
      const ready = due.filter((d) => d.at <= now);
      due.splice(0, due.length, ...due.filter((d) => d.at > now));
      await Promise.all([
        ...ready.map((d) => d.run()),
        ...Array.from({ length: createsPerStep }, async () => {
          const session = await cache.create({ ...pair, quantity: 1 + Math.floor(random() * 4), price: 50 });
          creates += 1;
          fate(session);
        }),
      ]);
      if (step % Math.round(10 / stepSeconds) === 0) {
        const size = ledgerSizeOf(await readLedger());
        if (size.bytes > largest.bytes) largest = size;
      }
    }
    const final = ledgerSizeOf(await readLedger());
    if (final.bytes > largest.bytes) largest = final;
    const { sold } = await cache.availability(pair);
    const worst = worstCaseBuckets(BUCKET_WINDOWS_MS);
    const buckets = worst.live + worst.ended;
    return {
      simulatedSeconds,
      creates,
      completedTickets,
      sold,
      final,
      largest,
      ...pair,
      worstCase: {
        buckets,
        liveBuckets: worst.live,
        endedBuckets: worst.ended,
        byHold: worst.byHold,
        bytes: ledgerBytes(pair.eventId, pair.priceId, buckets, 99),
        bytesWith9999PerBucket: ledgerBytes(pair.eventId, pair.priceId, buckets, 9999),
        bytesWithLongIds: ledgerBytes('e'.repeat(128), 'p'.repeat(128), buckets, 99),
      },
    };
  } finally {
    await app.close();
  }
}

/** The ledger-size lines. */
export function ledgerSizeLines(r: LedgerSizeResult): string[] {
  const w = r.worstCase;
  const holds = Object.entries(w.byHold)
    .map(([seconds, h]) => `${seconds} s holds: ${h.live} live buckets of ${h.width} s + ${h.ended} ended awaiting tidying`)
    .join('; ');
  return [
    `\n(f) ledger item size: one price, 24 h TTL, ${HOLD_SECONDS} s holds, ${CONFIRMING_HOLD_SECONDS} s while paying, ${r.simulatedSeconds} s of a steady on-sale on the module's clock ` +
      `(${r.creates} creates; 40 % abandoned, 25 % cancelled, 35 % paying, 85 % of those completed; ${r.completedTickets} tickets completed, ledger sold ${r.sold})`,
    `  after the run: ${r.final.buckets} buckets, ${r.final.bytes} bytes (${r.final.bytesPerBucket} bytes a bucket), ${r.final.wcuPerTransactionalWrite} WCU a transactional write; ` +
      `largest seen: ${r.largest.buckets} buckets, ${r.largest.bytes} bytes, ${r.largest.wcuPerTransactionalWrite} WCU; ` +
      `bucket ends on multiples of 11 / 16 / 17 s: ${[11, 16, 17].map((width) => r.final.endsOnMultiplesOf[width]).join(' / ')}`,
    `  worst case: ${w.buckets} buckets (${holds}): ${w.bytes} bytes with these ids (${transactionalWcu(w.bytes)} WCU), ` +
      `${w.bytesWith9999PerBucket} with up to 9,999 tickets a bucket, ${w.bytesWithLongIds} with 128-character event and price ids (${transactionalWcu(w.bytesWithLongIds)} WCU)`,
  ];
}
