import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  checkoutSessionCountQuerySchema,
  checkoutSessionCreateOptionsSchema,
  checkoutSessionHeldQuerySchema,
  checkoutSessionIdArgsSchema,
  checkoutSessionReturnArgsSchema,
  checkoutSessionStatusArgsSchema,
  checkoutSessionStockArgsSchema,
  newCheckoutSessionSchema,
} from './checkout-session-cache.schemas.js';
import { parseOrThrow } from './checkout-session-cache.parsing.js';
import { CheckoutSessionConflictError } from './errors/checkout-session-conflict.error.js';
import { CheckoutSessionIdempotencyKeyReusedError } from './errors/checkout-session-idempotency-key-reused.error.js';
import { CheckoutSessionSoldOutError } from './errors/checkout-session-sold-out.error.js';
import { CheckoutSessionValidationError } from './errors/checkout-session-validation.error.js';
import { holdBucketOf } from './checkout-session-cache.holds.js';
import { ceilToSecond, decideTransition, toPublicSession } from './checkout-session-cache.lifecycle.js';
import { sameJson } from './checkout-session-cache.utils.js';
import type { CheckoutSessionCache } from './interfaces/checkout-session-cache.interface.js';
import type { ResolvedCheckoutSessionCacheOptions } from './interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionClock } from './interfaces/checkout-session-clock.interface.js';
import type { CheckoutSessionStore, StoredCheckoutSession } from './interfaces/checkout-session-store.interface.js';
import type {
  CheckoutSession,
  CheckoutSessionAvailability,
  CheckoutSessionCount,
  CheckoutSessionCreateOptions,
  CheckoutSessionCreateResult,
  CheckoutSessionCountQuery,
  CheckoutSessionHeldQuery,
  CheckoutSessionPriceKey,
  CheckoutSessionStatus,
  NewCheckoutSession,
} from './interfaces/checkout-session.interface.js';

/** The lifetimes the port needs: the record's TTL, the hold window, and the hold while paying. */
export type CheckoutSessionLifetimes = Pick<ResolvedCheckoutSessionCacheOptions, 'ttlHours' | 'holdSeconds' | 'confirmingHoldSeconds'>;

/**
 * The port's implementation over any driver: validates arguments before any I/O, builds new sessions (id, status,
 * timestamps, hold window), decides status changes (the state machine, lapsed holds, the hold's extension) and turns
 * driver outcomes into the port's results and errors.
 */
export class CheckoutSessionCacheService implements CheckoutSessionCache, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CheckoutSessionCache');
  private readonly ttlMs: number;
  private readonly holdMs: number;
  private readonly confirmingHoldMs: number;

  constructor(
    private readonly store: CheckoutSessionStore,
    private readonly clock: CheckoutSessionClock,
    lifetimes: CheckoutSessionLifetimes,
  ) {
    this.ttlMs = lifetimes.ttlHours * 3_600_000;
    this.holdMs = lifetimes.holdSeconds * 1000;
    this.confirmingHoldMs = lifetimes.confirmingHoldSeconds * 1000;
  }

  async create(input: NewCheckoutSession, options: CheckoutSessionCreateOptions = {}): Promise<CheckoutSession> {
    return (await this.createOrReplay(input, options)).session;
  }

  async createOrReplay(input: NewCheckoutSession, options: CheckoutSessionCreateOptions = {}): Promise<CheckoutSessionCreateResult> {
    const valid = parseOrThrow(newCheckoutSessionSchema, input);
    const { idempotencyKey, maxHeld, holdSeconds } = parseOrThrow(checkoutSessionCreateOptionsSchema, options);
    if (holdSeconds !== undefined && holdSeconds * 1000 > this.ttlMs) {
      throw new CheckoutSessionValidationError([`holdSeconds: must be at most the TTL, ${Math.floor(this.ttlMs / 1000)} s`]);
    }
    const holdMs = holdSeconds === undefined ? this.holdMs : holdSeconds * 1000;
    const createdAt = this.clock.now();
    // DynamoDB's TTL attribute holds epoch seconds: both drivers round up to the whole second.
    const expiresAt = ceilToSecond(createdAt + this.ttlMs);
    const session: StoredCheckoutSession = {
      id: randomUUID(),
      ...valid,
      status: 'CREATED',
      createdAt: new Date(createdAt),
      expiresAt: new Date(expiresAt),
      holdExpiresAt: new Date(Math.min(expiresAt, ceilToSecond(createdAt + holdMs))),
    };
    const hold = { bucket: holdBucketOf(session.holdExpiresAt, holdMs), maxHeld };
    const result = await this.store.insert(session, hold, idempotencyKey, createdAt);
    switch (result.outcome) {
      case 'created':
        return { session: toPublicSession(session, createdAt), replayed: false };
      case 'replayed':
        return { session: await this.replay(idempotencyKey!, valid, result.existingId), replayed: true };
      case 'soldOut':
        throw new CheckoutSessionSoldOutError(valid.eventId, valid.priceId, valid.quantity, result.available);
    }
  }

  /** The session an earlier create with this key made, provided it was made from the same input and still lives. */
  private async replay(idempotencyKey: string, input: NewCheckoutSession, existingId: string): Promise<CheckoutSession> {
    // Strongly consistent whatever the options: the session was written a moment ago, perhaps by a concurrent call.
    const now = this.clock.now();
    const existing = await this.store.get(existingId, now, true);
    if (!existing) {
      throw new CheckoutSessionIdempotencyKeyReusedError(idempotencyKey, 'belongs to a session that was deleted or has expired');
    }
    const { eventId, priceId, quantity, price, metadata } = existing;
    if (!sameJson({ eventId, priceId, quantity, price, metadata }, input)) {
      // The message names no session: only a caller repeating the same request may learn its id.
      throw new CheckoutSessionIdempotencyKeyReusedError(idempotencyKey, 'was used for a create with different input');
    }
    return toPublicSession(existing, now);
  }

  async getById(id: string): Promise<CheckoutSession | null> {
    parseOrThrow(checkoutSessionIdArgsSchema, { id });
    const now = this.clock.now();
    const session = await this.store.get(id, now);
    return session && toPublicSession(session, now);
  }

  async updateStatus(id: string, status: CheckoutSessionStatus): Promise<CheckoutSession | null> {
    parseOrThrow(checkoutSessionStatusArgsSchema, { id, status });
    const now = this.clock.now();
    const result = await this.store.transition(id, now, (session) => decideTransition(session, status, now, this.confirmingHoldMs));
    switch (result.outcome) {
      case 'updated':
        return toPublicSession(result.session, now);
      case 'absent':
        return null;
      case 'refused':
        throw new CheckoutSessionConflictError(id, result.current, status, result.reason);
      case 'lapsed':
        throw new CheckoutSessionConflictError(id, 'EXPIRED', status, 'HOLD_EXPIRED');
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
    return (await this.store.availability(parseOrThrow(checkoutSessionHeldQuerySchema, query), this.clock.now())).held;
  }

  async setStock(price: CheckoutSessionPriceKey, total: number): Promise<void> {
    const args = parseOrThrow(checkoutSessionStockArgsSchema, { price, total });
    await this.store.setStock(args.price, args.total, this.clock.now());
  }

  async availability(price: CheckoutSessionPriceKey): Promise<CheckoutSessionAvailability> {
    return this.store.availability(parseOrThrow(checkoutSessionHeldQuerySchema, price), this.clock.now());
  }

  async returnTickets(price: CheckoutSessionPriceKey, quantity: number): Promise<void> {
    const args = parseOrThrow(checkoutSessionReturnArgsSchema, { price, quantity });
    const result = await this.store.returnTickets(args.price, args.quantity, this.clock.now());
    if (result.outcome === 'notSold') {
      // The caller's figure is wrong, not the store: a return never takes sold below 0.
      throw new CheckoutSessionValidationError([`quantity: must be at most the ${result.sold} ticket(s) sold`]);
    }
  }

  async ping(): Promise<void> {
    return this.store.ping();
  }

  async onModuleInit(): Promise<void> {
    this.logger.log(`Using the ${this.store.driver} driver, sessions live ${this.ttlMs / 3_600_000} h, holds ${this.holdMs / 1000} s`);
    await this.store.init();
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}
