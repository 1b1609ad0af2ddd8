/**
 * The ranges of `redisEngine`'s number options, checked when the engine is made, as the router's
 * (router-options.ts in @herald/server): a value outside its range throws `OPTION_INVALID` (a
 * `HeraldError`) naming the option, the value and the range, instead of a NaN lease that reaps
 * every node or a `dedupeMs` of 0 that Redis refuses on every publish (PX 0).
 */
import { MAX_TIMER_MS, type OptionSpec, checkOptions, optionInvalid } from '@herald/protocol';
import { ROUTER_OPTION_RANGES, checkHistoryPatterns } from '@herald/server';
import type { RedisEngineOptions } from './redis-engine.js';

/** Every range of {@link RedisEngineOptions}; `history` as the router's (README, "API"). */
export const REDIS_ENGINE_OPTION_RANGES = {
  history: ROUTER_OPTION_RANGES.history,
  dedupeMs: [1, MAX_TIMER_MS],
  /** Shorter than `leaseMs` (checked with it: see checkRedisEngineOptions). */
  heartbeatIntervalMs: [1, MAX_TIMER_MS - 1],
  leaseMs: [2, MAX_TIMER_MS],
  minBackoffMs: [0, MAX_TIMER_MS],
  maxBackoffMs: [0, MAX_TIMER_MS],
  connectTimeoutMs: [1, MAX_TIMER_MS],
} as const satisfies { readonly [K in keyof RedisEngineOptions]?: OptionSpec };

const WHAT = 'redisEngine';

/**
 * Throws `OPTION_INVALID` at the first of `options` out of its range, and for what the table
 * cannot say: a `url` or `prefix` that is not a string (an empty `url`), a history rule whose
 * `pattern` is malformed (it would keep nothing), a `leaseMs` not longer than the
 * `heartbeatIntervalMs` (the node's own lease would run out between its renewals, and the other
 * routers would reap it). The URL may hold a password: the error never quotes it.
 */
export function checkRedisEngineOptions(options: RedisEngineOptions): void {
  checkOptions(WHAT, options, REDIS_ENGINE_OPTION_RANGES);
  const { url, prefix } = options;
  if (url !== undefined && (typeof url !== 'string' || url === '')) throw optionInvalid(WHAT, 'url', 'a redis:// URL', url === '' ? 'an empty string' : kind(url));
  if (prefix !== undefined && typeof prefix !== 'string') throw optionInvalid(WHAT, 'prefix', 'a string', kind(prefix));
  checkHistoryPatterns(WHAT, options.history);
  const heartbeat = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const lease = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (lease <= heartbeat) throw optionInvalid(WHAT, 'leaseMs', `longer than heartbeatIntervalMs (${heartbeat} ms)`, `${lease} ms`);
}

/** The node lease's defaults (node-lease.ts): renewed every second, dead after 3 s of silence. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
export const DEFAULT_LEASE_MS = 3000;

function kind(value: unknown): string {
  return value === null ? 'null' : `a ${typeof value}`;
}
