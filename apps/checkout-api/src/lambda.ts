import 'reflect-metadata';
import { configure } from '@codegenie/serverless-express';
import { ConsoleLogger } from '@nestjs/common';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RequestListener } from 'node:http';
import { createCheckoutApi } from './app.setup.js';

// On Lambda, init makes no network call unless DYNAMODB_VERIFY_TABLE_ON_STARTUP=true asks for the table check.
process.env.DYNAMODB_VERIFY_TABLE_ON_STARTUP ||= 'false';

// Top-level await: the app (and its DynamoDB client) is built once per execution environment, during Lambda's init
// phase, and serves every invocation after it. A failure here fails the init, which Lambda retries on the next event.
const app = await createCheckoutApi({ logger: new ConsoleLogger({ json: true }) });
await app.init();
const proxy = configure<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
  app: app.getHttpAdapter().getInstance() as RequestListener,
  eventSourceName: 'AWS_API_GATEWAY_V2',
});

/**
 * The Lambda handler (`index.handler` in the bundle): API Gateway HTTP API (payload 2.0) and Function URL events,
 * answered by the sample app.
 */
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  return (await proxy(event, context, () => {})) as APIGatewayProxyStructuredResultV2;
}
