import { BadRequestException, Body, Controller, Delete, Get, Headers, HttpCode, NotFoundException, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  checkoutSessionIdempotencyKeySchema,
  checkoutSessionStatusUpdateSchema,
  InjectCheckoutSessionCache,
  type CheckoutSession,
  type CheckoutSessionCache,
  type CheckoutSessionCount,
  type CheckoutSessionCountQuery,
  type CheckoutSessionHeldQuery,
  type CheckoutSessionStatus,
  type NewCheckoutSession,
} from '@ticketoffice/checkout-session-cache';
import type { Response } from 'express';
import type * as z from 'zod/mini';

/** The response header that marks a create answered from an earlier one with the same `Idempotency-Key`. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** Answer of `GET /checkout-sessions/held`: tickets held now (the stock's figures: `GET …/availability`). */
export interface HeldResponse {
  held: number;
}

/**
 * `/checkout-sessions`: create, read, change status, delete, count sessions and read what is held. A session reads
 * `EXPIRED` once its hold lapses (`holdExpiresAt`), until its record's TTL (`expiresAt`). Bodies, queries and ids are
 * validated once, by the library (its `CheckoutSessionValidationError` becomes 400 in the errors filter).
 */
@Controller('checkout-sessions')
export class CheckoutSessionsController {
  constructor(@InjectCheckoutSessionCache() private readonly cache: CheckoutSessionCache) {}

  /**
   * An `Idempotency-Key` header makes retries safe: the same key and body return the first call's session, with
   * `Idempotent-Replayed: true`. On a price with stock (`PUT /events/:eventId/prices/:priceId/stock`) the library
   * holds only what is free (409 `SOLD_OUT` when not enough is); the hold lapses at `holdExpiresAt`.
   */
  @Post()
  async create(
    @Body() body: NewCheckoutSession,
    @Res({ passthrough: true }) response: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<CheckoutSession> {
    if (idempotencyKey !== undefined) {
      const key = checkoutSessionIdempotencyKeySchema.safeParse(idempotencyKey);
      if (!key.success) throw new BadRequestException(key.error.issues.map((issue) => `Idempotency-Key header: ${issue.message}`));
    }
    const { session, replayed } = await this.cache.createOrReplay(body, idempotencyKey === undefined ? {} : { idempotencyKey });
    if (replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return session;
  }

  /** `status` may repeat (`status=CREATED&status=CONFIRMING`) or list statuses separated by commas. */
  @Get('count')
  count(@Query() query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount> {
    const { status } = query;
    return this.cache.count(typeof status === 'string' && status.includes(',') ? { ...query, status: status.split(',') as CheckoutSessionStatus[] } : query);
  }

  @Get('held')
  async held(@Query() query: CheckoutSessionHeldQuery): Promise<HeldResponse> {
    return { held: await this.cache.held(query) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<CheckoutSession> {
    return this.found(id, await this.cache.getById(id));
  }

  @Patch(':id')
  async updateStatus(
    @Param('id') id: string,
    @Body({ schema: checkoutSessionStatusUpdateSchema }) body: z.infer<typeof checkoutSessionStatusUpdateSchema>,
  ): Promise<CheckoutSession> {
    return this.found(id, await this.cache.updateStatus(id, body.status));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    await this.cache.deleteById(id);
  }

  private found(id: string, session: CheckoutSession | null): CheckoutSession {
    if (!session) throw new NotFoundException(`Checkout session ${id} does not exist or has expired`);
    return session;
  }
}
