/**
 * The ranges of `connect`'s number options, checked before the client dials: a value outside its
 * range rejects `connect` with `OPTION_INVALID` (a `HeraldError`) naming the option, the value and
 * the range. Before this, a negative `maxQueued` refused every offline publish, a NaN
 * `connectTimeoutMs` timed every attempt out at once, and a delay above 2^31 - 1 ms fired at once.
 * README (API, "Client") lists the same ranges.
 *
 * Checked in Node and in development browser builds only (client.ts calls this under
 * `VERBOSE_ERRORS`): a production page's bundle leaves it out, as it leaves out error messages, so
 * that the check costs the page nothing (bundle-size.test.ts).
 */
import { MAX_TIMER_MS, type OptionSpec, checkOptions } from '@herald/protocol';
import type { ConnectOptions } from './client.js';

/** Every range of {@link ConnectOptions}, nested ones as tables. */
export const CONNECT_OPTION_RANGES = {
  connectTimeoutMs: [1, MAX_TIMER_MS],
  reconnect: {
    minDelayMs: [0, MAX_TIMER_MS],
    maxDelayMs: [0, MAX_TIMER_MS],
    /** `Infinity`, the default, for no limit. */
    maxAttempts: [0, Number.POSITIVE_INFINITY],
  },
  maxQueued: [0, 1_000_000_000],
  /** 0 turns the client's own watch of the router's silence off. */
  heartbeatTimeoutMs: [0, MAX_TIMER_MS],
  maxAuthFailures: [0, 1_000_000_000],
} as const satisfies { readonly [K in keyof ConnectOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` out of its range (see {@link CONNECT_OPTION_RANGES}). */
export function checkConnectOptions(options: ConnectOptions): void {
  checkOptions('connect', options, CONNECT_OPTION_RANGES);
}
