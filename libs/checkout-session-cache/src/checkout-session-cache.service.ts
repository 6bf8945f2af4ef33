import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CHECKOUT_SESSION_STATUSES, CHECKOUT_SESSION_TRANSITIONS } from './checkout-session-cache.state-machine.js';
import {
  checkoutSessionCountQuerySchema,
  checkoutSessionCreateOptionsSchema,
  checkoutSessionHeldQuerySchema,
  checkoutSessionIdArgsSchema,
  checkoutSessionStatusArgsSchema,
  newCheckoutSessionSchema,
} from './checkout-session-cache.schemas.js';
import { parseOrThrow } from './checkout-session-cache.parsing.js';
import { CheckoutSessionConflictError } from './errors/checkout-session-conflict.error.js';
import { CheckoutSessionIdempotencyKeyReusedError } from './errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionSoldOutError } from './errors/checkout-session-sold-out.error.js';
import { holdBucketOf } from './checkout-session-cache.holds.js';
import { sameJson } from './checkout-session-cache.utils.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';
import type { CheckoutSessionClock } from './interfaces/checkout-session-clock.interface.js';
import type { CheckoutSessionStore } from './interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionCount,
  CheckoutSessionCreateOptions,
  CheckoutSessionCreateResult,
  CheckoutSessionCountQuery,
  CheckoutSessionHeldQuery,
  CheckoutSessionStatus,
  NewCheckoutSession,
} from './interfaces/checkout-session.interface.js';

/** The statuses a session may move to `to` from. */
const predecessorsOf = (to: CheckoutSessionStatus): CheckoutSessionStatus[] =>
  CHECKOUT_SESSION_STATUSES.filter((from) => CHECKOUT_SESSION_TRANSITIONS[from].includes(to));

/**
 * The port's implementation over any driver: validates arguments before any I/O, builds new sessions (id, status,
 * timestamps) and turns driver outcomes into the port's results and errors.
 */
export class CheckoutSessionCacheService implements CheckoutSessionCache, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly ttlMs: number;

  constructor(
    private readonly store: CheckoutSessionStore,
    private readonly clock: CheckoutSessionClock,
    ttlHours: number,
  ) {
    this.ttlMs = ttlHours * 3_600_000;
  }

  async create(input: NewCheckoutSession, options: CheckoutSessionCreateOptions = {}): Promise<CheckoutSession> {
    return (await this.createOrReplay(input, options)).session;
  }

  async createOrReplay(input: NewCheckoutSession, options: CheckoutSessionCreateOptions = {}): Promise<CheckoutSessionCreateResult> {
    const valid = parseOrThrow(newCheckoutSessionSchema, input);
    const { idempotencyKey, maxHeld } = parseOrThrow(checkoutSessionCreateOptionsSchema, options);
    const createdAt = this.clock.now();
    const session: CheckoutSession = {
      id: randomUUID(),
      ...valid,
      status: 'CREATED',
      createdAt: new Date(createdAt),
      // DynamoDB's TTL attribute holds epoch seconds: both drivers round up to the whole second.
      expiresAt: new Date(Math.ceil((createdAt + this.ttlMs) / 1000) * 1000),
    };
    const result = await this.store.insert(session, { bucket: holdBucketOf(session.expiresAt, this.ttlMs), maxHeld }, idempotencyKey, createdAt);
    switch (result.outcome) {
      case 'created':
        return { session, replayed: false };
      case 'replayed':
        return { session: await this.replay(idempotencyKey!, valid, result.existingId), replayed: true };
      case 'soldOut':
        throw new CheckoutSessionSoldOutError(valid.eventId, valid.priceId, valid.quantity, result.available);
    }
  }

  /** The session an earlier create with this key made, provided it was made from the same input and still lives. */
  private async replay(idempotencyKey: string, input: NewCheckoutSession, existingId: string): Promise<CheckoutSession> {
    // Strongly consistent whatever the options: the session was written a moment ago, perhaps by a concurrent call.
    const existing = await this.store.get(existingId, this.clock.now(), true);
    if (!existing) {
      throw new CheckoutSessionIdempotencyKeyReusedError(idempotencyKey, 'belongs to a session that was deleted or has expired');
    }
    const { eventId, priceId, quantity, price, metadata } = existing;
    if (!sameJson({ eventId, priceId, quantity, price, metadata }, input)) {
      // The message names no session: only a caller repeating the same request may learn its id.
      throw new CheckoutSessionIdempotencyKeyReusedError(idempotencyKey, 'was used for a create with different input');
    }
    return existing;
  }

  async getById(id: string): Promise<CheckoutSession | null> {
    parseOrThrow(checkoutSessionIdArgsSchema, { id });
    return this.store.get(id, this.clock.now());
  }

  async updateStatus(id: string, status: CheckoutSessionStatus): Promise<CheckoutSession | null> {
    parseOrThrow(checkoutSessionStatusArgsSchema, { id, status });
    const result = await this.store.transition(id, predecessorsOf(status), status, this.clock.now());
    switch (result.outcome) {
      case 'updated':
        return result.session;
      case 'absent':
        return null;
      case 'conflict':
        throw new CheckoutSessionConflictError(id, result.current, status);
    }
  }

  async deleteById(id: string): Promise<void> {
    parseOrThrow(checkoutSessionIdArgsSchema, { id });
    return this.store.delete(id, this.clock.now());
  }

  async count(query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount> {
    return this.store.count(parseOrThrow(checkoutSessionCountQuerySchema, query), this.clock.now());
  }

  async held(query: CheckoutSessionHeldQuery): Promise<number> {
    return this.store.held(parseOrThrow(checkoutSessionHeldQuerySchema, query), this.clock.now());
  }

  async ping(): Promise<void> {
    return this.store.ping();
  }

  async onModuleInit(): Promise<void> {
    this.logger.log(`Using the ${this.store.driver} driver, sessions live ${this.ttlMs / 3_600_000} h`);
    await this.store.init();
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}
