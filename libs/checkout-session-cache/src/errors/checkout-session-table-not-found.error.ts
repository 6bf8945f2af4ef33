import { CheckoutSessionStoreUnavailableError } from './checkout-session-store-unavailable.error.js';

/** The DynamoDB table (or its index) does not exist: a provisioning problem, not a missing session. */
export class CheckoutSessionTableNotFoundError extends CheckoutSessionStoreUnavailableError {
  constructor(
    readonly tableName: string,
    options?: ErrorOptions,
  ) {
    super(
      `DynamoDB table "${tableName}" (or its index) does not exist: run \`npm run table:create\` or see docs/provisioning.md`,
      options,
    );
  }
}
