import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { DynamoDbConsumerModule } from './dynamodb.module.js';
import { LifecycleService } from './lifecycle.service.js';
import { MemoryConsumerModule } from './memory.module.js';

/** Boots the consumer with the wiring named on the command line, runs the lifecycle, prints the outcome as JSON. */
const mode = process.argv[2];
const app = await NestFactory.createApplicationContext(mode === 'dynamodb' ? DynamoDbConsumerModule : MemoryConsumerModule, {
  logger: ['error', 'warn', 'log'],
});
const result: Record<string, unknown> = { mode, ...(await app.get(LifecycleService).run()) };
if (mode === 'dynamodb') result.health = await app.get(CheckoutSessionCacheHealthIndicator).isHealthy();
await app.close();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
