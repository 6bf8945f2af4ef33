import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  checkoutSessionReturnSchema,
  checkoutSessionStockUpdateSchema,
  InjectCheckoutSessionCache,
  type CheckoutSessionAvailability,
  type CheckoutSessionCache,
  type CheckoutSessionPriceKey,
} from '@ticketoffice/checkout-session-cache';
import type * as z from 'zod/mini';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';

/**
 * `/events/:eventId/prices/:priceId`: a price's stock, kept by the library. Buyers read the availability; the box
 * office sets the stock and takes returns, with the admin token ({@link AdminTokenGuard}). The library computes every
 * figure and validates every argument (its `CheckoutSessionValidationError` becomes 400 in the errors filter); the
 * app adds nothing to them.
 */
@Controller('events/:eventId/prices/:priceId')
export class PricesController {
  constructor(@InjectCheckoutSessionCache() private readonly cache: CheckoutSessionCache) {}

  /** `{ stock, held, sold, available }` from one strongly consistent read; `stock` and `available` are `null` without stock. */
  @Get('availability')
  availability(@Param('eventId') eventId: string, @Param('priceId') priceId: string): Promise<CheckoutSessionAvailability> {
    return this.cache.availability({ eventId, priceId });
  }

  /** Sets the stock (up or down; below `held + sold` takes nothing back) and answers the availability after it. */
  @Put('stock')
  @UseGuards(AdminTokenGuard)
  async setStock(
    @Param('eventId') eventId: string,
    @Param('priceId') priceId: string,
    @Body({ schema: checkoutSessionStockUpdateSchema }) body: z.infer<typeof checkoutSessionStockUpdateSchema>,
  ): Promise<CheckoutSessionAvailability> {
    const price: CheckoutSessionPriceKey = { eventId, priceId };
    await this.cache.setStock(price, body.total);
    return this.cache.availability(price);
  }

  /**
   * Takes sold tickets back into stock (a refund) and answers the availability after it: 200, as the answer is the
   * price's availability, not a resource the call created. More than are sold is a 400 that changes nothing.
   */
  @Post('returns')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async returnTickets(
    @Param('eventId') eventId: string,
    @Param('priceId') priceId: string,
    @Body({ schema: checkoutSessionReturnSchema }) body: z.infer<typeof checkoutSessionReturnSchema>,
  ): Promise<CheckoutSessionAvailability> {
    const price: CheckoutSessionPriceKey = { eventId, priceId };
    await this.cache.returnTickets(price, body.quantity);
    return this.cache.availability(price);
  }
}
