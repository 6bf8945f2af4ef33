import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CheckoutApiConfig } from '../app.config.js';

/** Where the admin token's 401 says which credentials to send (RFC 6750). */
export const ADMIN_REALM = 'checkout-api admin';

/**
 * A 401 of the admin routes: carries the `WWW-Authenticate` challenge the errors filter sends with it (RFC 6750:
 * no `error` when no credentials came, `invalid_token` when a wrong one did).
 */
export class AdminTokenRejectedException extends UnauthorizedException {
  readonly challenge: string;

  constructor(message: string, error?: 'invalid_token') {
    super(message);
    this.challenge = `Bearer realm="${ADMIN_REALM}"${error ? `, error="${error}"` : ''}`;
  }
}

/** `Authorization: Bearer <credentials>`: the scheme is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +(.*)$/i;
/** A token as RFC 6750 writes it (`b64token`): anything else is no admin token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Lets a request through only with `Authorization: Bearer <CHECKOUT_API_ADMIN_TOKEN>`: 403 `FORBIDDEN` when that
 * variable is unset (the routes are off), 401 `UNAUTHORIZED` with `WWW-Authenticate: Bearer` when the header is
 * missing, malformed or holds another token. Tokens are compared in constant time, as SHA-256 digests of equal
 * length, so that neither the time nor the length of the comparison tells how much of a guess was right.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(config: ConfigService) {
    const token = config.getOrThrow<CheckoutApiConfig>('app').adminToken;
    this.expected = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) {
      throw new ForbiddenException('The admin routes are off: set CHECKOUT_API_ADMIN_TOKEN to turn them on');
    }
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (header === undefined || header === '') throw new AdminTokenRejectedException('An admin route: send Authorization: Bearer <admin token>');
    // Another scheme is as good as none: no error code in the challenge (RFC 6750, 3.1).
    const token = BEARER.exec(header)?.[1]?.trim();
    if (token === undefined) throw new AdminTokenRejectedException('An admin route: the Authorization header must be Bearer <admin token>');
    if (!B64TOKEN.test(token) || !timingSafeEqual(digest(token), this.expected)) {
      throw new AdminTokenRejectedException('The admin token is not valid', 'invalid_token');
    }
    return true;
  }
}
