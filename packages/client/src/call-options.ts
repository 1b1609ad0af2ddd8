/**
 * The ranges of the client's per-call options (`subscribe`'s `bufferSize` and `rewind`), checked
 * at the call: a value outside its range rejects with `OPTION_INVALID` (a `HeraldError`) naming the
 * call, the option and the range, instead of an iterator that overflows at its first message (a
 * negative or NaN `bufferSize`) or a `rewind` the router refuses later. `request`'s `timeout` keeps
 * its own check in client.ts (it rejects with `PROTOCOL_INVALID_MESSAGE`, as it always has).
 *
 * Checked in Node and in development browser builds only, as connect's options
 * (connect-options.ts): a production page leaves the check out (bundle-size.test.ts).
 */
import { type OptionSpec, checkOptions } from '@herald/protocol';
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
