import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { AppModule } from '../../apps/checkout-api/src/app.module.js';
import { configureApp } from '../../apps/checkout-api/src/app.setup.js';
import { CHECKOUT_SESSION_CACHE_MODULE_OPTIONS } from '../../libs/checkout-session-cache/src/checkout-session-cache.module-definition.js';
import type { CheckoutSessionCacheDriver, CheckoutSessionClock } from '../../libs/checkout-session-cache/src/index.js';
import { settled } from './checkout-session-cache.harness.js';
import { withEnv } from './env.js';

/** The admin token of the tests' apps that turn the admin routes on (`CHECKOUT_API_ADMIN_TOKEN`). */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** The `Authorization` header of an admin request with {@link ADMIN_TOKEN}. */
export const ADMIN_AUTHORIZATION = `Bearer ${ADMIN_TOKEN}`;

/**
 * How long after `holdExpiresAt` a lapsed hold may still count in `held` and `availability`: max(2 % of its hold
 * window, 1 s), the library's release bound (docs/holds.md). Never before `holdExpiresAt`.
 */
export const releaseBoundMs = (windowMs: number): number => Math.max(0.02 * windowMs, 1000);

/** Env for the sample app on `driver`: DynamoDB runs against the test's DynamoDB Local with a fresh table. */
export function appEnv(driver: CheckoutSessionCacheDriver, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = { CHECKOUT_SESSION_CACHE_DRIVER: driver };
  if (driver === 'dynamodb') {
    base.DYNAMODB_CHECKOUT_SESSIONS_TABLE = `e2e-${randomUUID()}`;
    base.DYNAMODB_AUTO_CREATE_TABLE = 'true';
    base.DYNAMODB_REQUEST_TIMEOUT_MS = '5000';
  }
  return { ...base, ...extra };
}

/**
 * Boots the sample app as `main.ts` does, with `env` set while the modules read it (and restored after), logging to
 * `logger` (nowhere by default). `CHECKOUT_API_ADMIN_TOKEN` is unset unless `env` sets it, whatever the shell says. With `clock`, the cache takes its time from it (a `ManualClock`), so a test proves
 * expiry by moving it rather than by waiting; every other setting still comes from env.
 */
export async function createTestApp(
  env: Record<string, string | undefined>,
  logger: LoggerService | false = false,
  clock?: CheckoutSessionClock,
): Promise<NestExpressApplication> {
  return withEnv({ CHECKOUT_API_ADMIN_TOKEN: undefined, ...env }, async () => {
    const builder = Test.createTestingModule({ imports: [AppModule] });
    // The app's forRoot() passes no options in code; a clock given here is one, and code options win over env.
    if (clock) builder.overrideProvider(CHECKOUT_SESSION_CACHE_MODULE_OPTIONS).useValue({ clock });
    const moduleRef = await builder.compile();
    const app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger }));
    await app.init();
    return app;
  });
}

/** A Nest logger that keeps every line, for tests that read what was logged. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push(`${level} ${[message, ...rest].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ')}`);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.keep('LOG', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('ERROR', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('WARN', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('DEBUG', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('VERBOSE', message, rest);
  }
}

/**
 * Asserts that `GET /checkout-sessions/count?query` answers 200 with `expected`, allowing the count index its
 * documented lag ({@link settled}).
 */
export async function expectHttpCount(app: NestExpressApplication, query: Record<string, string | string[]>, expected: unknown): Promise<void> {
  const read = async () => {
    const response = await request(app.getHttpServer() as App).get('/checkout-sessions/count').query(query);
    return { status: response.status, body: response.body as unknown };
  };
  expect(await settled(read, { status: 200, body: expected })).toEqual({ status: 200, body: expected });
}
