import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CheckoutSessionStatus } from '../../interfaces/checkout-session.interface.js';
import { countKeyOf, countShardOf } from './dynamodb-checkout-session.keys.js';
import { isNamed } from './dynamodb-error.guard.js';

/**
 * Gives every live session of the previous layout — or changed by an app of that version during a rollout — the count
 * index's keys (`countShard`, `countKey`) its status and ids call for: a Scan of the table and one UpdateItem per
 * session that needs it, conditioned on the status it read. Safe to run again and while apps serve. Returns how many
 * sessions it updated.
 */
export async function backfillCheckoutSessionCountKeys(
  client: DynamoDBClient,
  tableName: string,
  log: (message: string) => void = () => {},
  now: number = Date.now(),
): Promise<number> {
  const documents = DynamoDBDocumentClient.from(client);
  let updated = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: 'id, eventId, priceId, #status, countShard, countKey, holdExpiresAt',
        FilterExpression: 'attribute_exists(#status) AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as { id: string; eventId: string; priceId: string; status: CheckoutSessionStatus; countShard?: string; countKey?: string; holdExpiresAt?: number }[]) {
      const countShard = countShardOf(item.eventId, item.id);
      const countKey = countKeyOf(item.status, item.priceId, item.holdExpiresAt);
      if (item.countShard === countShard && item.countKey === countKey) continue;
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { id: item.id },
            UpdateExpression: 'SET countShard = :countShard, countKey = :countKey',
            ConditionExpression: '#status = :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':countShard': countShard, ':countKey': countKey, ':status': item.status },
          }),
        );
        updated += 1;
      } catch (error) {
        // Changed (or deleted) since the scan read it: its writer set the keys itself.
        if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  log(`Backfilled the count index keys of ${updated} session(s) in table "${tableName}"`);
  return updated;
}
