import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createCheckoutApi } from './app.setup.js';
import { setupOpenApi } from './openapi/checkout-api.openapi.js';

async function bootstrap(): Promise<void> {
  const app = await createCheckoutApi();
  // Here, not in the shared setup: the Lambda bundle stays without @nestjs/swagger (README).
  setupOpenApi(app);
  const port = app.get(ConfigService).getOrThrow<number>('app.port');
  await app.listen(port);
  new Logger('CheckoutApi').log(`Listening on port ${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('CheckoutApi').error(`Start-up failed: ${(error as Error).message}`);
  process.exit(1);
});
