import { cancellationReasons, isContended, isUncertain } from './dynamodb-checkout-session.outcomes.js';

const error = (name: string, $metadata: object = { httpStatusCode: 400, attempts: 1 }, extra: object = {}) => Object.assign(new Error(name), { name, $metadata, ...extra });

describe('decoding DynamoDB answers', () => {
  it.each<[string, Error, boolean]>([
    ['a cancelled transaction', error('TransactionCanceledException', undefined, { CancellationReasons: [{ Code: 'None' }] }), false],
    ['a cancelled transaction after the SDK retried it (same token)', error('TransactionCanceledException', { httpStatusCode: 400, attempts: 3 }, { CancellationReasons: [] }), false],
    ['a failed condition', error('ConditionalCheckFailedException'), false],
    ['a single write refused while a transaction holds its item', error('TransactionConflictException'), false],
    ['a validation error', error('ValidationException'), false],
    ['a missing table', error('ResourceNotFoundException'), false],
    ['a request throttled at its first attempt', error('ThrottlingException'), false],
    ['a request throttled after an earlier attempt', error('ProvisionedThroughputExceededException', { httpStatusCode: 400, attempts: 2 }), true],
    ['a transaction still in progress', error('TransactionInProgressException'), true],
    ['a timeout', error('TimeoutError', { attempts: 3 }), true],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a server error', error('InternalServerError', { httpStatusCode: 500, attempts: 3 }), true],
  ])('%s: outcome unknown = %s', (_case, answer, uncertain) => {
    expect(isUncertain(answer)).toBe(uncertain);
  });

  it('tells lost races from other cancellations', () => {
    const cancelled = (codes: string[]) => error('TransactionCanceledException', undefined, { CancellationReasons: codes.map((Code) => ({ Code })) });
    expect(isContended(cancelled(['None', 'TransactionConflict']))).toBe(true);
    expect(isContended(cancelled(['ThrottlingError', 'None']))).toBe(true);
    expect(isContended(cancelled(['ConditionalCheckFailed', 'None']))).toBe(false);
    expect(isContended(error('TransactionConflictException'))).toBe(true);
    expect(isContended(error('ConditionalCheckFailedException'))).toBe(false);
    expect(cancellationReasons(error('ValidationException'))).toBeNull();
  });
});
