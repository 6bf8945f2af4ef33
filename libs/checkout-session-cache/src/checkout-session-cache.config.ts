import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PING_CACHE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_TABLE_NAME,
  DEFAULT_TTL_HOURS,
} from './checkout-session-cache.constants.js';
import { formatIssues } from './checkout-session-cache.schemas.js';
import { CheckoutSessionCacheConfigError } from './errors/checkout-session-cache-config.error.js';
import type {
  CheckoutSessionCacheDriver,
  CheckoutSessionCacheModuleOptions,
  ResolvedCheckoutSessionCacheOptions,
} from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionClock } from './interfaces/checkout-session-clock.interface.js';

const DRIVERS = ['memory', 'dynamodb'] as const;
/** What DynamoDB accepts as a table name. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_NAME_MESSAGE = 'must be a DynamoDB table name';
const MAX_PING_CACHE_MS = 300_000;
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

const booleanString = (name: string) =>
  z.enum(['true', 'false'], { error: (i) => `${name} must be "true" or "false" ${got(i.input)}` }).transform((v) => v === 'true');

const driverEnvSchema = z.object({
  CHECKOUT_SESSION_CACHE_DRIVER: z
    .enum(DRIVERS, { error: (i) => `CHECKOUT_SESSION_CACHE_DRIVER must be "memory" or "dynamodb" ${got(i.input)}` })
    .optional(),
});

/** The variables every driver reads. */
const commonEnvSchema = z.object({
  CHECKOUT_SESSION_TTL_HOURS: positiveDecimal('CHECKOUT_SESSION_TTL_HOURS').optional(),
});

/** The variables only the DynamoDB driver reads. */
const dynamoDbEnvSchema = commonEnvSchema.extend({
  AWS_REGION: z.string().trim().min(1).optional(),
  DYNAMODB_ENDPOINT: z.url({ error: (i) => `DYNAMODB_ENDPOINT must be a URL such as http://localhost:8000 ${got(i.input)}` }).optional(),
  DYNAMODB_CHECKOUT_SESSIONS_TABLE: z
    .string()
    .regex(TABLE_NAME, { error: (i) => `DYNAMODB_CHECKOUT_SESSIONS_TABLE ${TABLE_NAME_MESSAGE} ${got(i.input)}` })
    .optional(),
  DYNAMODB_MAX_ATTEMPTS: integerBetween('DYNAMODB_MAX_ATTEMPTS', 1, 10).optional(),
  DYNAMODB_REQUEST_TIMEOUT_MS: integerBetween('DYNAMODB_REQUEST_TIMEOUT_MS', 50, 60_000).optional(),
  DYNAMODB_AUTO_CREATE_TABLE: booleanString('DYNAMODB_AUTO_CREATE_TABLE').optional(),
  DYNAMODB_VERIFY_TABLE_ON_STARTUP: booleanString('DYNAMODB_VERIFY_TABLE_ON_STARTUP').optional(),
  DYNAMODB_PING_CACHE_MS: integerBetween('DYNAMODB_PING_CACHE_MS', 0, MAX_PING_CACHE_MS).optional(),
});

const parseEnv = <T extends z.ZodType>(schema: T, env: Record<string, string>): z.output<T> => {
  const result = schema.safeParse(env);
  if (!result.success) throw new CheckoutSessionCacheConfigError(result.error.issues.map((i) => i.message));
  return result.data;
};

const withoutUndefined = <T extends object>(options: T): Partial<T> =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Reads and validates the module's env: `CHECKOUT_SESSION_CACHE_DRIVER` (unless `driver` is given), then only the
 * variables that driver uses. Empty variables count as unset. Throws {@link CheckoutSessionCacheConfigError}.
 * `forRoot` calls it; call it in a `forRootAsync` factory to take settings from env there.
 */
export function readCheckoutSessionCacheEnv(
  env: NodeJS.ProcessEnv = process.env,
  driver?: CheckoutSessionCacheDriver,
): CheckoutSessionCacheModuleOptions {
  const present = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const chosen = driver ?? parseEnv(driverEnvSchema, present).CHECKOUT_SESSION_CACHE_DRIVER;
  if (chosen !== 'dynamodb') {
    return withoutUndefined({ driver: chosen, ttlHours: parseEnv(commonEnvSchema, present).CHECKOUT_SESSION_TTL_HOURS });
  }
  const e = parseEnv(dynamoDbEnvSchema, present);
  return withoutUndefined({
    driver: chosen,
    ttlHours: e.CHECKOUT_SESSION_TTL_HOURS,
    region: e.AWS_REGION,
    endpoint: e.DYNAMODB_ENDPOINT,
    tableName: e.DYNAMODB_CHECKOUT_SESSIONS_TABLE,
    maxAttempts: e.DYNAMODB_MAX_ATTEMPTS,
    requestTimeoutMs: e.DYNAMODB_REQUEST_TIMEOUT_MS,
    autoCreateTable: e.DYNAMODB_AUTO_CREATE_TABLE,
    verifyTableOnStartup: e.DYNAMODB_VERIFY_TABLE_ON_STARTUP,
    pingCacheMs: e.DYNAMODB_PING_CACHE_MS,
  });
}

const defaults = {
  ttlHours: DEFAULT_TTL_HOURS,
  clock: { now: () => Date.now() },
  sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
  tableName: DEFAULT_TABLE_NAME,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  autoCreateTable: false,
  verifyTableOnStartup: true,
  pingCacheMs: DEFAULT_PING_CACHE_MS,
  consistentRead: true,
} satisfies CheckoutSessionCacheModuleOptions;

const optionsSchema = z.object({
  driver: z.enum(DRIVERS),
  ttlHours: z.number().positive().finite(),
  clock: z.custom<CheckoutSessionClock>((v) => typeof (v as CheckoutSessionClock | null)?.now === 'function', 'must have a now() method'),
  sweepIntervalMs: z.number().int().min(1),
  tableName: z.string().regex(TABLE_NAME, TABLE_NAME_MESSAGE),
  region: z.string().min(1).optional(),
  endpoint: z.url().optional(),
  maxAttempts: z.number().int().min(1).max(10),
  requestTimeoutMs: z.number().int().min(50).max(60_000),
  autoCreateTable: z.boolean(),
  verifyTableOnStartup: z.boolean(),
  pingCacheMs: z.number().int().min(0).max(MAX_PING_CACHE_MS),
  consistentRead: z.boolean(),
  queryPageSize: z.number().int().min(1).optional(),
  client: z.custom<DynamoDBClient>((v) => typeof (v as DynamoDBClient | null)?.send === 'function', 'must be a DynamoDBClient').optional(),
});

/**
 * Merges options given in code over those read from env (`{}` for `forRootAsync`) over the defaults, and validates
 * the result. Without a driver it is `memory`, except when `nodeEnv` is `production`: a silent in-memory store there
 * would keep each instance's sessions apart and lose them on every deploy. Throws {@link CheckoutSessionCacheConfigError}.
 */
export function resolveCheckoutSessionCacheOptions(
  code: CheckoutSessionCacheModuleOptions,
  env: CheckoutSessionCacheModuleOptions,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): ResolvedCheckoutSessionCacheOptions {
  const given = { ...env, ...withoutUndefined(code) };
  if (given.driver === undefined && nodeEnv === 'production') {
    throw new CheckoutSessionCacheConfigError([
      'no driver chosen while NODE_ENV is "production": set CHECKOUT_SESSION_CACHE_DRIVER (or the driver option) to "dynamodb", or to "memory" knowingly',
    ]);
  }
  const result = optionsSchema.safeParse({ ...defaults, driver: 'memory', ...given });
  if (!result.success) throw new CheckoutSessionCacheConfigError(formatIssues(result.error.issues));
  return result.data;
}
