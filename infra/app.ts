// The CDK app (cdk.json points here): `npm run infra:synth` writes the CloudFormation template to cdk.out/, and the
// CDK CLI deploys it (docs/lambda.md). Build the bundle first: `npm run build:lambda`.
import { App } from 'aws-cdk-lib';
import { CheckoutApiStack } from './checkout-api.stack.js';

// The CDK CLI sets CDK_OUTDIR; run alone (npm run infra:synth), the app writes to cdk.out/.
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
new CheckoutApiStack(app, 'CheckoutApi', { description: 'checkout-api on AWS Lambda with its checkout sessions table' });
app.synth();
