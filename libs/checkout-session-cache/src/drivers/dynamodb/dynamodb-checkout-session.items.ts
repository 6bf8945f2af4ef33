import type { StoredCheckoutSession } from '../../interfaces/checkout-session-store.interface.js';
import type { CheckoutSessionMetadata, CheckoutSessionStoredStatus } from '../../interfaces/checkout-session.interface.js';
import { countKeyOf, countShardOf } from './dynamodb-checkout-session.keys.js';
import type { StoredLedger } from './dynamodb-hold-ledger.plan.js';

/**
 * A session as stored in DynamoDB: timestamps as numbers, `expiresAt` in epoch seconds (the TTL attribute). Its
 * `metadata` lives in an item of its own (`metadata#<id>`), so a status change never rewrites it.
 */
export interface CheckoutSessionItem {
  id: string;
  eventId: string;
  priceId: string;
  quantity: number;
  price?: number;
  status: CheckoutSessionStoredStatus;
  /** Set when the session has `metadata`, kept in the item `metadata#<id>`. */
  hasMetadata?: true;
  /** `metadata` kept in the session item itself, as the previous layout did. */
  metadata?: CheckoutSessionMetadata;
  /** Count index partition key, `<eventId>#<shard>`; absent on sessions of the previous layout until backfilled. */
  countShard?: string;
  /** Count index sort key, `<status>#<priceId>`, and for a holding status `\u001f<holdExpiresAt>` after it. */
  countKey?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch seconds: DynamoDB ignores TTL values in milliseconds or strings. */
  expiresAt: number;
  /** End (epoch seconds) of the ledger bucket that releases the hold; absent on sessions made before holds existed. */
  holdBucket?: number;
  /** Epoch seconds when the hold lapses; absent on sessions of 0.1.0, which hold until `expiresAt`. */
  holdExpiresAt?: number;
  /** Set once moving to `CONFIRMING` extended the hold. */
  holdExtended?: true;
  /** How many status changes were applied: each change is conditioned on the count it read, so none applies twice. */
  transitionCount?: number;
  /**
   * Tokens of the last status changes applied (at most {@link MAX_TRANSITION_TOKENS}), so a change whose answer was
   * lost recognises its own write.
   */
  transitionTokens?: string[];
  /** Tokens of the changes an earlier version applied (a string set that grew with each change); read, never written. */
  transitions?: Set<string>;
}

/** The item that keeps a session's metadata, living as long as the session. */
export interface MetadataItem {
  id: string;
  metadata: CheckoutSessionMetadata;
  expiresAt: number;
}

/** The record that an idempotency key was used: which session it created, living as long as that session. */
export interface IdempotencyKeyItem {
  id: string;
  sessionId: string;
  expiresAt: number;
}

/**
 * How many status-change tokens a session keeps: the newest, so a retry of a change (the SDK's, or a resend whose
 * first answer was lost) finds its own. Older ones only served retries long answered; a session that flips between
 * `CREATED` and `CONFIRMING` thousands of times keeps a small item.
 */
export const MAX_TRANSITION_TOKENS = 8;

/** Prefix of the ids of idempotency key records; session ids are UUIDs, so the two never meet. */
export const IDEMPOTENCY_KEY_PREFIX = 'idempotency#';

/** Id of the record of an idempotency key. */
export const idempotencyKeyIdOf = (key: string): string => `${IDEMPOTENCY_KEY_PREFIX}${key}`;

/** Attribute of a ledger bucket that ends at `bucket` (epoch seconds). */
export const bucketAttribute = (bucket: number): string => `b${bucket}`;

/** Epoch seconds `s` such that `expiresAt > s` exactly when `expiresAt × 1000 > nowMs` (expiresAt is whole seconds). */
export const nowSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/** The item of a new session, filed under the ledger bucket `holdBucket`. */
export const toItem = (s: StoredCheckoutSession, holdBucket: number): CheckoutSessionItem => ({
  id: s.id,
  eventId: s.eventId,
  priceId: s.priceId,
  quantity: s.quantity,
  price: s.price,
  status: s.status,
  ...(s.metadata !== undefined && { hasMetadata: true }),
  countShard: countShardOf(s.eventId, s.id),
  countKey: countKeyOf(s.status, s.priceId, s.holdExpiresAt.getTime() / 1000),
  createdAt: s.createdAt.getTime(),
  expiresAt: s.expiresAt.getTime() / 1000,
  holdBucket,
  holdExpiresAt: s.holdExpiresAt.getTime() / 1000,
});

/** The session of a stored item, with its metadata. */
export const fromItem = (item: CheckoutSessionItem, metadata: CheckoutSessionMetadata | undefined): StoredCheckoutSession => ({
  id: item.id,
  eventId: item.eventId,
  priceId: item.priceId,
  quantity: item.quantity,
  ...(item.price !== undefined && { price: item.price }),
  status: item.status,
  ...(metadata !== undefined && { metadata }),
  createdAt: new Date(item.createdAt),
  expiresAt: new Date(item.expiresAt * 1000),
  holdExpiresAt: new Date((item.holdExpiresAt ?? item.expiresAt) * 1000),
  ...(item.holdExtended && { holdExtended: true }),
});

/** Whether a stored session carries the token of a status change (in either version's attribute). */
export const hasTransition = (item: CheckoutSessionItem, token: string): boolean =>
  (item.transitionTokens?.includes(token) ?? false) || (item.transitions?.has(token) ?? false);

/** A ledger item as read: `held`, the `b<end>` bucket attributes, `sold`, `stock` and `free` when there. */
export function toLedger(item: Record<string, unknown> | undefined): StoredLedger {
  const buckets = new Map<number, number>();
  for (const [name, value] of Object.entries(item ?? {})) if (/^b\d+$/.test(name)) buckets.set(Number(name.slice(1)), value as number);
  const number = (name: string) => item?.[name] as number | undefined;
  return {
    held: number('held') ?? 0,
    buckets,
    sold: number('sold') ?? 0,
    ...(number('stock') !== undefined && { stock: number('stock') }),
    ...(number('free') !== undefined && { free: number('free') }),
    exists: item !== undefined,
  };
}
