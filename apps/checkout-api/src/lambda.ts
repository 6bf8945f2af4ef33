import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { createCheckoutApi } from './app.setup.js';
import { toLambdaHandler } from './lambda-handler.js';

// On Lambda, init makes no network call unless DYNAMODB_VERIFY_TABLE_ON_STARTUP=true asks for the table check.
process.env.DYNAMODB_VERIFY_TABLE_ON_STARTUP ||= 'false';

// Top-level await: the app (and its DynamoDB client) is built once per execution environment, during Lambda's init
// phase, and serves every invocation after it. A failure here fails the init, which Lambda retries on the next event.
const app = await createCheckoutApi({ logger: new ConsoleLogger({ json: true }) });
await app.init();

/** The Lambda handler (`index.handler` in the bundle): the sample app for HTTP API and Function URL events. */
export const handler = toLambdaHandler(app);
