import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { CheckoutSessionValidationError } from './errors/checkout-session-validation.error.js';

/**
 * Parse options giving zod's English messages to the checks that have no message of their own. `zod/mini` loads no
 * locale (zod's classic API loads English when imported), and a library must not change the app's global zod config,
 * so the messages are passed per parse.
 */
export const IN_ENGLISH = { error: en().localeError } as const;

/** Formats schema issues as `path: message` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
}

/** Parses `value` or throws {@link CheckoutSessionValidationError}. */
export function parseOrThrow<T extends z.ZodMiniType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, IN_ENGLISH);
  if (!result.success) throw new CheckoutSessionValidationError(formatIssues(result.error.issues));
  return result.data;
}
