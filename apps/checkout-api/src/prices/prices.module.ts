import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { PricesController } from './prices.controller.js';

/** HTTP API over the stock the library keeps per event/price. */
@Module({ controllers: [PricesController], providers: [AdminTokenGuard] })
export class PricesModule {}
