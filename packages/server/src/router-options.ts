/**
 * The ranges of `createRouter`'s number and word options, checked before the router makes anything
 * (no engine, no socket): a value outside its range throws `OPTION_INVALID` (a `HeraldError`)
 * naming the option, the value and the range. Before this, a negative `maxConnections` refused
 * every client, a NaN `helloTimeoutMs` closed every connection at once, and a timeout above 2^31 - 1
 * ms fired at once (Node's timers clamp it to 1 ms). README (API, "Router") lists the same ranges.
 */
import { MAX_TIMER_MS, MAX_TOPIC_LENGTH, type OptionRange, type OptionSpec, type OptionTable, checkOptions } from '@herald/protocol';
import type { RouterOptions } from './router.js';

/** Most of anything counted (connections, methods, topics, messages...): beyond it is a mistake. */
export const MAX_OPTION_COUNT = 1_000_000_000;
/** Largest byte budget (1 TiB): more than one process can hold. */
export const MAX_OPTION_BYTES = 2 ** 40;
/** Largest `maxPayload` and `maxInfoBytes` (1 GiB): a frame past V8's longest string could not be decoded anyway. */
export const MAX_FRAME_BYTES = 2 ** 30;
/** Longest history retention (10 years, in ms): compared with clocks, never a timer. */
export const MAX_HISTORY_TTL_MS = 10 * 365.25 * 24 * 3_600_000;

const PORT: OptionRange = [0, 65_535];
/** A timer's delay that may be 0. */
const DELAY: OptionRange = [0, MAX_TIMER_MS];
/** A timer's delay or interval that must pass some time. */
const TIMEOUT: OptionRange = [1, MAX_TIMER_MS];
/** A token bucket (rate-limit.ts): a rate with fractions (0.5/s is one every 2 s), a whole burst of at least one. */
const RATE: OptionTable = { perSec: [0.001, MAX_OPTION_BYTES, 'fractions'], burst: [1, MAX_OPTION_BYTES] };

/** Every range of {@link RouterOptions}, nested ones as tables. */
export const ROUTER_OPTION_RANGES = {
  port: PORT,
  maxPayload: [1, MAX_FRAME_BYTES],
  maxConnections: [1, MAX_OPTION_COUNT],
  helloTimeoutMs: TIMEOUT,
  limits: {
    publishes: RATE,
    publishBytes: RATE,
    subscribes: RATE,
    watches: RATE,
    calls: RATE,
    refreshes: RATE,
    strikes: RATE,
    maxHandlers: [0, MAX_OPTION_COUNT],
    maxPatternSegments: [1, MAX_TOPIC_LENGTH],
    maxPatternBytes: [1, MAX_FRAME_BYTES],
  },
  maxMethods: [0, MAX_OPTION_COUNT],
  maxConnectionsPerAddress: [1, MAX_OPTION_COUNT],
  connectionsPerAddress: RATE,
  maxPendingPerAddress: [1, MAX_OPTION_COUNT],
  maxNameLength: [1, 1_048_576],
  maxInfoBytes: [0, MAX_FRAME_BYTES],
  maxProtocolErrors: [0, MAX_OPTION_COUNT],
  requestTimeoutMs: TIMEOUT,
  maxRequestTimeoutMs: TIMEOUT,
  maxPendingRequests: [0, MAX_OPTION_COUNT],
  maxSubscriptions: [0, MAX_OPTION_COUNT],
  maxBufferedBytes: [1, MAX_OPTION_BYTES],
  /** 0 turns the router's heartbeat off (and tells clients so in `welcome.heartbeatMs`). */
  heartbeatIntervalMs: DELAY,
  heartbeatTimeoutMs: TIMEOUT,
  history: { limit: [0, MAX_OPTION_COUNT], ttlMs: [0, MAX_HISTORY_TTL_MS] },
  maxTopics: [1, MAX_OPTION_COUNT],
  maxTopicBytes: [1, MAX_OPTION_BYTES],
  shutdownTimeoutMs: DELAY,
  logRateLimit: { lines: [1, MAX_OPTION_COUNT], windowMs: TIMEOUT },
  logLevel: ['debug', 'info', 'warn', 'error'],
  metrics: { port: PORT },
  tokenExpiryGraceMs: DELAY,
  presenceBy: ['user', 'connection'],
  presenceGraceMs: DELAY,
  presenceCountIntervalMs: DELAY,
} as const satisfies { readonly [K in keyof RouterOptions]?: OptionSpec };

/** Throws `OPTION_INVALID` at the first of `options` out of its range (see {@link ROUTER_OPTION_RANGES}). */
export function checkRouterOptions(options: RouterOptions): void {
  checkOptions('createRouter', options, ROUTER_OPTION_RANGES);
}
