// The CDK app (cdk.json points here): `npm run infra:synth` writes the CloudFormation template to cdk.out/ and says
// where, and the CDK CLI deploys it (docs/lambda.md). Build the bundle first: `npm run build:lambda`.
import { App } from 'aws-cdk-lib';
import { relative } from 'node:path';
import { CheckoutApiStack } from './checkout-api.stack.js';

// The CDK CLI sets CDK_OUTDIR; run alone (npm run infra:synth), the app writes to cdk.out/.
const app = new App({ outdir: process.env.CDK_OUTDIR || 'cdk.out' });
const stack = new CheckoutApiStack(app, 'CheckoutApi', { description: 'checkout-api on AWS Lambda with its checkout sessions table' });
const assembly = app.synth();
// On stderr: the CDK CLI reads nothing from the app's stdout, and a pipe of the template stays clean.
process.stderr.write(`CloudFormation template of stack ${stack.stackName}: ${relative(process.cwd(), assembly.getStackByName(stack.stackName).templateFullPath)}\n`);
