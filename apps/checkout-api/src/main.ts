import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';

async function bootstrap(): Promise<void> {
  const app = configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false }));
  const port = app.get(ConfigService).getOrThrow<number>('app.port');
  await app.listen(port);
  new Logger('CheckoutApi').log(`Listening on port ${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('CheckoutApi').error(`Start-up failed: ${(error as Error).message}`);
  process.exit(1);
});
