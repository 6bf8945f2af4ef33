import { StandardSchemaValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CheckoutSessionErrorsFilter } from './checkout-sessions/checkout-session-errors.filter.js';

/** Largest accepted request body; larger ones get 413. */
export const MAX_BODY = '64kb';

/** What `main.ts` and the e2e tests both apply to the app: body limit, schema validation, error mapping, shutdown. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: MAX_BODY });
  app.useGlobalPipes(new StandardSchemaValidationPipe());
  app.useGlobalFilters(new CheckoutSessionErrorsFilter());
  app.enableShutdownHooks();
  return app;
}
