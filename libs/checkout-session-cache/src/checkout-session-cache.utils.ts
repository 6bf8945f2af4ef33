import { isDeepStrictEqual } from 'node:util';

/** Whether two values are equal as JSON (properties holding `undefined` count as absent). */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
