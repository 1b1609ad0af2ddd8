/**
 * The ranges of `redisEngine`'s number options, checked when the engine is made, as the router's
 * (router-options.ts in @herald/server): a value outside its range throws `OPTION_INVALID` (a
 * `HeraldError`) naming the option, the value and the range, instead of a NaN lease that reaps
 * every node or a `dedupeMs` of 0 that Redis refuses on every publish (PX 0).
 */
import { MAX_TIMER_MS, type OptionPair, type OptionSpec, checkOptionPairs, checkOptions, optionInvalid } from '@herald/protocol';
import { ROUTER_OPTION_RANGES, checkHistoryPatterns } from '@herald/server';
import type { RedisEngineOptions } from './redis-engine.js';

/** Every range of {@link RedisEngineOptions}; `history` as the router's (README, "API"). */
export const REDIS_ENGINE_OPTION_RANGES = {
  history: ROUTER_OPTION_RANGES.history,
  dedupeMs: [1, MAX_TIMER_MS],
  /** Shorter than `leaseMs` (checked with it: see REDIS_ENGINE_OPTION_PAIRS). */
  heartbeatIntervalMs: [1, MAX_TIMER_MS - 1],
  leaseMs: [2, MAX_TIMER_MS],
  minBackoffMs: [0, MAX_TIMER_MS],
  maxBackoffMs: [0, MAX_TIMER_MS],
  connectTimeoutMs: [1, MAX_TIMER_MS],
} as const satisfies { readonly [K in keyof RedisEngineOptions]?: OptionSpec };

const WHAT = 'redisEngine';

/** The node lease's defaults (node-lease.ts): renewed every second, dead after 3 s of silence. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
export const DEFAULT_LEASE_MS = 3000;
/** Reconnect delays to Redis (connections.ts `backoffMs`). */
export const DEFAULT_MIN_BACKOFF_MS = 10;
export const DEFAULT_MAX_BACKOFF_MS = 2000;

/**
 * The options of {@link RedisEngineOptions} that bound one another (README). The lease must outlast
 * the heartbeat, defaults included: the node's own lease would run out between its renewals and
 * the other routers would reap it. `minBackoffMs` at most `maxBackoffMs`; a `maxBackoffMs` alone
 * below the default 10 ms caps that default too (`backoffMs` takes the smaller).
 */
export const REDIS_ENGINE_OPTION_PAIRS: readonly OptionPair[] = [
  { low: 'heartbeatIntervalMs', high: 'leaseMs', defaults: [DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_LEASE_MS], order: 'below' },
  { low: 'minBackoffMs', high: 'maxBackoffMs', defaults: [DEFAULT_MIN_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS], lowFollows: true },
];

/**
 * Throws `OPTION_INVALID` at the first of `options` out of its range, contradicting another
 * ({@link REDIS_ENGINE_OPTION_PAIRS}), and for what the table cannot say: a `url` or `prefix` that
 * is not a string (an empty `url`), a history rule whose `pattern` is malformed (it would keep
 * nothing). The URL may hold a password: the error never quotes it.
 */
export function checkRedisEngineOptions(options: RedisEngineOptions): void {
  checkOptions(WHAT, options, REDIS_ENGINE_OPTION_RANGES);
  const { url, prefix } = options;
  if (url !== undefined && (typeof url !== 'string' || url === '')) throw optionInvalid(WHAT, 'url', 'a redis:// URL', url === '' ? 'an empty string' : kind(url));
  if (prefix !== undefined && typeof prefix !== 'string') throw optionInvalid(WHAT, 'prefix', 'a string', kind(prefix));
  checkHistoryPatterns(WHAT, options.history);
  checkOptionPairs(WHAT, options, REDIS_ENGINE_OPTION_PAIRS);
}

function kind(value: unknown): string {
  return value === null ? 'null' : `a ${typeof value}`;
}
