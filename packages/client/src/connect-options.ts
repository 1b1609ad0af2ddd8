/**
 * `connect`'s options: their type, the reconnect defaults, the URL list, and the ranges of the
 * number options, checked before the client dials: a value outside its
 * range rejects `connect` with `OPTION_INVALID` (a `HeraldError`) naming the option, the value and
 * the range. Before this, a negative `maxQueued` refused every offline publish, a NaN
 * `connectTimeoutMs` timed every attempt out at once, and a delay above 2^31 - 1 ms fired at once.
 * README (API, "Client") lists the same ranges.
 *
 * The ranges (and the URLs' shape) are checked in Node and in development browser builds only (client.ts calls this under
 * `VERBOSE_ERRORS`): a production page's bundle leaves it out, as it leaves out error messages, so
 * that the check costs the page nothing (bundle-size.test.ts).
 */
import {
  type Codec,
  ConnectionError,
  type Contract,
  type DefaultSchema,
  type HeraldSchema,
  MAX_TIMER_MS,
  type OptionPair,
  type OptionSpec,
  checkOptionPairs,
  checkOptions,
  optionInvalid,
} from '@herald/protocol';
import type { ReconnectOptions } from './link.js';
import type { WebSocketConstructor } from './socket.js';

/** Options of `connect`. */
export interface ConnectOptions<S extends HeraldSchema = DefaultSchema> {
  /** How others see this client in presence and as a publisher. Default: the id the router assigns. */
  name?: string;
  /** Anything the codec can carry (at most 4 KiB encoded by default): shown to presence watchers. */
  info?: unknown;
  /**
   * The payload codec, negotiated as subprotocol `herald.v1.<name>`. Default: superjson from
   * `@herald/client`, json from `@herald/client/json` (a page that imports only that entry ships no superjson).
   */
  codec?: Codec;
  /** How long a connection attempt may wait for the router's welcome (`CONNECT_TIMEOUT`). Default 10,000 ms. */
  connectTimeoutMs?: number;
  /**
   * Reconnect automatically after the connection is lost, with exponential backoff and full
   * jitter; `false` to close instead. Default on (500 ms to 10 s, no attempt limit).
   */
  reconnect?: boolean | ReconnectOptions;
  /** Publishes and requests held while reconnecting; one more rejects with `OFFLINE_QUEUE_FULL`. Default 1,000. */
  maxQueued?: number;
  /**
   * Consider the router dead after this long without a frame; 0: never. Default: what the router's
   * welcome says (30 s). The client pings after one quiet interval (the welcome's `heartbeatMs`), so
   * a value not above that interval acts as just over it: dead after two quiet intervals.
   */
  heartbeatTimeoutMs?: number;
  /** A WebSocket implementation. Default: the browser's `WebSocket`, or `ws` in Node. */
  WebSocket?: WebSocketConstructor;
  /** Random numbers in [0, 1) for the backoff jitter and `randomizeUrls`. Default `Math.random`. */
  random?: () => number;
  /**
   * With several URLs: shuffle them once, when the client is made, so that the clients of a router
   * that dies spread over the others (as NATS clients do). `false` keeps the order given. Default true.
   */
  randomizeUrls?: boolean;
  /**
   * Schemas (`defineContract`) to check what this client publishes and the params it sends before
   * sending (`VALIDATION_FAILED`, a `ValidationError` with `issues`). Also types the client:
   * `connect(url, { contract })` is a `Client<SchemaOf<typeof contract>>`. Asynchronous schemas
   * are awaited, and publishes and requests still go out in call order (later calls wait).
   */
  contract?: Contract<S>;
  /**
   * Also check what arrives against the contract: a message that fails is dropped and reported on
   * `error` (`VALIDATION_FAILED`); a result that fails rejects the request. Asynchronous schemas are
   * awaited, and messages are still delivered in arrival order (later ones wait). Default false.
   */
  validateIncoming?: boolean;
  /**
   * Credentials for the router's `authenticate` (sent in `hello`, never in the URL): a string, or a
   * function returning one (or a Promise of one). The function is called before every connection
   * attempt and again before the token expires (the router's `welcome.expiresAt`), to refresh it
   * in band without reconnecting. After an authentication close (4100–4102), a client with a
   * function fetches a fresh token and reconnects; with a string it stops.
   */
  token?: string | (() => string | Promise<string>);
  /** Authentication refusals in a row (closes 4100–4199) after which reconnecting stops. Default 3. */
  maxAuthFailures?: number;
  /**
   * Send the hello in the upgrade request (a `herald.v1.hello.*` subprotocol entry, PROTOCOL.md §2),
   * so that the welcome comes with the 101: a connect costs the router one read and one write
   * less. A hello larger than 4,096 characters in base64url still goes as the first frame. After a
   * close 4002 before the welcome (a router older than this), the client sends its hello as a
   * frame from then on; a router that read the hello never sends 4002 (a slow `authenticate` is
   * 1013 `AUTH_TIMEOUT`, retried with backoff). `false` always sends it as a frame. Default true.
   */
  helloInUpgrade?: boolean;
}

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

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Reconnecting's defaults, shared by every client that does not set its own. */
export const RECONNECT_DEFAULTS: Readonly<Required<ReconnectOptions>> = { minDelayMs: MIN_DELAY_MS, maxDelayMs: MAX_DELAY_MS, maxAttempts: Number.POSITIVE_INFINITY };

/**
 * The options of {@link ConnectOptions} that bound one another (README, "Client"): the reconnect
 * delays. A `maxDelayMs` alone below the default 500 ms caps the shortest delay too (the backoff
 * takes the smaller: backoff.ts); a `minDelayMs` alone above the default 10 s is refused rather
 * than silently capped at 10 s.
 */
export const CONNECT_OPTION_PAIRS: readonly OptionPair[] = [
  { low: 'reconnect.minDelayMs', high: 'reconnect.maxDelayMs', defaults: [MIN_DELAY_MS, MAX_DELAY_MS], lowFollows: true },
];

/**
 * Throws `OPTION_INVALID` for `urls` that are not a URL or a non-empty list of them (non-empty
 * strings: relative ones too, which browsers resolve), or at the first of `options` out of its
 * range (see {@link CONNECT_OPTION_RANGES}) or contradicting another ({@link CONNECT_OPTION_PAIRS}).
 */
export function checkConnectOptions(urls: unknown, options: ConnectOptions): void {
  const list: unknown[] = typeof urls === 'string' ? [urls] : Array.isArray(urls) ? urls : [];
  if (list.length === 0 || list.some((url) => typeof url !== 'string' || url === '')) {
    const shown = Array.isArray(urls) ? (urls.length === 0 ? 'an empty list' : `a list holding ${kind(list.find((url) => typeof url !== 'string' || url === ''))}`) : kind(urls);
    throw optionInvalid('connect', 'urls', 'a URL string or a non-empty list of them', shown);
  }
  checkOptions('connect', options, CONNECT_OPTION_RANGES);
  checkOptionPairs('connect', options, CONNECT_OPTION_PAIRS);
}

function kind(value: unknown): string {
  return value === '' ? 'an empty string' : value === null ? 'null' : `a ${typeof value}`;
}

/** The URL list, shuffled unless `randomizeUrls` is false (Fisher–Yates with the client's `random`). */
export function urlList(urls: string | readonly string[], options: ConnectOptions<HeraldSchema>): readonly string[] {
  const list = typeof urls === 'string' ? [urls] : [...urls];
  // Production pages only: elsewhere checkConnectOptions refused it first (OPTION_INVALID). Kept as
  // CONNECTION_FAILED there, as it always was: the same code costs the page 4 B.
  if (list.length === 0) throw new ConnectionError('CONNECTION_FAILED', '');
  if (options.randomizeUrls !== false) {
    const random = options.random ?? Math.random;
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  return Object.freeze(list);
}
