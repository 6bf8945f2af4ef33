import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { HealthController } from './health.controller.js';

/** `/health`, backed by the cache's terminus indicator. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [CheckoutSessionCacheHealthIndicator],
})
export class HealthModule {}
