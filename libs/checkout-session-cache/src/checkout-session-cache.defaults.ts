/** Default session lifetime in hours. */
export const DEFAULT_TTL_HOURS = 24;
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
