import { Inject } from '@nestjs/common';
import { CHECKOUT_SESSION_CACHE } from './checkout-session-cache.tokens.js';

/** Injects the {@link CheckoutSessionCache} port: `constructor(@InjectCheckoutSessionCache() cache: CheckoutSessionCache)`. */
export const InjectCheckoutSessionCache = (): PropertyDecorator & ParameterDecorator => Inject(CHECKOUT_SESSION_CACHE);
