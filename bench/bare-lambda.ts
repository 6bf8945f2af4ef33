// The floor of the cold-start benchmark: a bare Nest app with one controller, served to Lambda by the same adapter
// and logger as the sample app's entry (apps/checkout-api/src/lambda.ts), bundled the same way.
import 'reflect-metadata';
import { ConsoleLogger, Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { toLambdaHandler } from '../apps/checkout-api/src/lambda-handler.js';

@Controller('ping')
class PingController {
  @Get()
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [PingController] })
class BareModule {}

const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: new ConsoleLogger({ json: true }) });
await app.init();

/** The bare app's Lambda handler. */
export const handler = toLambdaHandler(app);
