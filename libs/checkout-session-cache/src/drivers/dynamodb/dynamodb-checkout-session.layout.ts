import type { AttributeDefinition, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

/**
 * Name of the GSI that backs `count`: `countShard` (`<eventId>#<0–31>`) HASH, `countKey` (`<status>#<priceId>`) RANGE.
 * An event's sessions are spread over 32 partition-key values, and a count by status reads no other status.
 */
export const COUNT_INDEX_NAME = 'countShard-countKey-index';
/** Number of `countShard` values per event: each takes about 1/32 of an event's session writes (docs/scale.md). */
export const COUNT_INDEX_SHARDS = 32;
/**
 * Name of the previous layout's count index (`eventId` HASH, `priceId` RANGE), unused since `COUNT_INDEX_NAME`: on an
 * upgraded table, delete it once the rollout is done (docs/migration.md); until then it still takes every write.
 */
export const EVENT_PRICE_INDEX_NAME = 'eventId-priceId-index';

/** Name of the TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * The GSI that backs `count`, write-sharded: `countShard` = `<eventId>#<n>` (n from the session id, 0 to
 * `COUNT_INDEX_SHARDS` − 1, i.e. 0–31) and `countKey` = `<status>#<priceId>`. It projects only what a count reads;
 * ledgers and other records have neither key, so they stay out of it.
 */
export const COUNT_INDEX: GlobalSecondaryIndex = {
  IndexName: COUNT_INDEX_NAME,
  KeySchema: [
    { AttributeName: 'countShard', KeyType: 'HASH' },
    { AttributeName: 'countKey', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', TTL_ATTRIBUTE] },
};

/** The attributes the table and its count index are keyed on. */
export const TABLE_ATTRIBUTE_DEFINITIONS: AttributeDefinition[] = [
  { AttributeName: 'id', AttributeType: 'S' },
  { AttributeName: 'countShard', AttributeType: 'S' },
  { AttributeName: 'countKey', AttributeType: 'S' },
];

/**
 * The table's layout, for infrastructure code that provisions it (CDK, CloudFormation): partition key, attribute
 * definitions, global secondary indexes and the TTL attribute. Billing is on-demand.
 */
export const CHECKOUT_SESSION_TABLE_LAYOUT: Readonly<{
  partitionKey: string;
  attributeDefinitions: readonly AttributeDefinition[];
  globalSecondaryIndexes: readonly GlobalSecondaryIndex[];
  ttlAttribute: string;
}> = {
  partitionKey: 'id',
  attributeDefinitions: TABLE_ATTRIBUTE_DEFINITIONS,
  globalSecondaryIndexes: [COUNT_INDEX],
  ttlAttribute: TTL_ATTRIBUTE,
};

/**
 * The previous layout's count index and the attributes it is keyed on, for infrastructure code that keeps it while a
 * table is upgraded (docs/migration.md): apps of the previous version still query it until the rollout is done.
 */
export const CHECKOUT_SESSION_PREVIOUS_COUNT_INDEX: Readonly<{
  attributeDefinitions: readonly AttributeDefinition[];
  globalSecondaryIndex: GlobalSecondaryIndex;
}> = {
  attributeDefinitions: [
    { AttributeName: 'eventId', AttributeType: 'S' },
    { AttributeName: 'priceId', AttributeType: 'S' },
  ],
  globalSecondaryIndex: {
    IndexName: EVENT_PRICE_INDEX_NAME,
    KeySchema: [
      { AttributeName: 'eventId', KeyType: 'HASH' },
      { AttributeName: 'priceId', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity', 'status', TTL_ATTRIBUTE] },
  },
};
