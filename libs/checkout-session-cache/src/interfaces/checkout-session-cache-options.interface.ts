import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CheckoutSessionClock } from './checkout-session-clock.interface.js';

/** Storage driver: `memory` for local development, `dynamodb` for production. */
export type CheckoutSessionCacheDriver = 'memory' | 'dynamodb';

/**
 * Options of `CheckoutSessionCacheModule.forRoot` / `forRootAsync`. Every field is optional: what is not given comes
 * from env (see the README's env table), then from the defaults. Options given here win over env.
 */
export interface CheckoutSessionCacheModuleOptions {
  /** Storage driver (env `CHECKOUT_SESSION_CACHE_DRIVER`, default `memory`). */
  driver?: CheckoutSessionCacheDriver;
  /** Session lifetime in hours, fixed at creation (env `CHECKOUT_SESSION_TTL_HOURS`, default 24). */
  ttlHours?: number;
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
   * Checks the table, index and TTL once at start-up (DescribeTable, DescribeTimeToLive) and logs what is wrong
   * (env `DYNAMODB_VERIFY_TABLE_ON_STARTUP`, default true). Off, start-up makes no network call.
   */
  verifyTableOnStartup?: boolean;
  /** Strongly consistent `getById` (default true). */
  consistentRead?: boolean;
  /** Items per page of the count query (default: DynamoDB's 1 MB pages). */
  queryPageSize?: number;
  /** A ready-made client; the module then does not create one and does not destroy it on shutdown. */
  client?: DynamoDBClient;
}

/** Options after merging code, env and defaults, as the drivers receive them. */
export interface ResolvedCheckoutSessionCacheOptions
  extends Required<Pick<CheckoutSessionCacheModuleOptions, 'driver' | 'ttlHours' | 'clock' | 'sweepIntervalMs' | 'tableName' | 'maxAttempts' | 'requestTimeoutMs' | 'autoCreateTable' | 'verifyTableOnStartup' | 'consistentRead'>>,
    Pick<CheckoutSessionCacheModuleOptions, 'region' | 'endpoint' | 'queryPageSize' | 'client'> {}
