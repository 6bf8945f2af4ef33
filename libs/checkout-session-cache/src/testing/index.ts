export {
  describeCheckoutSessionStoreContract,
  type CheckoutSessionStoreContractContext,
  type CheckoutSessionStoreContractFactory,
} from './checkout-session-store.contract.js';
export { INDEX_LAG_BOUND_MS, settled } from './checkout-session-index.settle.js';
export { ManualCheckoutSessionClock } from './manual-checkout-session.clock.js';
