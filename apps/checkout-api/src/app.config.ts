import { registerAs } from '@nestjs/config';
import * as z from 'zod/mini';

const portSchema = z
  .pipe(z.string().check(z.regex(/^\d+$/, 'PORT must be an integer from 1 to 65535')), z.transform(Number))
  .check(z.refine((port) => port >= 1 && port <= 65_535, 'PORT must be an integer from 1 to 65535'));

/**
 * A token a client can send as `Authorization: Bearer <token>`: RFC 6750's `b64token` (letters, digits and
 * `-._~+/`, then `=` padding), so that a value no request could carry (a space, a quote, a line break) stops
 * start-up instead of locking every admin out.
 */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const adminTokenSchema = z.string().check(
  z.maxLength(4096, 'CHECKOUT_API_ADMIN_TOKEN must be at most 4096 characters'),
  z.regex(BEARER_TOKEN, 'CHECKOUT_API_ADMIN_TOKEN must be a bearer token: letters, digits and -._~+/ only, then = padding'),
);

/** The sample app's own settings. */
export interface CheckoutApiConfig {
  /** `PORT`: where `npm start` listens. */
  port: number;
  /**
   * `CHECKOUT_API_ADMIN_TOKEN`: the bearer token of the stock and returns routes, or `undefined` when unset (those
   * routes then answer 403).
   */
  adminToken: string | undefined;
}

/** Reads a variable whose invalid value stops start-up with a message naming it (never echoing a secret). */
function parsed<T>(schema: z.ZodMiniType<T>, raw: string, shown: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new Error(`Invalid environment: ${result.error.issues[0]!.message} (got ${shown})`);
  return result.data;
}

/**
 * The sample app's own env, validated at start-up: `PORT` (default 3000) and `CHECKOUT_API_ADMIN_TOKEN` (unset: the
 * admin routes answer 403). Empty counts as unset, as for the library's variables.
 */
export const appConfig = registerAs('app', (): CheckoutApiConfig => {
  const port = process.env.PORT;
  const token = process.env.CHECKOUT_API_ADMIN_TOKEN;
  return {
    port: port === undefined || port === '' ? 3000 : parsed(portSchema, port, JSON.stringify(port)),
    adminToken: token === undefined || token === '' ? undefined : parsed(adminTokenSchema, token, `${token.length} character(s)`),
  };
});
