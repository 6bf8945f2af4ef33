import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CheckoutSessionCacheModule } from '@ticketoffice/checkout-session-cache';
import { appConfig } from './app.config.js';
import { CheckoutSessionsModule } from './checkout-sessions/checkout-sessions.module.js';
import { HealthModule } from './health/health.module.js';
import { PricesModule } from './prices/prices.module.js';

/** The sample app: the cache's driver and settings come from env (see the README). */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig] }),
    CheckoutSessionCacheModule.forRoot({ isGlobal: true }),
    CheckoutSessionsModule,
    PricesModule,
    HealthModule,
  ],
})
export class AppModule {}
