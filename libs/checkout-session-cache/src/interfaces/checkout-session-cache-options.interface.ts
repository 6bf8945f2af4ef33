import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Type } from '@nestjs/common';
import type { CheckoutSessionClock } from './checkout-session-clock.interface.js';
import type { CheckoutSessionStore } from './checkout-session-store.interface.js';

/** Storage driver: `memory` for local development, `dynamodb` for production. */
export type CheckoutSessionCacheDriver = 'memory' | 'dynamodb';

/**
 * Options of `CheckoutSessionCacheModule.forRoot` / `forRootAsync`. Every field is optional. With `forRoot`, what is
 * not given comes from env (only the variables of the chosen driver are read), then from the defaults; with
 * `forRootAsync`, only what the factory returns counts, then the defaults.
 */
export interface CheckoutSessionCacheModuleOptions {
  /**
   * Storage driver (env `CHECKOUT_SESSION_CACHE_DRIVER`). When none is given, `memory`, except with
   * `NODE_ENV=production`, where start-up fails.
   */
  driver?: CheckoutSessionCacheDriver;
  /** Session lifetime in hours, fixed at creation (env `CHECKOUT_SESSION_TTL_HOURS`, default 24). */
  ttlHours?: number;
  /**
   * How long a new session's hold lasts, in whole seconds from 1 up to the TTL (env `CHECKOUT_SESSION_HOLD_SECONDS`,
   * default 600, or the whole TTL when that is shorter).
   */
  holdSeconds?: number;
  /**
   * What moving to `CONFIRMING` extends the hold to, once, in whole seconds from then, from 1 up to the TTL (env
   * `CHECKOUT_SESSION_CONFIRMING_HOLD_SECONDS`, default 900, or the whole TTL when that is shorter).
   */
  confirmingHoldSeconds?: number;
  /** Source of time (default `Date.now`). */
  clock?: CheckoutSessionClock;
  /** Memory driver: interval of the sweep of expired sessions in ms (default 60 000). */
  sweepIntervalMs?: number;
  /** DynamoDB table (env `DYNAMODB_CHECKOUT_SESSIONS_TABLE`, default `checkout-sessions`). */
  tableName?: string;
  /** AWS region (env `AWS_REGION`; unset: the SDK's own resolution). */
  region?: string;
  /** Endpoint URL such as DynamoDB Local (env `DYNAMODB_ENDPOINT`; unset: AWS). */
  endpoint?: string;
  /** Attempts per DynamoDB call, the first included (env `DYNAMODB_MAX_ATTEMPTS`, default 3). */
  maxAttempts?: number;
  /** Per-attempt request and connection timeout in ms (env `DYNAMODB_REQUEST_TIMEOUT_MS`, default 1000). */
  requestTimeoutMs?: number;
  /** Creates the table, index and TTL at start-up when missing; for development (env `DYNAMODB_AUTO_CREATE_TABLE`, default false). */
  autoCreateTable?: boolean;
  /**
   * Checks at start-up that the table, its index and TTL exist (`DescribeTable`, `DescribeTimeToLive`); turn off to
   * save the calls or the IAM permissions (env `DYNAMODB_VERIFY_TABLE_ON_STARTUP`, default true).
   */
  verifyTableOnStartup?: boolean;
  /** DynamoDB driver: how long in ms a successful `ping` is reused before probing again; 0 probes every time (env `DYNAMODB_PING_CACHE_MS`, default 5000). */
  pingCacheMs?: number;
  /** Strongly consistent `getById` (default true). */
  consistentRead?: boolean;
  /** Items per page of the count query (default: DynamoDB's 1 MB pages). */
  queryPageSize?: number;
  /**
   * A ready-made client of the app's `@aws-sdk/client-dynamodb` (a peer dependency, so the same copy as the
   * library's); the module then does not create one and does not destroy it on shutdown.
   */
  client?: DynamoDBClient;
}

/**
 * What `forRoot` and `forRootAsync` take beside the options (for `forRootAsync`, beside `useFactory`, `useClass` or
 * `useExisting`, since Nest must know them before any factory runs).
 */
export interface CheckoutSessionCacheModuleExtras {
  /** Registers the module globally, once for the whole app (default false). */
  isGlobal?: boolean;
  /**
   * A store of the app's own behind the port, instead of a built-in `driver` (give one or the other): an instance, or
   * a class Nest instantiates in the module's scope (it may inject `CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS` and the
   * providers of `forRootAsync`'s `imports`). The module calls its `init()` at start-up and `close()` at shutdown;
   * `describeCheckoutSessionStoreContract` from `@ticketoffice/checkout-session-cache/testing` checks it.
   */
  store?: CheckoutSessionStore | Type<CheckoutSessionStore>;
}

/** Options after merging code, env and defaults, as the drivers receive them. */
export interface ResolvedCheckoutSessionCacheOptions
  extends Required<Pick<CheckoutSessionCacheModuleOptions, 'ttlHours' | 'holdSeconds' | 'confirmingHoldSeconds' | 'clock' | 'sweepIntervalMs' | 'tableName' | 'maxAttempts' | 'requestTimeoutMs' | 'autoCreateTable' | 'verifyTableOnStartup' | 'pingCacheMs' | 'consistentRead'>>,
    Pick<CheckoutSessionCacheModuleOptions, 'region' | 'endpoint' | 'queryPageSize' | 'client'> {
  /** The built-in driver in use, or `custom` when the module was given a `store`. */
  driver: CheckoutSessionCacheDriver | 'custom';
}
