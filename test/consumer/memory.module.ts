import { Module } from '@nestjs/common';
import { CheckoutSessionCacheModule } from '@ticketoffice/checkout-session-cache';
import { LifecycleService } from './lifecycle.service.js';

/** Consumer wiring 1: the in-memory driver, chosen in code. */
@Module({ imports: [CheckoutSessionCacheModule.forRoot('memory')], providers: [LifecycleService] })
export class MemoryConsumerModule {}
