import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';

type Holder = { hold(...args: unknown[]): Promise<unknown>; held?(eventId: string, priceId: string): Promise<number> };

/**
 * Boots a README example (the module file named on the command line, which exports `AppModule`) and runs every
 * service of it that has a `hold` method, as a user of the example would; prints the outcome as JSON.
 */
async function main(file: string): Promise<void> {
  const example = (await import(file)) as Record<string, unknown>;
  const app = await NestFactory.createApplicationContext(example.AppModule as never, { logger: ['error', 'warn', 'log'] });
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(example)) {
    if (typeof value !== 'function' || typeof (value.prototype as Partial<Holder>).hold !== 'function') continue;
    const service = app.get<Holder>(value as never);
    const eventId = `readme-${name}-${Date.now()}`;
    // hold(input) or hold(eventId, priceId, quantity, stock, sold), the two shapes the READMEs show.
    const held = service.hold.length === 1 ? await service.hold({ eventId, priceId: 'ga', quantity: 2 }) : await service.hold(eventId, 'ga', 2, 10, 0);
    result[name] = { status: (held as { status?: string } | null)?.status, ...(service.held && { held: await service.held(eventId, 'ga') }) };
  }
  await app.close();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

void main(process.argv[2]!);
