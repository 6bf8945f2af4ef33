import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';

/** `GET /health`: 200 when the store answers, 503 when not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CheckoutSessionCacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.isHealthy()]);
  }
}
