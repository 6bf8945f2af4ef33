import { registerAs } from '@nestjs/config';
import { z } from 'zod';

const portSchema = z
  .string()
  .regex(/^\d+$/, 'PORT must be an integer from 1 to 65535')
  .transform(Number)
  .refine((port) => port >= 1 && port <= 65_535, 'PORT must be an integer from 1 to 65535');

/** The sample app's own env (`PORT`, default 3000), validated at start-up. */
export const appConfig = registerAs('app', () => {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return { port: 3000 };
  const result = portSchema.safeParse(raw);
  if (!result.success) throw new Error(`Invalid environment: ${result.error.issues[0]!.message} (got ${JSON.stringify(raw)})`);
  return { port: result.data };
});
