/** Whether `error` is an AWS SDK error of this name (`ResourceNotFoundException`, `ConditionalCheckFailedException`, …). */
export const isNamed = (error: unknown, name: string): boolean => (error as Error | null)?.name === name;
