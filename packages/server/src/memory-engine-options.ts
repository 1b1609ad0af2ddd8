/**
 * The ranges of `new MemoryEngine(options)`'s number options, checked when the engine is made, as
 * `createRouter` checks its own (router-options.ts): a value outside its range, or a history rule
 * whose `pattern` is not a valid pattern, throws `OPTION_INVALID` (a `HeraldError`) naming the
 * option, the value and what it takes. Before this, a NaN `maxTopics` forgot every topic and a
 * rule with a malformed pattern silently kept nothing.
 */
import { MAX_TIMER_MS, type OptionSpec, checkOptions } from '@herald/protocol';
import type { MemoryEngineOptions } from './memory-engine.js';
import { MAX_OPTION_BYTES, MAX_OPTION_COUNT, ROUTER_OPTION_RANGES, checkHistoryPatterns } from './router-options.js';

/** Every range of {@link MemoryEngineOptions}; `history` as the router's. */
export const MEMORY_ENGINE_OPTION_RANGES = {
  history: ROUTER_OPTION_RANGES.history,
  maxTopics: ROUTER_OPTION_RANGES.maxTopics,
  maxBytes: [1, MAX_OPTION_BYTES],
  /** As the Redis engine's: the window clients resend within (half of it), at least 1 ms. */
  dedupeMs: [1, MAX_TIMER_MS],
  /** 0 remembers no `pid` (no exactly-once publish). */
  maxDedupe: [0, MAX_OPTION_COUNT],
} as const satisfies { readonly [K in keyof MemoryEngineOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` that the engine cannot use. */
export function checkMemoryEngineOptions(options: MemoryEngineOptions, what = 'MemoryEngine'): void {
  checkOptions(what, options, MEMORY_ENGINE_OPTION_RANGES);
  checkHistoryPatterns(what, options.history);
}
