export { CheckoutSessionCacheHealthIndicator } from './checkout-session-cache.health-indicator.js';
