import { DEFAULT_SWEEP_INTERVAL_MS } from '../checkout-session-cache.defaults.js';
import { MemoryCheckoutSessionStore } from '../drivers/memory/memory-checkout-session.store.js';
import { describeCheckoutSessionStoreContract } from './checkout-session-store.contract.js';

describeCheckoutSessionStoreContract(
  'memory driver',
  ({ clock }) => new MemoryCheckoutSessionStore(clock, DEFAULT_SWEEP_INTERVAL_MS),
);
