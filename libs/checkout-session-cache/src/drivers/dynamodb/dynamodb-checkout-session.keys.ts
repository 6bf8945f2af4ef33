import { COUNT_INDEX_SHARDS } from './dynamodb-checkout-session.layout.js';
import type { CheckoutSessionStatus } from '../../interfaces/checkout-session.interface.js';

/**
 * The count index's partition key of a session: its event and a shard taken from its id's first two hex digits
 * (random in a UUIDv4), so an event's sessions spread evenly over {@link COUNT_INDEX_SHARDS} key values.
 */
export const countShardOf = (eventId: string, id: string): string => `${eventId}#${parseInt(id.slice(0, 2), 16) % COUNT_INDEX_SHARDS}`;

/** Every count index partition key of an event. */
export const countShardsOf = (eventId: string): string[] => Array.from({ length: COUNT_INDEX_SHARDS }, (_, n) => `${eventId}#${n}`);

/** The count index's sort key of a session: status first, so a count by status reads only that status. */
export const countKeyOf = (status: CheckoutSessionStatus, priceId: string): string => `${status}#${priceId}`;

/** Id of the hold ledger of an event/price (docs/holds.md); JSON keeps any two pairs apart. */
export const ledgerIdOf = (eventId: string, priceId: string): string => `hold#${JSON.stringify([eventId, priceId])}`;

/** Id of the item that keeps a session's `metadata`, apart so that status changes do not rewrite it. */
export const metadataIdOf = (sessionId: string): string => `metadata#${sessionId}`;
