/**
 * Per-connection limits (issue #12): token buckets for what a client does per second, counts for
 * what it makes the router hold. One plain object, resolved when a connection is welcomed, so that
 * limits can differ per connection (later: per identity, from a token's claims) without the hub
 * knowing where they came from.
 */
import { type ClientMessage, CloseCode, ErrorCode } from '@herald/protocol';
import type { Connection } from './connection.js';
import { type RateLimit, TokenBucket, dateNow } from './rate-limit.js';

/** What one connection may do and hold. `false` turns a rate limit off. */
export interface ConnectionLimits {
  /** `publish` messages. Default 5,000/s, burst 10,000. */
  publishes: RateLimit | false;
  /** Bytes of `publish` frames. Default 16 MiB/s, burst 32 MiB (a burst below `maxPayload` would refuse the largest frames). */
  publishBytes: RateLimit | false;
  /** `subscribe` messages. Default 100/s, burst 1,000 (a reconnecting client resubscribes everything at once). */
  subscribes: RateLimit | false;
  /** `presence_watch` messages. Default 100/s, burst 1,000. */
  watches: RateLimit | false;
  /** `request`, `list_methods` and `ping` messages. Default 1,000/s, burst 2,000. */
  calls: RateLimit | false;
  /**
   * `refresh` messages (each runs `authenticate`, which may verify a signature or fetch a key set).
   * Default 1/s, burst 10: a client refreshes once per token lifetime.
   */
  refreshes: RateLimit | false;
  /**
   * `RATE_LIMITED` refusals tolerated: each takes a token; the connection that runs out keeps going
   * over its limits without waiting and is closed with 4300. Default 10/s, burst 100.
   */
  strikes: RateLimit | false;
  /** Most methods one connection handles (`handle`); one more fails `HANDLER_LIMIT`. Default 100. */
  maxHandlers: number;
  /** Most segments in a subscription pattern or watched topic; more fails `PATTERN_LIMIT`. Default 16. */
  maxPatternSegments: number;
  /** Most bytes (UTF-16 code units) of all of a connection's subscription patterns together. Default 32 KiB. */
  maxPatternBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  publishes: { perSec: 5000, burst: 10_000 },
  publishBytes: { perSec: 16 * 1024 * 1024, burst: 32 * 1024 * 1024 },
  subscribes: { perSec: 100, burst: 1000 },
  watches: { perSec: 100, burst: 1000 },
  calls: { perSec: 1000, burst: 2000 },
  refreshes: { perSec: 1, burst: 10 },
  strikes: { perSec: 10, burst: 100 },
  maxHandlers: 100,
  maxPatternSegments: 16,
  maxPatternBytes: 32 * 1024,
});

/** The limits of one connection: the defaults, then the router's options, then an override (e.g. an identity's). */
export function resolveConnectionLimits(...layers: Array<Partial<ConnectionLimits> | undefined>): ConnectionLimits {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (limits as unknown as Record<string, unknown>)[key] = value;
  }
  return limits;
}

type Metered = 'publishes' | 'publishBytes' | 'subscribes' | 'watches' | 'calls' | 'refreshes' | 'strikes';

/** One connection's buckets, made on first use (most connections never use most of them). */
export class Quota {
  /** Made on the first metered message: an idle connection holds none. */
  #buckets: Map<Metered, TokenBucket> | undefined;

  constructor(
    readonly limits: ConnectionLimits,
    readonly now: () => number = dateNow,
  ) {}

  /** Takes `cost` from a bucket: 0 when allowed (or unlimited), else ms until it would be. */
  take(kind: Metered, cost = 1): number {
    const limit = this.limits[kind];
    if (limit === false) return 0;
    const buckets = (this.#buckets ??= new Map());
    let bucket = buckets.get(kind);
    if (bucket === undefined) buckets.set(kind, (bucket = new TokenBucket(limit, this.now)));
    return bucket.take(cost);
  }

  /** What a message costs, taken: 0 when admitted, else ms until it would be. */
  admit(message: ClientMessage, bytes: number): number {
    switch (message.type) {
      case 'publish':
        return this.take('publishes') || this.take('publishBytes', bytes);
      case 'subscribe':
        return this.take('subscribes');
      case 'presence_watch':
        return this.take('watches');
      case 'request':
      case 'list_methods':
      case 'ping':
        return this.take('calls');
      case 'refresh':
        return this.take('refreshes');
      default:
        return 0;
    }
  }
}

/**
 * Checks a welcomed connection's message against its quota. Over a limit, the client is told
 * `RATE_LIMITED` with `retryAfterMs` and nothing is done; one that runs out of strikes is closed
 * with 4300. Returns whether the message was refused. The quota is made here, on the first
 * message after the welcome (every one passes here before it is handled): an idle connection
 * holds none.
 */
export function refuseOverLimit(connection: Connection, message: ClientMessage, bytes: number, limits: ConnectionLimits): boolean {
  const quota = (connection.quota ??= new Quota(limits));
  const retryAfterMs = quota.admit(message, bytes);
  if (retryAfterMs === 0) return false;
  if (quota.take('strikes') !== 0) {
    connection.close(CloseCode.RATE_LIMITED, ErrorCode.RATE_LIMITED, 'kept going over the rate limits');
    return true;
  }
  const id = 'id' in message ? message.id : undefined;
  const text = `over the ${message.type} rate limit; retry in ${retryAfterMs} ms`;
  connection.sendMessage({ type: 'error', ...(id !== undefined && { id }), code: ErrorCode.RATE_LIMITED, message: text, retryAfterMs });
  return true;
}

/** Why a connection may not subscribe to (or watch) `pattern`, or undefined when it may. */
export function patternRefusal(connection: Connection, pattern: string, subscribing: boolean): string | undefined {
  const limits = connection.quota?.limits;
  if (limits === undefined) return undefined;
  let segments = 1;
  for (let i = pattern.indexOf('.'); i !== -1; i = pattern.indexOf('.', i + 1)) segments++;
  if (segments > limits.maxPatternSegments) return `a pattern may have at most ${limits.maxPatternSegments} segments`;
  if (subscribing && !connection.patterns.has(pattern) && connection.patternBytes + pattern.length > limits.maxPatternBytes) {
    return `the patterns of one connection may total at most ${limits.maxPatternBytes} characters`;
  }
  return undefined;
}
