// The floor of the cold-start benchmark: a bare Nest app with one controller, served to Lambda by the same adapter
// and logger as the sample app's entry (apps/checkout-api/src/lambda.ts), bundled the same way.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { lambdaHandlerOf } from './nest-lambda.js';

@Controller('ping')
class PingController {
  @Get()
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [PingController] })
class BareModule {}

/** The bare app's Lambda handler. */
export const handler = await lambdaHandlerOf(BareModule);
