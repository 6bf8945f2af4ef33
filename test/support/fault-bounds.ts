import { randomUUID } from 'node:crypto';
import type { CheckoutSessionCache } from '../../libs/checkout-session-cache/src/index.js';
import type { Fault } from './fault-proxy.js';

// What a faulted call may cost, by the documented bounds (docs/retries-and-timeouts.md): shared by the reliability
// suites, which assert what a faulted call answers, and the benchmark, which measures how long it takes.

/** Settings of the faulted clients: short timeouts keep the suites fast, the bounds below follow from them. */
export const FAULT_SETTINGS = { maxAttempts: 3, requestTimeoutMs: 300 } as const;

/**
 * The documented worst case of one call: every attempt spends its connection and request timeouts, plus the SDK's
 * backoff between attempts (full jitter, at most base × 2^i; base 100 ms, 500 ms throttled).
 */
export const FAILURE_BOUND_MS =
  FAULT_SETTINGS.maxAttempts * 2 * FAULT_SETTINGS.requestTimeoutMs +
  Array.from({ length: FAULT_SETTINGS.maxAttempts - 1 }, (_, i) => 500 * 2 ** i).reduce((a, b) => a + b, 0);

/**
 * The documented worst case of a write whose outcome stays unknown: the call's bound, then resends of the identical
 * request until DynamoDB answers, for at most `maxAttempts × requestTimeoutMs`.
 */
export const WRITE_FAILURE_BOUND_MS = FAILURE_BOUND_MS + FAULT_SETTINGS.maxAttempts * FAULT_SETTINGS.requestTimeoutMs;

/** Faults that make every attempt fail. */
export const FAULTS: [name: string, fault: Fault][] = [
  ['latency beyond the request timeout', { kind: 'latency', ms: FAULT_SETTINGS.requestTimeoutMs * 3 }],
  ['a black-holed connection', { kind: 'blackhole' }],
  ['connection resets', { kind: 'reset' }],
  ['HTTP 500', { kind: 'http', status: 500 }],
  ['HTTP 503', { kind: 'http', status: 503 }],
  ['ThrottlingException', { kind: 'throttle' }],
];

/**
 * Every port operation a faulted suite calls, with its documented bound: a write resends a request whose answer never
 * came (its own bound); the status change and the delete fail at their first read. `target` gives the cache and an
 * existing session's id when an operation runs, so a suite may reboot its module between runs.
 */
export function faultedOperations(target: () => { cache: CheckoutSessionCache; existing: string }): [name: string, call: () => Promise<unknown>, boundMs: number][] {
  return [
    ['create', () => target().cache.create({ eventId: 'faults', priceId: 'p', quantity: 1 }), WRITE_FAILURE_BOUND_MS],
    ['getById', () => target().cache.getById(target().existing), FAILURE_BOUND_MS],
    ['updateStatus', () => target().cache.updateStatus(target().existing, 'CONFIRMING'), FAILURE_BOUND_MS],
    ['count', () => target().cache.count({ eventId: 'faults' }), FAILURE_BOUND_MS],
    ['deleteById', () => target().cache.deleteById(randomUUID()), FAILURE_BOUND_MS],
    ['ping', () => target().cache.ping(), FAILURE_BOUND_MS],
  ];
}
