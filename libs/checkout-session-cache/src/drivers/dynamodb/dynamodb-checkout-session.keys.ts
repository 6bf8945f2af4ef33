import { COUNT_INDEX_SHARDS } from './dynamodb-checkout-session.layout.js';
import type { CheckoutSessionStatus } from '../../interfaces/checkout-session.interface.js';

/**
 * The count index's partition key of a session: its event and a shard taken from its id's first two hex digits
 * (random in a UUIDv4), so an event's sessions spread evenly over {@link COUNT_INDEX_SHARDS} key values.
 */
export const countShardOf = (eventId: string, id: string): string => `${eventId}#${parseInt(id.slice(0, 2), 16) % COUNT_INDEX_SHARDS}`;

/** Every count index partition key of an event. */
export const countShardsOf = (eventId: string): string[] => Array.from({ length: COUNT_INDEX_SHARDS }, (_, n) => `${eventId}#${n}`);

/**
 * Separates a holding session's count key from the epoch second its hold lapses: a control character, which no
 * `priceId` may contain, so the keys of one price stay together and apart from every other price's.
 */
export const HOLD_SEPARATOR = '\u001f';

/**
 * The count index's sort key of a session: status first, so a count by status reads only that status; then the
 * price; then, for a holding status, when its hold lapses (epoch seconds), so a count tells an `EXPIRED` session from
 * the index alone (the index projects only `quantity`, `expiresAt` and the keys).
 */
export const countKeyOf = (status: CheckoutSessionStatus, priceId: string, holdExpiresAt?: number): string =>
  holdExpiresAt !== undefined && (status === 'CREATED' || status === 'CONFIRMING') ? `${status}#${priceId}${HOLD_SEPARATOR}${holdExpiresAt}` : `${status}#${priceId}`;

/** When the hold of a session with count key `countKey` lapses (epoch seconds), or `undefined` when the key says not. */
export const holdExpiryOfCountKey = (countKey: string): number | undefined => {
  const at = countKey.lastIndexOf(HOLD_SEPARATOR);
  return at < 0 ? undefined : Number(countKey.slice(at + 1));
};

/** Id of the hold ledger of an event/price (docs/holds.md); JSON keeps any two pairs apart. */
export const ledgerIdOf = (eventId: string, priceId: string): string => `hold#${JSON.stringify([eventId, priceId])}`;

/** Id of the item that keeps a session's `metadata`, apart so that status changes do not rewrite it. */
export const metadataIdOf = (sessionId: string): string => `metadata#${sessionId}`;
