import { Module } from '@nestjs/common';
import { CheckoutSessionsController } from './checkout-sessions.controller.js';
import { CheckoutStockService } from './checkout-stock.service.js';

/** HTTP API over the checkout session cache. */
@Module({ controllers: [CheckoutSessionsController], providers: [CheckoutStockService] })
export class CheckoutSessionsModule {}
