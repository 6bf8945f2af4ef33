import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS } from '../checkout-session-cache.tokens.js';
import { InjectCheckoutSessionCache } from '../checkout-session-cache.decorators.js';
import type { ResolvedCheckoutSessionCacheOptions } from '../interfaces/checkout-session-cache-options.interface.js';
import type { CheckoutSessionCache } from '../interfaces/checkout-session-cache.interface.js';

/**
 * `@nestjs/terminus` health indicator: `up` when the store answers `ping()`, `down` with the error's class name when
 * not (`CheckoutSessionStoreUnavailableError`, `CheckoutSessionTableNotFoundError`); both name the `driver`.
 * Provide it beside `TerminusModule` and add `() => indicator.isHealthy()` to a `HealthCheckService.check([...])`.
 */
@Injectable()
export class CheckoutSessionCacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectCheckoutSessionCache() private readonly cache: CheckoutSessionCache,
    @Inject(CHECKOUT_SESSION_CACHE_RESOLVED_OPTIONS) private readonly options: ResolvedCheckoutSessionCacheOptions,
  ) {}

  /** Checks the store under `key` (default `checkoutSessionCache`). */
  async isHealthy<const Key extends string = 'checkoutSessionCache'>(key: Key = 'checkoutSessionCache' as Key) {
    const indicator = this.health.check(key);
    const { driver } = this.options;
    try {
      await this.cache.ping();
      return indicator.up({ driver });
    } catch (error) {
      // The error's class says what is wrong; its message (endpoints, SDK details) stays out of a probe's response.
      return indicator.down({ driver, error: (error as Error).name });
    }
  }
}
