import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CheckoutSessionCacheHealthIndicator } from '@ticketoffice/checkout-session-cache/health';
import { DynamoDbClientConsumerModule } from './dynamodb-client.module.js';
import { DynamoDbConsumerModule } from './dynamodb.module.js';
import { LifecycleService } from './lifecycle.service.js';
import { MemoryConsumerModule } from './memory.module.js';

const modules = { memory: MemoryConsumerModule, dynamodb: DynamoDbConsumerModule, 'dynamodb-client': DynamoDbClientConsumerModule };

/**
 * Boots the consumer with the wiring named on the command line, runs the lifecycle, prints the outcome as JSON.
 * No top-level await: the same sources compile to an ESM and to a CommonJS app.
 */
async function main(mode: keyof typeof modules): Promise<void> {
  const app = await NestFactory.createApplicationContext(modules[mode], { logger: ['error', 'warn', 'log'] });
  const result: Record<string, unknown> = { mode, ...(await app.get(LifecycleService).run()) };
  if (mode !== 'memory') result.health = await app.get(CheckoutSessionCacheHealthIndicator).isHealthy();
  await app.close();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

void main(process.argv[2] as keyof typeof modules);
