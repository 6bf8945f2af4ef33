import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PING_CACHE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_TABLE_NAME,
  DEFAULT_TTL_HOURS,
} from './checkout-session-cache.defaults.js';
import { formatIssues, IN_ENGLISH } from './checkout-session-cache.parsing.js';
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

/** A string variable, trimmed, that `valid` accepts, as a number; `message` names the variable and what it must be. */
const numericString = (valid: (v: string) => boolean, message: string) =>
  z.optional(z.pipe(z.string().check(z.trim(), z.refine(valid, { error: (i) => `${message} ${got(i.input)}` })), z.transform(Number)));

const positiveDecimalString = (name: string) => numericString((v) => decimal.test(v) && Number(v) > 0, `${name} must be a positive decimal number`);

const integerStringBetween = (name: string, min: number, max: number) =>
  numericString((v) => integer.test(v) && Number(v) >= min && Number(v) <= max, `${name} must be an integer from ${min} to ${max}`);

const booleanString = (name: string) =>
  z.optional(
    z.pipe(
      z.enum(['true', 'false'], { error: (i) => `${name} must be "true" or "false" ${got(i.input)}` }),
      z.transform((v) => v === 'true'),
    ),
  );

const driverEnvSchema = z.object({
  CHECKOUT_SESSION_CACHE_DRIVER: z.optional(
    z.enum(DRIVERS, { error: (i) => `CHECKOUT_SESSION_CACHE_DRIVER must be "memory" or "dynamodb" ${got(i.input)}` }),
  ),
});

/** The variables every driver reads. */
const commonEnvSchema = z.object({
  CHECKOUT_SESSION_TTL_HOURS: positiveDecimalString('CHECKOUT_SESSION_TTL_HOURS'),
});

/** The variables only the DynamoDB driver reads. */
const dynamoDbEnvSchema = z.extend(commonEnvSchema, {
  AWS_REGION: z.optional(z.string().check(z.trim(), z.minLength(1, 'AWS_REGION must not be blank'))),
  DYNAMODB_ENDPOINT: z.optional(z.url({ error: (i) => `DYNAMODB_ENDPOINT must be a URL such as http://localhost:8000 ${got(i.input)}` })),
  DYNAMODB_CHECKOUT_SESSIONS_TABLE: z.optional(
    z.string().check(z.regex(TABLE_NAME, { error: (i) => `DYNAMODB_CHECKOUT_SESSIONS_TABLE ${TABLE_NAME_MESSAGE} ${got(i.input)}` })),
  ),
  DYNAMODB_MAX_ATTEMPTS: integerStringBetween('DYNAMODB_MAX_ATTEMPTS', 1, 10),
  DYNAMODB_REQUEST_TIMEOUT_MS: integerStringBetween('DYNAMODB_REQUEST_TIMEOUT_MS', 50, 60_000),
  DYNAMODB_AUTO_CREATE_TABLE: booleanString('DYNAMODB_AUTO_CREATE_TABLE'),
  DYNAMODB_VERIFY_TABLE_ON_STARTUP: booleanString('DYNAMODB_VERIFY_TABLE_ON_STARTUP'),
  DYNAMODB_PING_CACHE_MS: integerStringBetween('DYNAMODB_PING_CACHE_MS', 0, MAX_PING_CACHE_MS),
});

const parseEnv = <T extends z.ZodMiniType>(schema: T, env: Record<string, string>): z.output<T> => {
  const result = schema.safeParse(env, IN_ENGLISH);
  if (!result.success) throw new CheckoutSessionCacheConfigError(result.error.issues.map((i) => i.message));
  return result.data;
};

const withoutUndefined = <T extends object>(options: T): Partial<T> =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Reads and validates the module's env (`process.env` by default): the driver is `driver` when given — whatever
 * `CHECKOUT_SESSION_CACHE_DRIVER` says — else `CHECKOUT_SESSION_CACHE_DRIVER`; then only the variables that driver
 * uses are read (the DynamoDB ones only for `dynamodb`). Empty variables count as unset. Throws
 * {@link CheckoutSessionCacheConfigError}. `forRoot` calls it; in a `forRootAsync` factory that chooses the driver,
 * pass it: `{ ...readCheckoutSessionCacheEnv(process.env, 'dynamodb'), tableName }`.
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

/** A safe integer of at least `min` and, if given, at most `max`. */
const safeIntegerFrom = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

const optionsSchema = z.object({
  driver: z.optional(z.enum(DRIVERS)),
  ttlHours: z.number().check(z.positive()),
  clock: z.custom<CheckoutSessionClock>((v) => typeof (v as CheckoutSessionClock | null)?.now === 'function', 'must have a now() method'),
  sweepIntervalMs: safeIntegerFrom(1),
  tableName: z.string().check(z.regex(TABLE_NAME, TABLE_NAME_MESSAGE)),
  region: z.optional(z.string().check(z.minLength(1))),
  endpoint: z.optional(z.url()),
  maxAttempts: safeIntegerFrom(1, 10),
  requestTimeoutMs: safeIntegerFrom(50, 60_000),
  autoCreateTable: z.boolean(),
  verifyTableOnStartup: z.boolean(),
  pingCacheMs: safeIntegerFrom(0, MAX_PING_CACHE_MS),
  consistentRead: z.boolean(),
  queryPageSize: z.optional(safeIntegerFrom(1)),
  client: z.optional(z.custom<DynamoDBClient>((v) => typeof (v as DynamoDBClient | null)?.send === 'function', 'must be a DynamoDBClient')),
});

/**
 * Merges options given in code over those read from env (`{}` for `forRootAsync`) over the defaults, and validates
 * the result. With `customStore` (the module was given a `store`) the driver is `custom`, and giving one as well is
 * an error. Without a driver it is `memory`, except when `nodeEnv` is `production`: a silent in-memory store there
 * would keep each instance's sessions apart and lose them on every deploy. Throws {@link CheckoutSessionCacheConfigError}.
 */
export function resolveCheckoutSessionCacheOptions(
  code: CheckoutSessionCacheModuleOptions,
  env: CheckoutSessionCacheModuleOptions,
  nodeEnv: string | undefined = process.env.NODE_ENV,
  customStore = false,
): ResolvedCheckoutSessionCacheOptions {
  const given = { ...env, ...withoutUndefined(code) };
  if (customStore) {
    if (given.driver !== undefined) {
      throw new CheckoutSessionCacheConfigError([`both a store and the driver "${given.driver}" are given: give one of them`]);
    }
    return { ...parseOptions(given), driver: 'custom' };
  }
  if (given.driver === undefined && nodeEnv === 'production') {
    throw new CheckoutSessionCacheConfigError([
      'no driver chosen while NODE_ENV is "production": set CHECKOUT_SESSION_CACHE_DRIVER (or the driver option) to "dynamodb", or to "memory" knowingly',
    ]);
  }
  return { ...parseOptions(given), driver: given.driver ?? 'memory' };
}

/** Validates `given` over the defaults; the caller settles the driver. */
function parseOptions(given: CheckoutSessionCacheModuleOptions): Omit<ResolvedCheckoutSessionCacheOptions, 'driver'> {
  const result = optionsSchema.safeParse({ ...defaults, ...given }, IN_ENGLISH);
  if (!result.success) throw new CheckoutSessionCacheConfigError(formatIssues(result.error.issues));
  return result.data;
}
