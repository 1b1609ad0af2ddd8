/**
 * The ranges of the client's per-call options (`subscribe`'s `bufferSize` and `rewind`, `request`'s
 * `timeout`), checked at the call: a value outside its range rejects with `OPTION_INVALID` (a
 * `HeraldError`) naming the call, the option and the range, instead of an iterator that overflows
 * at its first message (a negative or NaN `bufferSize`) or a `rewind` the router refuses later.
 *
 * Checked in Node and in development browser builds only, as connect's options
 * (connect-options.ts): a production page leaves the check out (bundle-size.test.ts). `request`'s
 * timeout goes on the wire, so client.ts checks its range in production pages too (with the
 * same code, OPTION_INVALID, and no message text); until 2026-12 that refusal was coded
 * PROTOCOL_INVALID_MESSAGE.
 */
import { type OptionSpec, checkOptions } from '@herald/protocol';
import type { RequestOptions } from './requests.js';
import type { SubscribeOptions } from './subscription.js';

/** Every range of {@link SubscribeOptions}. */
export const SUBSCRIBE_OPTION_RANGES = {
  /** 0: an iterator holds nothing unread (only a waiting `next()` takes a message). */
  bufferSize: [0, 1_000_000_000],
  /** As the wire takes it (PROTOCOL.md, `subscribe`); the router replays at most what its history holds. */
  rewind: [0, Number.MAX_SAFE_INTEGER],
} as const satisfies { readonly [K in keyof SubscribeOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` out of its range (see {@link SUBSCRIBE_OPTION_RANGES}). */
export function checkSubscribeOptions(options: SubscribeOptions): void {
  checkOptions('subscribe', options, SUBSCRIBE_OPTION_RANGES);
}

/** Every range of {@link RequestOptions}. */
export const REQUEST_OPTION_RANGES = {
  /** Fractions are rounded up to whole milliseconds (the wire's unit); the router caps it at its `maxRequestTimeoutMs`. */
  timeout: [0, Number.MAX_SAFE_INTEGER, 'fractions'],
} as const satisfies { readonly [K in keyof RequestOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` out of its range (see {@link REQUEST_OPTION_RANGES}). */
export function checkRequestOptions(options: RequestOptions): void {
  checkOptions('request', options, REQUEST_OPTION_RANGES);
}
