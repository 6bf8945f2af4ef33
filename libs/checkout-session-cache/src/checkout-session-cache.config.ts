import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import {
  DEFAULT_CONFIRMING_HOLD_SECONDS,
  DEFAULT_HOLD_SECONDS,
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
  CheckoutSessionCacheModuleExtras,
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

/** An integer of at least 1 whose upper bound, the TTL, is checked once the options are merged (the TTL may come from code). */
const holdSecondsString = (name: string) =>
  numericString((v) => integer.test(v) && Number(v) >= 1, `${name} must be an integer from 1 to the TTL in seconds`);

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
  CHECKOUT_SESSION_HOLD_SECONDS: holdSecondsString('CHECKOUT_SESSION_HOLD_SECONDS'),
  CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS: holdSecondsString('CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS'),
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
 * uses are read (the TTL and holds for every driver, the DynamoDB ones only for `dynamodb`). Empty variables count as
 * unset. The holds are checked here to be whole seconds of at least 1, and against the TTL once merged with the
 * options in code ({@link resolveCheckoutSessionCacheOptions}). Throws
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
    const c = parseEnv(commonEnvSchema, present);
    return withoutUndefined({
      driver: chosen,
      ttlHours: c.CHECKOUT_SESSION_TTL_HOURS,
      holdSeconds: c.CHECKOUT_SESSION_HOLD_SECONDS,
      confirmingHoldSeconds: c.CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS,
    });
  }
  const e = parseEnv(dynamoDbEnvSchema, present);
  return withoutUndefined({
    driver: chosen,
    ttlHours: e.CHECKOUT_SESSION_TTL_HOURS,
    holdSeconds: e.CHECKOUT_SESSION_HOLD_SECONDS,
    confirmingHoldSeconds: e.CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS,
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

/** Every option, one schema each: `satisfies` keeps the keys those of {@link CheckoutSessionCacheModuleOptions}, no more, no less. */
const optionsShape = {
  driver: z.optional(z.enum(DRIVERS)),
  ttlHours: z.number().check(z.positive()),
  // Whole seconds from 1 up to the TTL: bounds checked by checkHolds, which knows the TTL and where the value came from.
  holdSeconds: z.optional(z.number()),
  confirmingHoldSeconds: z.optional(z.number()),
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
} satisfies Record<keyof Required<CheckoutSessionCacheModuleOptions>, z.ZodMiniType>;
const optionsSchema = z.object(optionsShape);

/** The extras, no options but not unknown: `forRoot`'s module builder leaves `store` among the options it passes on. */
const EXTRA_KEYS: readonly (keyof CheckoutSessionCacheModuleExtras)[] = ['isGlobal', 'store'];
const KNOWN_KEYS: ReadonlySet<string> = new Set([...Object.keys(optionsShape), ...EXTRA_KEYS]);

/** The holds, each with its default (capped at the TTL) and the variable it is read from. */
const HOLDS = [
  { key: 'holdSeconds', fallback: DEFAULT_HOLD_SECONDS, variable: 'CHECKOUT_SESSION_HOLD_SECONDS' },
  { key: 'confirmingHoldSeconds', fallback: DEFAULT_CONFIRMING_HOLD_SECONDS, variable: 'CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS' },
] as const;

type Holds = Pick<ResolvedCheckoutSessionCacheOptions, (typeof HOLDS)[number]['key']>;

/**
 * Merges options given in code over those read from env (`{}` for `forRootAsync`) over the defaults, and validates
 * the result: a key that is no option (nor `isGlobal` or `store`) is refused, so that a typo does not boot on a
 * default; each hold defaults to its default capped at the TTL and must be whole seconds from 1 up to the TTL. With
 * `customStore` (the module was given a `store`) the driver is `custom`, and giving one as well is an error. Without a driver it is `memory`, except when `nodeEnv` is `production`: a silent in-memory store there
 * would keep each instance's sessions apart and lose them on every deploy. Throws {@link CheckoutSessionCacheConfigError}.
 */
export function resolveCheckoutSessionCacheOptions(
  code: CheckoutSessionCacheModuleOptions,
  env: CheckoutSessionCacheModuleOptions,
  nodeEnv: string | undefined = process.env.NODE_ENV,
  customStore = false,
): ResolvedCheckoutSessionCacheOptions {
  const unknown = [...new Set([...Object.keys(code), ...Object.keys(env)])].filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) throw new CheckoutSessionCacheConfigError([`unknown option(s): ${unknown.join(', ')}`]);
  const given = { ...env, ...withoutUndefined(code) };
  const fromEnv = (key: keyof CheckoutSessionCacheModuleOptions) => code[key] === undefined && env[key] !== undefined;
  if (customStore) {
    if (given.driver !== undefined) {
      throw new CheckoutSessionCacheConfigError([`both a store and the driver "${given.driver}" are given: give one of them`]);
    }
    return { ...parseOptions(given, fromEnv), driver: 'custom' };
  }
  if (given.driver === undefined && nodeEnv === 'production') {
    throw new CheckoutSessionCacheConfigError([
      'no driver chosen while NODE_ENV is "production": set CHECKOUT_SESSION_CACHE_DRIVER (or the driver option) to "dynamodb", or to "memory" knowingly',
    ]);
  }
  return { ...parseOptions(given, fromEnv), driver: given.driver ?? 'memory' };
}

/**
 * Validates `given` over the defaults, and its holds against the TTL (`fromEnv` tells which values came from env, for
 * the messages); the caller settles the driver.
 */
function parseOptions(
  given: CheckoutSessionCacheModuleOptions,
  fromEnv: (key: keyof CheckoutSessionCacheModuleOptions) => boolean,
): Omit<ResolvedCheckoutSessionCacheOptions, 'driver'> {
  const merged = { ...defaults, ...given };
  const result = optionsSchema.safeParse(merged, IN_ENGLISH);
  const holds = checkHolds(merged, fromEnv);
  const issues = [...(result.success ? [] : formatIssues(result.error.issues)), ...(Array.isArray(holds) ? holds : [])];
  if (!result.success || Array.isArray(holds)) throw new CheckoutSessionCacheConfigError(issues);
  return { ...result.data, ...holds };
}

/**
 * The TTL in whole seconds, floor(ttlHours × 3600), as the port measures it: the largest `s` with `s × 1000 ≤ ttlHours ×
 * 3 600 000` ms, so that a hold of `s` seconds never outlasts the TTL whatever the rounding of a TTL such as 0.145 h.
 */
function ttlInWholeSeconds(ttlHours: number): number {
  const ttlMs = ttlHours * 3_600_000;
  const seconds = Math.floor(ttlMs / 1000);
  if (seconds * 1000 > ttlMs) return seconds - 1;
  return (seconds + 1) * 1000 <= ttlMs ? seconds + 1 : seconds;
}

/**
 * The holds, each given or else its default capped at the TTL, when they are whole seconds from 1 up to the TTL; else
 * the issues. A value that is no number, or a TTL that is invalid, is left to the schema's issues.
 */
function checkHolds(
  merged: CheckoutSessionCacheModuleOptions,
  fromEnv: (key: keyof CheckoutSessionCacheModuleOptions) => boolean,
): Holds | string[] {
  const { ttlHours } = merged;
  if (typeof ttlHours !== 'number' || !Number.isFinite(ttlHours) || ttlHours <= 0) return [];
  const ttlSeconds = ttlInWholeSeconds(ttlHours);
  if (ttlSeconds < 1) {
    const named = fromEnv('ttlHours') ? 'ttlHours (CHECKOUT_SESSION_TTL_HOURS)' : 'ttlHours';
    return [`${named}: must be at least one second (1/3600 h), the shortest hold ${got(ttlHours)}`];
  }
  const issues: string[] = [];
  const holds = Object.fromEntries(
    HOLDS.map(({ key, fallback, variable }) => {
      const value = merged[key];
      if (value === undefined) return [key, Math.min(fallback, ttlSeconds)];
      const valid = Number.isInteger(value) && value >= 1 && value <= ttlSeconds;
      if (!valid && typeof value === 'number' && Number.isFinite(value)) {
        const named = fromEnv(key) ? `${key} (${variable})` : key;
        issues.push(`${named}: must be an integer from 1 to ${ttlSeconds}, the TTL in seconds ${got(value)}`);
      }
      return [key, value];
    }),
  ) as Holds;
  return issues.length > 0 ? issues : holds;
}
