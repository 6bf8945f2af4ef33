import { HttpException, HttpStatus } from '@nestjs/common';
import {
  CheckoutSessionConflictError,
  CheckoutSessionIdempotencyKeyReusedError,
  CheckoutSessionSoldOutError,
  CheckoutSessionStoreUnavailableError,
  CheckoutSessionValidationError,
} from '@ticketoffice/checkout-session-cache';
import type { ApiError, ApiErrorCode } from './api-error.interface.js';

/** Reason phrases of the statuses the app answers with. */
const REASONS: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.UNAUTHORIZED]: 'Unauthorized',
  [HttpStatus.FORBIDDEN]: 'Forbidden',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Payload Too Large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

/** The code of an `HttpException` by status (Nest's and body-parser's errors, the app's own 404s, 400s and admin guard). */
const HTTP_CODES: Record<number, ApiErrorCode> = {
  [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
};

const body = (statusCode: number, code: ApiErrorCode, message: string, extra: Partial<ApiError> = {}): ApiError => ({
  statusCode,
  code,
  error: REASONS[statusCode]!,
  message,
  ...extra,
});

const validationFailed = (issues: string[]): ApiError =>
  body(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', `Invalid request: ${issues.join('; ')}`, { issues });

/** The messages of an `HttpException`'s response: Nest's `{ message }`, a string or a list. */
function messagesOf(error: HttpException): string[] {
  const response = error.getResponse();
  const message = typeof response === 'object' && 'message' in response ? response.message : response;
  return Array.isArray(message) ? message.map(String) : [String(message)];
}

/**
 * The answer to `error`, or `undefined` when it is no error a client caused or can act on (the caller answers 500
 * `INTERNAL_ERROR` and logs it).
 */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof CheckoutSessionValidationError) return validationFailed([...error.issues]);
  if (error instanceof CheckoutSessionSoldOutError) {
    return body(HttpStatus.CONFLICT, 'SOLD_OUT', error.message, { requested: error.requested, available: error.available });
  }
  if (error instanceof CheckoutSessionIdempotencyKeyReusedError) return body(HttpStatus.CONFLICT, 'IDEMPOTENCY_KEY_REUSED', error.message);
  if (error instanceof CheckoutSessionConflictError) {
    // HOLD_EXPIRED: the step needed a hold that has lapsed (a late payment included, once its tickets are gone).
    return body(HttpStatus.CONFLICT, error.reason === 'HOLD_EXPIRED' ? 'HOLD_EXPIRED' : 'TRANSITION_NOT_ALLOWED', error.message, {
      currentStatus: error.currentStatus,
      requestedStatus: error.requestedStatus,
    });
  }
  if (error instanceof CheckoutSessionStoreUnavailableError) {
    return body(HttpStatus.SERVICE_UNAVAILABLE, 'STORE_UNAVAILABLE', 'The session store is unavailable, retry later');
  }
  if (error instanceof HttpException) {
    const code = HTTP_CODES[error.getStatus()];
    if (code === 'VALIDATION_FAILED') return validationFailed(messagesOf(error));
    if (code) return body(error.getStatus(), code, messagesOf(error).join('; '));
  }
  return undefined;
}

/** The answer to an error {@link toApiError} does not map. */
export const INTERNAL_ERROR: ApiError = body(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'Internal server error');
