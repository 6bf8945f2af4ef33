import { type NestApplicationOptions, StandardSchemaValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { ApiErrorsFilter } from './errors/api-errors.filter.js';

/** Largest accepted request body; larger ones get 413. */
export const MAX_BODY = '64kb';

/** What every entry and the e2e tests apply to the app: body limit, schema validation, error mapping, shutdown. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: MAX_BODY });
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  app.useGlobalFilters(new ApiErrorsFilter());
  app.enableShutdownHooks();
  return app;
}

/** Creates the configured sample app, not yet initialised: the one bootstrap of `main.ts` (HTTP server) and `lambda.ts`. */
export async function createCheckoutApi(options: Omit<NestApplicationOptions, 'bodyParser'> = {}): Promise<NestExpressApplication> {
  return configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { ...options, bodyParser: false }));
}
