import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { CheckoutSessionClock } from '../../interfaces/checkout-session-clock.interface.js';

/** Key the probe reads: never a session id (a UUID) nor another item's id (`idempotency#…`, `hold#…`). */
export const HEALTH_PROBE_ID = 'health#probe';

/**
 * The DynamoDB driver's health probe: one `GetItem` of a reserved key — a data-plane read, unlike `DescribeTable`,
 * whose control-plane rate limit is shared by the whole account — cut off after `timeoutMs`. A success is reused for
 * `cacheMs`, and concurrent checks share one probe; a failure is not kept, so recovery shows at the next check.
 */
export class DynamoDbCheckoutSessionProbe {
  private upUntil = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;

  constructor(
    /** The client to probe with, asked for at each probe (the module creates it on the first). */
    private readonly client: () => DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: CheckoutSessionClock,
    private readonly timeoutMs: number,
    private readonly cacheMs: number,
  ) {}

  /** Resolves when DynamoDB answered a read of the table now or within the last `cacheMs`; rejects with the SDK's error. */
  check(): Promise<void> {
    if (this.clock.now() < this.upUntil) return Promise.resolve();
    this.running ??= this.probe().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probe(): Promise<void> {
    await this.client().send(
      new GetItemCommand({ TableName: this.tableName, Key: { id: { S: HEALTH_PROBE_ID } }, ProjectionExpression: 'id' }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    this.upUntil = this.clock.now() + this.cacheMs;
  }
}
