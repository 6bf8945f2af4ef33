import { describeCheckoutSessionStoreContract } from '@ticketoffice/checkout-session-cache/testing';
import { MapCheckoutSessionStore } from './map-checkout-session.store.js';

describeCheckoutSessionStoreContract('a Map of the app', () => new MapCheckoutSessionStore());
