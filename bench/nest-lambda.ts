// What the bench's Lambda entries (bare-lambda.ts, library-lambda.ts) share with the sample app's (lambda.ts): a Nest
// Express app with JSON logs, initialised once, served through the same adapter.
import { ConsoleLogger, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type HttpLambdaHandler, toLambdaHandler } from '../apps/checkout-api/src/lambda-handler.js';

/** Creates and initialises the app of `module`, logging as the sample app does on Lambda, and returns its handler. */
export async function lambdaHandlerOf(module: Type): Promise<HttpLambdaHandler> {
  const app = await NestFactory.create<NestExpressApplication>(module, { logger: new ConsoleLogger({ json: true }) });
  await app.init();
  return toLambdaHandler(app);
}
