import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isNamed } from './dynamodb-error.guard.js';

// How the driver reads DynamoDB's answers: which failures are definitive, which are races to try again, and which
// leave a write's outcome unknown.


/** Why each part of a cancelled transaction failed, in request order, or `null` when `error` is not a cancelled transaction. */
export function cancellationReasons(error: unknown): CancellationReason[] | null {
  if (!isNamed(error, 'TransactionCanceledException')) return null;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

/** The item a part of a cancelled transaction failed its condition on (`undefined`: no item), or `null` if it did not fail one. */
export function failedConditionItem<T>(reason: CancellationReason | undefined): T | undefined | null {
  if (reason?.Code !== 'ConditionalCheckFailed') return null;
  return reason.Item ? (unmarshall(reason.Item) as T) : undefined;
}

/** The item a single write failed its condition on (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), or `null` if it did not fail one. */
export function conditionFailureItem<T>(error: unknown): T | undefined | null {
  if (!isNamed(error, 'ConditionalCheckFailedException')) return null;
  const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return item ? (unmarshall(item) as T) : undefined;
}

/** Whether a part of a cancelled transaction lost a race for its item or met the item's (or a provisioned table's) throughput limit. */
export const isContendedReason = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'TransactionConflict' || reason?.Code === 'ThrottlingError' || reason?.Code === 'ProvisionedThroughputExceeded';

/**
 * Whether a write lost a race for its items or met the per-item throughput limit, which DynamoDB reports inside a
 * cancelled transaction (so the SDK does not retry it): a transaction cancelled for `TransactionConflict` or
 * `ThrottlingError`, or a single write refused with `TransactionConflictException` while a transaction holds its item.
 * Nothing was written: trying again is safe.
 */
export function isContended(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  if (reasons) return reasons.some(isContendedReason);
  return isNamed(error, 'TransactionConflictException');
}

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/**
 * Whether a write may have landed although it failed: no answer (timeout, reset, aborted), a server error, a
 * transaction still in progress, or a failure after the SDK retried an attempt. A refusal DynamoDB answered on the
 * first attempt (a cancelled transaction, a failed condition, a validation error, a missing table, a throttled
 * request) wrote nothing. A cancellation after retries is definitive too: the retries reused the transaction's
 * `ClientRequestToken`, which DynamoDB answers as the first attempt when that one landed.
 */
export function isUncertain(error: unknown): boolean {
  if (cancellationReasons(error) !== null || isNamed(error, 'ConditionalCheckFailedException') || isNamed(error, 'TransactionConflictException')) return false;
  const metadata = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } } | null)?.$metadata;
  const status = metadata?.httpStatusCode;
  if (isNamed(error, 'TransactionInProgressException')) return true;
  if (status !== undefined && status >= 400 && status < 500) return THROTTLING.has((error as Error).name) && (metadata?.attempts ?? 1) > 1;
  return true;
}
