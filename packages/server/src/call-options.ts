/**
 * The checks of the router's own per-call options (`router.request`, `router.disconnect`,
 * `router.presenceCount`), made at the call: a bad value rejects (or throws, for the synchronous
 * `disconnect`) with `OPTION_INVALID` (a `HeraldError`) naming the call, the option and what it
 * takes, instead of a timer that fires at once (a NaN or negative `timeout`: capped at
 * `maxRequestTimeoutMs` by `Math.min`, which keeps the NaN), a plain TypeError
 * from `ws` (a close `code` it refuses) or a count by neither users nor connections.
 */
import { type OptionSpec, checkOptions, inOptionRange, optionInvalid } from '@herald/protocol';

/** The ranges of the router's per-call options, by call. */
export const ROUTER_CALL_OPTION_RANGES = {
  /**
   * Milliseconds, as the client's `request` takes them (0 to 2^53 - 1): above the router's
   * `maxRequestTimeoutMs` (at most 2^31 - 1) it is capped, not refused.
   */
  request: { timeout: [0, Number.MAX_SAFE_INTEGER, 'fractions'] },
  presenceCount: { by: ['user', 'connection'] },
} as const satisfies Readonly<Record<string, Readonly<Record<string, OptionSpec>>>>;

/** Throws `OPTION_INVALID` at the first of `options` of `call` out of its range. */
export function checkCallOptions(call: keyof typeof ROUTER_CALL_OPTION_RANGES, options: object | undefined): void {
  checkOptions(`router.${call}`, options, ROUTER_CALL_OPTION_RANGES[call]);
}

/** Throws `OPTION_INVALID` unless `code` is a close code a router may send: 1000–1014 (not 1004–1006, which are never sent) or 3000–4999. */
export function checkCloseCode(code: unknown): void {
  const valid = (inOptionRange(code, [1000, 1014]) && code !== 1004 && code !== 1005 && code !== 1006) || inOptionRange(code, [3000, 4999]);
  if (!valid) throw optionInvalid('router.disconnect', 'code', 'a close code from 1000 to 1014 (not 1004 to 1006) or 3000 to 4999', String(code));
}
