import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createCheckoutApi } from './app.setup.js';

async function bootstrap(): Promise<void> {
  const app = await createCheckoutApi();
  const port = app.get(ConfigService).getOrThrow<number>('app.port');
  await app.listen(port);
  new Logger('CheckoutApi').log(`Listening on port ${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('CheckoutApi').error(`Start-up failed: ${(error as Error).message}`);
  process.exit(1);
});
