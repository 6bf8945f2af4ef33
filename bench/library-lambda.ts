// The library's share of a cold start: the bare app of bench/bare-lambda.ts plus the cache module (driver and settings
// from env, as the sample app takes them) and one controller that reads a session through the port. Bundled, served
// and logged the same way as the bare app and the sample app.
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import {
  type CheckoutSession,
  type CheckoutSessionCache,
  CheckoutSessionCacheModule,
  InjectCheckoutSessionCache,
} from '../libs/checkout-session-cache/src/index.js';
import { lambdaHandlerOf } from './nest-lambda.js';

@Controller('checkout-sessions')
class SessionController {
  constructor(@InjectCheckoutSessionCache() private readonly cache: CheckoutSessionCache) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<CheckoutSession> {
    const session = await this.cache.getById(id);
    if (!session) throw new NotFoundException();
    return session;
  }
}

@Module({ imports: [CheckoutSessionCacheModule.forRoot()], controllers: [SessionController] })
class LibraryModule {}

// As in the sample app's entry: no start-up table check on Lambda unless the env asks for it.
process.env.DYNAMODB_VERIFY_TABLE_ON_STARTUP ||= 'false';

/** The Lambda handler of the bare app with the library. */
export const handler = await lambdaHandlerOf(LibraryModule);
