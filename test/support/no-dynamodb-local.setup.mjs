// Set up in every unit suite: no DynamoDB Local. A full run's global setup exports DYNAMODB_ENDPOINT to every worker,
// unit ones included; removing it here makes a unit spec that reaches for DynamoDB fail in every run, as it would
// under `npm run test:unit` alone, instead of passing only when another project started DynamoDB Local.
delete process.env.DYNAMODB_ENDPOINT;
