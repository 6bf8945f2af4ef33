import { Module } from '@nestjs/common';
import { CheckoutSessionsController } from './checkout-sessions.controller.js';

/** HTTP API over the checkout session cache. */
@Module({ controllers: [CheckoutSessionsController] })
export class CheckoutSessionsModule {}
