import type { CheckoutSessionStatus } from '@ticketoffice/checkout-session-cache';

/** The stable `code` of every error body the sample app answers; clients branch on it, never on `message`. */
export const API_ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SOLD_OUT',
  'IDEMPOTENCY_KEY_REUSED',
  'TRANSITION_NOT_ALLOWED',
  'HOLD_EXPIRED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'STORE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

/** One of {@link API_ERROR_CODES}. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The body of every error answer (except `/health`, which keeps terminus's report). */
export interface ApiError {
  /** The HTTP status, repeated. */
  statusCode: number;
  /** What went wrong, stable. */
  code: ApiErrorCode;
  /** The HTTP status's reason phrase. */
  error: string;
  /** For people: one sentence, never parsed. */
  message: string;
  /** `VALIDATION_FAILED`: one line per problem, `field: what is wrong`. */
  issues?: string[];
  /** `SOLD_OUT`: tickets requested. */
  requested?: number;
  /** `SOLD_OUT`: tickets that could still be held when the create was refused (≥ 0). */
  available?: number;
  /** `TRANSITION_NOT_ALLOWED`, `HOLD_EXPIRED`: the session's status (`EXPIRED` for a lapsed hold). */
  currentStatus?: CheckoutSessionStatus;
  /** `TRANSITION_NOT_ALLOWED`, `HOLD_EXPIRED`: the status asked for. */
  requestedStatus?: CheckoutSessionStatus;
}
