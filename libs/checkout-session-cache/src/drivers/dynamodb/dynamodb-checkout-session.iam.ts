/**
 * The IAM actions the DynamoDB driver sends at run time: on the table itself (the health probe is a `GetItem`), on its
 * indexes, and for the start-up table check (`verifyTableOnStartup`, on by default; not needed when it is off). The
 * app's least-privilege policy is built from this list (docs/iam/app-policy.json, the CDK stack), and a test checks it
 * against the requests the library actually sent.
 */
export const CHECKOUT_SESSION_CACHE_IAM_ACTIONS: Readonly<{
  table: readonly string[];
  index: readonly string[];
  startupCheck: readonly string[];
}> = {
  table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  index: ['dynamodb:Query'],
  startupCheck: ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive'],
};
