/**
 * The ranges of `redisEngine`'s number options, checked when the engine is made, as the router's
 * (router-options.ts in @herald/server): a value outside its range throws `OPTION_INVALID` (a
 * `HeraldError`) naming the option, the value and the range, instead of a NaN lease that reaps
 * every node or a `dedupeMs` of 0 that Redis refuses on every publish (PX 0).
 */
import { MAX_TIMER_MS, type OptionSpec, checkOptions } from '@herald/protocol';
import type { RedisEngineOptions } from './redis-engine.js';

/** Every range of {@link RedisEngineOptions}; `history` as the router's (README, "API"). */
export const REDIS_ENGINE_OPTION_RANGES = {
  history: { limit: [0, 1_000_000_000], ttlMs: [0, 10 * 365.25 * 24 * 3_600_000] },
  dedupeMs: [1, MAX_TIMER_MS],
  heartbeatIntervalMs: [1, MAX_TIMER_MS],
  leaseMs: [1, MAX_TIMER_MS],
  minBackoffMs: [0, MAX_TIMER_MS],
  maxBackoffMs: [0, MAX_TIMER_MS],
  connectTimeoutMs: [1, MAX_TIMER_MS],
} as const satisfies { readonly [K in keyof RedisEngineOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` out of its range. */
export function checkRedisEngineOptions(options: RedisEngineOptions): void {
  checkOptions('redisEngine', options, REDIS_ENGINE_OPTION_RANGES);
}
