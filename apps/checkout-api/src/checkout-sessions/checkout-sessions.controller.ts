import { Body, Controller, Delete, Get, Headers, HttpCode, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import {
  checkoutSessionStatusUpdateSchema,
  InjectCheckoutSessionCache,
  type CheckoutSession,
  type CheckoutSessionCache,
  type CheckoutSessionCount,
  type CheckoutSessionCountQuery,
  type NewCheckoutSession,
} from '@ticketoffice/checkout-session-cache';
import type { z } from 'zod';

/**
 * `/checkout-sessions`: create, read, change status, delete and count sessions. Bodies, queries and ids are
 * validated once, by the library (its `CheckoutSessionValidationError` becomes 400 in the errors filter).
 */
@Controller('checkout-sessions')
export class CheckoutSessionsController {
  constructor(@InjectCheckoutSessionCache() private readonly cache: CheckoutSessionCache) {}

  /** An `Idempotency-Key` header makes retries safe: the same key and body return the first call's session. */
  @Post()
  create(@Body() body: NewCheckoutSession, @Headers('idempotency-key') idempotencyKey?: string): Promise<CheckoutSession> {
    return this.cache.create(body, idempotencyKey === undefined ? {} : { idempotencyKey });
  }

  @Get('count')
  count(@Query() query: CheckoutSessionCountQuery): Promise<CheckoutSessionCount> {
    return this.cache.count(query);
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
