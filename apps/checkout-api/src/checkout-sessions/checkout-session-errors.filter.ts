import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import {
  CheckoutSessionAlreadyExistsError,
  CheckoutSessionCacheError,
  CheckoutSessionConflictError,
  CheckoutSessionIdempotencyKeyReusedError,
  CheckoutSessionSoldOutError,
  CheckoutSessionStoreUnavailableError,
  CheckoutSessionValidationError,
} from '@ticketoffice/checkout-session-cache';
import type { Response } from 'express';

/** Seconds a client should wait before retrying when the store is unavailable. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Maps the library's errors to HTTP: validation 400; transition not allowed, id taken, idempotency key reused or not
 * enough tickets free (the message says how many are available) 409;
 * store unavailable 503 (with `Retry-After`).
 */
@Catch(CheckoutSessionCacheError)
export class CheckoutSessionErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('CheckoutSessionErrors');

  catch(error: CheckoutSessionCacheError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof CheckoutSessionValidationError) {
      this.send(response, HttpStatus.BAD_REQUEST, 'Bad Request', [...error.issues]);
    } else if (
      error instanceof CheckoutSessionConflictError ||
      error instanceof CheckoutSessionAlreadyExistsError ||
      error instanceof CheckoutSessionIdempotencyKeyReusedError ||
      error instanceof CheckoutSessionSoldOutError
    ) {
      this.send(response, HttpStatus.CONFLICT, 'Conflict', error.message);
    } else if (error instanceof CheckoutSessionStoreUnavailableError) {
      this.logger.warn(error.message);
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      this.send(response, HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', 'The session store is unavailable, retry later');
    } else {
      this.logger.error(error.message);
      this.send(response, HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error', 'Internal server error');
    }
  }

  private send(response: Response, statusCode: number, error: string, message: string | string[]): void {
    response.status(statusCode).json({ statusCode, error, message });
  }
}
