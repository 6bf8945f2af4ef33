import { Controller, Get, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { HealthCheckFilter } from './health-check.filter.js';

/** `GET /health`: 200 when the store answers, 503 when not, with terminus's report either way. */
@Controller('health')
@UseFilters(HealthCheckFilter)
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
