import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { CheckoutSessionStoreUnavailableError } from '@ticketoffice/checkout-session-cache';
import type { Response } from 'express';
import { AdminTokenRejectedException } from '../auth/admin-token.guard.js';
import { INTERNAL_ERROR, toApiError } from './api-error.mapper.js';

/** Seconds a client should wait before retrying when the store is unavailable. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Answers every error with one body shape (`ApiError`) and a stable `code`; a store failure also with `Retry-After`,
 * a refused admin token with `WWW-Authenticate: Bearer …`. Anything unmapped is logged and answered 500
 * `INTERNAL_ERROR`, without details.
 */
@Catch()
export class ApiErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiErrors');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const answer = toApiError(error) ?? INTERNAL_ERROR;
    if (error instanceof CheckoutSessionStoreUnavailableError) {
      this.logger.warn(error.message);
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    } else if (error instanceof AdminTokenRejectedException) {
      response.setHeader('WWW-Authenticate', error.challenge);
    } else if (answer === INTERNAL_ERROR) {
      this.logger.error(error instanceof Error ? `${error.name}: ${error.message}` : 'A non-Error value was thrown');
    }
    response.status(answer.statusCode).json(answer);
  }
}
