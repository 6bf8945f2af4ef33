// The DynamoDB Local launcher moved to scripts/dynamodb-local.launcher.mjs, where scripts and tests both import it.
// This re-export serves the importers not yet moved to it (a DynamoDB store spec, the outage test, the benchmark).
export * from '../../scripts/dynamodb-local.launcher.mjs';
