import { configure } from '@codegenie/serverless-express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RequestListener } from 'node:http';

/** A Lambda handler for API Gateway HTTP API (payload 2.0) and Function URL events. */
export type HttpLambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Serves an initialised Nest Express app to Lambda through @codegenie/serverless-express; no server listens. */
export function toLambdaHandler(app: NestExpressApplication): HttpLambdaHandler {
  const proxy = configure<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
    app: app.getHttpAdapter().getInstance() as RequestListener,
    eventSourceName: 'AWS_API_GATEWAY_V2',
  });
  return async (event, context) => (await proxy(event, context, () => {})) as APIGatewayProxyStructuredResultV2;
}
