/**
 * The IAM actions the DynamoDB driver sends at run time: on the table itself, and on its indexes. The app's
 * least-privilege policy is built from this list (docs/iam/app-policy.json, the CDK stack), and a test checks it
 * against the requests the library actually sent.
 */
export const CHECKOUT_SESSION_CACHE_IAM_ACTIONS: Readonly<{ table: readonly string[]; index: readonly string[] }> = {
  table: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:DescribeTable',
    'dynamodb:DescribeTimeToLive',
  ],
  index: ['dynamodb:Query'],
};
