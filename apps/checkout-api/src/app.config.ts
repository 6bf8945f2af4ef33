import { registerAs } from '@nestjs/config';
import * as z from 'zod/mini';

const portSchema = z
  .pipe(z.string().check(z.regex(/^\d+$/, 'PORT must be an integer from 1 to 65535')), z.transform(Number))
  .check(z.refine((port) => port >= 1 && port <= 65_535, 'PORT must be an integer from 1 to 65535'));

/** Tickets available to hold per event and price. */
export type CheckoutStock = Readonly<Record<string, Readonly<Record<string, number>>>>;

const STOCK_SHAPE = '{ "<eventId>": { "<priceId>": <tickets available to hold> } }';

const stockSchema = z.record(
  z.string().check(z.minLength(1, 'an eventId must not be empty')),
  z.record(
    z.string().check(z.minLength(1, 'a priceId must not be empty')),
    z
      .number({ error: 'tickets must be a number' })
      .check(z.int('tickets must be an integer'), z.minimum(0, 'tickets must be ≥ 0'), z.maximum(Number.MAX_SAFE_INTEGER, 'tickets must be a safe integer')),
    { error: 'each event must map priceIds to tickets' },
  ),
  { error: `must be a JSON object ${STOCK_SHAPE}` },
);

/** Parses `CHECKOUT_API_STOCK` (unset or empty: no pair is limited); throws a message naming the variable. */
function parseStock(raw: string | undefined): CheckoutStock {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`Invalid environment: CHECKOUT_API_STOCK is not JSON (${(error as Error).message}); expected ${STOCK_SHAPE}`, { cause: error });
  }
  const result = stockSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`Invalid environment: CHECKOUT_API_STOCK${issue.path.map((key) => `[${JSON.stringify(key)}]`).join('')} ${issue.message}`);
  }
  return result.data;
}

/**
 * The sample app's own env, validated at start-up: `PORT` (default 3000) and `CHECKOUT_API_STOCK`, the tickets
 * available to hold per event/price (a real app would pass `stock − sold` from its sales table).
 */
export const appConfig = registerAs('app', () => {
  const stock = parseStock(process.env.CHECKOUT_API_STOCK);
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return { port: 3000, stock };
  const result = portSchema.safeParse(raw);
  if (!result.success) throw new Error(`Invalid environment: ${result.error.issues[0]!.message} (got ${JSON.stringify(raw)})`);
  return { port: result.data, stock };
});
