import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_TABLE_NAME,
  DEFAULT_TTL_HOURS,
} from './checkout-session-cache.constants.js';
import { formatIssues } from './checkout-session-cache.schemas.js';
import { CheckoutSessionCacheConfigError } from './errors/checkout-session-cache-config.error.js';
import type {
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionClock } from './interfaces/checkout-session-clock.interface.js';

const decimal = /^\d+(\.\d+)?$/;
const integer = /^\d+$/;
const got = (value: unknown) => `(got ${JSON.stringify(value)})`;

const positiveDecimal = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => decimal.test(v) && Number(v) > 0, { error: (i) => `${name} must be a positive decimal number ${got(i.input)}` })
    .transform(Number);

const integerBetween = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => integer.test(v) && Number(v) >= min && Number(v) <= max, {
      error: (i) => `${name} must be an integer from ${min} to ${max} ${got(i.input)}`,
    })
    .transform(Number);

/** The environment variables the module reads, each validated with a message naming it. */
const envSchema = z.object({
  CHECKOUT_SESSION_CACHE_DRIVER: z
    .enum(['memory', 'dynamodb'], { error: (i) => `CHECKOUT_SESSION_CACHE_DRIVER must be "memory" or "dynamodb" ${got(i.input)}` })
    .optional(),
  CHECKOUT_SESSION_TTL_HOURS: positiveDecimal('CHECKOUT_SESSION_TTL_HOURS').optional(),
  AWS_REGION: z.string().trim().min(1).optional(),
  DYNAMODB_ENDPOINT: z.url({ error: (i) => `DYNAMODB_ENDPOINT must be a URL such as http://localhost:8000 ${got(i.input)}` }).optional(),
  DYNAMODB_CHECKOUT_SESSIONS_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: (i) => `DYNAMODB_CHECKOUT_SESSIONS_TABLE must be a DynamoDB table name ${got(i.input)}` })
    .optional(),
  DYNAMODB_MAX_ATTEMPTS: integerBetween('DYNAMODB_MAX_ATTEMPTS', 1, 10).optional(),
  DYNAMODB_REQUEST_TIMEOUT_MS: integerBetween('DYNAMODB_REQUEST_TIMEOUT_MS', 50, 60_000).optional(),
  DYNAMODB_AUTO_CREATE_TABLE: z
    .enum(['true', 'false'], { error: (i) => `DYNAMODB_AUTO_CREATE_TABLE must be "true" or "false" ${got(i.input)}` })
    .transform((v) => v === 'true')
    .optional(),
  DYNAMODB_VERIFY_TABLE_ON_STARTUP: z
    .enum(['true', 'false'], { error: (i) => `DYNAMODB_VERIFY_TABLE_ON_STARTUP must be "true" or "false" ${got(i.input)}` })
    .transform((v) => v === 'true')
    .optional(),
});

/** Reads and validates the module's env; empty variables count as unset. Throws {@link CheckoutSessionCacheConfigError}. */
export function readCheckoutSessionCacheEnv(env: NodeJS.ProcessEnv): CheckoutSessionCacheModuleOptions {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) throw new CheckoutSessionCacheConfigError(result.error.issues.map((i) => i.message));
  const e = result.data;
  const options: CheckoutSessionCacheModuleOptions = {
    driver: e.CHECKOUT_SESSION_CACHE_DRIVER,
    ttlHours: e.CHECKOUT_SESSION_TTL_HOURS,
    region: e.AWS_REGION,
    endpoint: e.DYNAMODB_ENDPOINT,
    tableName: e.DYNAMODB_CHECKOUT_SESSIONS_TABLE,
    maxAttempts: e.DYNAMODB_MAX_ATTEMPTS,
    requestTimeoutMs: e.DYNAMODB_REQUEST_TIMEOUT_MS,
    autoCreateTable: e.DYNAMODB_AUTO_CREATE_TABLE,
    verifyTableOnStartup: e.DYNAMODB_VERIFY_TABLE_ON_STARTUP,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/** Namespaced config (`checkoutSessionCache`) read from env through `@nestjs/config`, validated at start-up. */
export const checkoutSessionCacheConfig = registerAs('checkoutSessionCache', () => readCheckoutSessionCacheEnv(process.env));

const defaults = {
  driver: 'memory',
  ttlHours: DEFAULT_TTL_HOURS,
  clock: { now: () => Date.now() },
  sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
  tableName: DEFAULT_TABLE_NAME,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  autoCreateTable: false,
  verifyTableOnStartup: true,
  consistentRead: true,
} satisfies CheckoutSessionCacheModuleOptions;

const optionsSchema = z.object({
  driver: z.enum(['memory', 'dynamodb']),
  ttlHours: z.number().positive().finite(),
  clock: z.custom<CheckoutSessionClock>((v) => typeof (v as CheckoutSessionClock | null)?.now === 'function', 'must have a now() method'),
  sweepIntervalMs: z.number().int().min(1),
  tableName: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  region: z.string().min(1).optional(),
  endpoint: z.url().optional(),
  maxAttempts: z.number().int().min(1).max(10),
  requestTimeoutMs: z.number().int().min(50).max(60_000),
  autoCreateTable: z.boolean(),
  verifyTableOnStartup: z.boolean(),
  consistentRead: z.boolean(),
  queryPageSize: z.number().int().min(1).optional(),
  client: z.custom<DynamoDBClient>((v) => typeof (v as DynamoDBClient | null)?.send === 'function', 'must be a DynamoDBClient').optional(),
});

/**
 * Merges options given in code over env over defaults and validates the result.
 * Throws {@link CheckoutSessionCacheConfigError} naming each invalid option.
 */
export function resolveCheckoutSessionCacheOptions(
  code: CheckoutSessionCacheModuleOptions,
  env: CheckoutSessionCacheModuleOptions,
): ResolvedCheckoutSessionCacheOptions {
  const given = Object.fromEntries(Object.entries(code).filter(([, v]) => v !== undefined));
  const result = optionsSchema.safeParse({ ...defaults, ...env, ...given });
  if (!result.success) throw new CheckoutSessionCacheConfigError(formatIssues(result.error.issues));
  return result.data;
}
