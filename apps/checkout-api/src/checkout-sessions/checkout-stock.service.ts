import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { CheckoutStock } from '../app.config.js';

/** The tickets available to hold per event/price, from `CHECKOUT_API_STOCK`. */
@Injectable()
export class CheckoutStockService {
  private readonly stock: CheckoutStock;

  constructor(config: ConfigService) {
    this.stock = config.getOrThrow<CheckoutStock>('app.stock');
  }

  /** Tickets available to hold for the pair (the `maxHeld` of its creates), or `undefined` when it is not limited. */
  maxHeld(eventId: unknown, priceId: unknown): number | undefined {
    if (typeof eventId !== 'string' || typeof priceId !== 'string' || !Object.hasOwn(this.stock, eventId)) return undefined;
    const prices = this.stock[eventId]!;
    return Object.hasOwn(prices, priceId) ? prices[priceId] : undefined;
  }
}
