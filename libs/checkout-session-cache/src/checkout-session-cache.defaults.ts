/** Default session lifetime in hours. */
export const DEFAULT_TTL_HOURS = 24;
/** Default hold of a new session in seconds (10 min), capped at the TTL: a shorter TTL holds for its whole TTL. */
export const DEFAULT_HOLD_SECONDS = 600;
/** Default hold in seconds from the move to `CONFIRMING` (15 min), capped at the TTL like {@link DEFAULT_HOLD_SECONDS}. */
export const DEFAULT_CONFIRMING_HOLD_SECONDS = 900;
/** Default DynamoDB table name. */
export const DEFAULT_TABLE_NAME = 'checkout-sessions';
/** Default number of attempts per DynamoDB call, the first one included (SDK standard retry mode). */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default time in ms a DynamoDB request may take (and a connection may take to open) before it is aborted. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 1000;
/** Default time in ms a successful health probe (`ping`) of the DynamoDB driver is reused before the next one. */
export const DEFAULT_PING_CACHE_MS = 5000;
/** Default interval in ms of the memory driver's sweep of expired sessions. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Largest serialized size in bytes of a session's `metadata`. */
export const MAX_METADATA_BYTES = 8 * 1024;
/** Largest stock of one price, and largest return: more is a mistake, not a venue. */
export const MAX_STOCK = 1_000_000_000;
