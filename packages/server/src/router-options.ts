/**
 * `createRouter`'s options: their type ({@link RouterOptions}), their defaults as the hub and the
 * default engine take them ({@link hubOptions}), and their ranges.
 *
 * The ranges of the number and word options are checked before the router makes anything
 * (no engine, no socket): a value outside its range throws `OPTION_INVALID` (a `HeraldError`)
 * naming the option, the value and the range. Before this, a negative `maxConnections` refused
 * every client, a NaN `helloTimeoutMs` closed every connection at once, and a timeout above 2^31 - 1
 * ms fired at once (Node's timers clamp it to 1 ms). README (API, "Router") lists the same ranges.
 */
import {
  MAX_TIMER_MS,
  MAX_TOPIC_LENGTH,
  type OptionPair,
  type OptionRange,
  type OptionSpec,
  type OptionTable,
  checkOptionPairs,
  checkOptions,
  optionInvalid,
  patternProblem,
} from '@herald/protocol';
import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Codec, Contract, DefaultSchema, HeraldSchema } from '@herald/protocol';
import type { AdminOptions } from './admin.js';
import type { Authenticate } from './authentication.js';
import { type ConnectionLimits, resolveConnectionLimits } from './connection-limits.js';
import type { Engine, HistoryRule } from './engine.js';
import type { HubOptions } from './hub.js';
import { checkListenOptions } from './listen-options.js';
import type { LogLevel, Logger } from './logger.js';
import type { LogRateLimit } from './log-limiter.js';
import type { MemoryEngineOptions } from './memory-engine.js';
import type { MetricsOptions } from './metrics.js';
import { ALLOW_EVERYTHING, CompiledPermissions, type Permissions } from './permissions.js';
import type { RateLimit } from './rate-limit.js';

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
  /** Above `maxPayload` (checked with it: see ROUTER_OPTION_PAIRS). */
  maxBufferedBytes: [2, MAX_OPTION_BYTES],
  /**
   * 0 turns the router's heartbeat off (and tells clients so in `welcome.heartbeatMs`). Shorter than
   * `heartbeatTimeoutMs` (checked with it: see ROUTER_OPTION_PAIRS).
   */
  heartbeatIntervalMs: [0, MAX_TIMER_MS - 1],
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

const MAX_PAYLOAD = 1024 * 1024;
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_REQUEST_TIMEOUT_MS = 300_000;
const HEARTBEAT_INTERVAL_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 30_000;

/**
 * The options of {@link RouterOptions} that bound one another (README, "Router"). A
 * `maxRequestTimeoutMs` alone below the default `requestTimeoutMs` caps that default too (requests.ts
 * takes the smaller). A heartbeat timeout must outlast its interval, defaults included: browsers
 * do not see the router's pings, so a client that heard nothing for a whole interval would
 * count the router dead at its first quiet tick (link.ts) and every idle client would reconnect
 * once per interval. An interval of 0 (heartbeats off) is below every timeout. The largest frame
 * a client may send must fit in what a subscriber may have unread, defaults included: otherwise
 * one accepted publish of more than `maxBufferedBytes` closes every subscriber it is delivered to
 * as a slow consumer (4200), however fast it reads. (Only a bound: a delivery carries an envelope
 * the publish did not, so leave room.)
 */
export const ROUTER_OPTION_PAIRS: readonly OptionPair[] = [
  { low: 'requestTimeoutMs', high: 'maxRequestTimeoutMs', defaults: [REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS], lowFollows: true },
  { low: 'heartbeatIntervalMs', high: 'heartbeatTimeoutMs', defaults: [HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS], order: 'below' },
  { low: 'maxPayload', high: 'maxBufferedBytes', defaults: [MAX_PAYLOAD, MAX_BUFFERED_BYTES], order: 'below' },
];

/**
 * Throws `OPTION_INVALID` at the first of `options` out of its range (see {@link ROUTER_OPTION_RANGES}),
 * contradicting another ({@link ROUTER_OPTION_PAIRS}), or of the wrong shape (`host`, `path`,
 * `allowedOrigins`: listen-options.ts; history patterns).
 */
export function checkRouterOptions(options: RouterOptions): void {
  checkOptions('createRouter', options, ROUTER_OPTION_RANGES);
  checkOptionPairs('createRouter', options, ROUTER_OPTION_PAIRS);
  checkListenOptions(options);
  checkHistoryPatterns('createRouter', options.history);
}

/**
 * Throws `OPTION_INVALID` at the first history rule whose `pattern` is not a valid pattern (it would
 * match nothing), `what` (the factory) first in the message. For the router, the memory engine and
 * engines of other packages (the Redis engine), so that all refuse the same rules.
 */
export function checkHistoryPatterns(what: string, history: RouterOptions['history']): void {
  if (history === undefined || history === false) return;
  for (const rule of Array.isArray(history) ? history : [history]) {
    const { pattern } = rule as { pattern?: unknown };
    if (pattern === undefined) continue;
    const problem = patternProblem(pattern);
    if (problem !== undefined) {
      throw optionInvalid(what, 'history.pattern', 'a valid pattern (PROTOCOL.md, "Topics")', typeof pattern === 'string' ? `${JSON.stringify(pattern)} (${problem})` : `a ${typeof pattern}`);
    }
  }
}

/** Options of {@link createRouter}. Every limit has a default; every bound refuses with a code. */
export interface RouterOptions<S extends HeraldSchema = DefaultSchema> {
  /** Port to listen on; 0 picks a free one (read it back from `router.port`). Default 0. Ignored with `server`. */
  port?: number;
  /**
   * Interface to listen on: an IP address (IPv6 without brackets) or a host name. Default
   * `127.0.0.1`; use `0.0.0.0` or `::` to accept remote clients.
   */
  host?: string;
  /** URL path clients connect to: `/`, then characters a URL carries as they are (no query). Default `/`. */
  path?: string;
  /**
   * An existing `http`/`https` server to attach to, sharing its port. The router handles upgrades
   * on `path` and leaves other paths to the server's other `upgrade` listeners. An HTTP/2 server
   * works only as `http2.createSecureServer({ allowHTTP1: true })` (WebSockets come over HTTP/1.1).
   * Anything else (a `net.Server`, a `WebSocketServer`, a plain object, an HTTP/2 secure server
   * without `allowHTTP1: true`) is refused with `OPTION_INVALID`. It may be given before it listens:
   * `createRouter` awaits only a listen started in its own turn of the event loop (`LISTEN_FAILED`
   * if that fails), and otherwise resolves at once; the router takes upgrades once the server
   * listens, and `router.url`/`router.port` throw until then (README, "Router").
   */
  server?: HttpServer | HttpsServer | Http2SecureServer;
  /**
   * `false`: no HTTP server at all, no socket opened (`port`, `host` and `server` are ignored, and
   * `router.url`/`router.port` throw). Clients reach such a router only through
   * `router.acceptSocket` (`@herald/testkit`'s memory transport), so tests open nothing on the
   * network. Default `true`.
   */
  listen?: boolean;
  /** The router's name, as publisher of `router.publish` messages. Default `router`. */
  name?: string;
  /** Where routing state lives. Default: a new in-memory engine. */
  engine?: Engine;
  /** Codecs offered to clients; the first encodes `router.publish`. Default superjson, then json. */
  codecs?: readonly Codec[];
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 1 MiB. Below `maxBufferedBytes`. */
  maxPayload?: number;
  /** Most simultaneous connections; one more is closed with 1013 (`ROUTER_FULL`). Default 10,000. */
  maxConnections?: number;
  /**
   * How long a new connection may take from the upgrade to its welcome. Without a `hello` by then:
   * close 4002; with a hello whose `authenticate` (or session takeover) has not finished: close
   * 1013 `AUTH_TIMEOUT`, so this also bounds how long `authenticate` holds a connection. Default 5,000 ms.
   */
  helloTimeoutMs?: number;
  /**
   * Per-connection rate limits and counts, over the defaults (see `ConnectionLimits`): publishes,
   * publish bytes, subscribes, watches and calls per second (over one: error `RATE_LIMITED` with
   * `retryAfterMs`; going on regardless: close 4300), `maxHandlers`, `maxPatternSegments`,
   * `maxPatternBytes`.
   */
  limits?: Partial<ConnectionLimits>;
  /** Most distinct methods handled by clients, over all connections; one more fails `HANDLER_LIMIT`. Default 10,000. */
  maxMethods?: number;
  /** Most connections open from one IP address; one more is closed with 4301 (`ADDRESS_LIMIT`). Default 1,000. */
  maxConnectionsPerAddress?: number;
  /**
   * How fast one IP address may open connections (a token bucket); faster ones are closed with
   * 4301 (`ADDRESS_LIMIT`). `false` for no limit. Default 20/s, burst 200.
   */
  connectionsPerAddress?: RateLimit | false;
  /**
   * Most connections from one IP address that have not been welcomed yet (no `hello`); one more is
   * closed with 4301. Default 32.
   */
  maxPendingPerAddress?: number;
  /** Longest client name, in characters (Unicode code points, as topics are counted). Default 128. */
  maxNameLength?: number;
  /** Largest encoded client info, in bytes. Default 4,096. */
  maxInfoBytes?: number;
  /** Bad messages tolerated per connection before close 4000. Default 100. */
  maxProtocolErrors?: number;
  /**
   * Check every published payload against its codec (shape, depth, forbidden keys, superjson's
   * `meta`) before routing it, so subscribers never receive one they must refuse. Costs one decode
   * per publish, not per subscriber. Default true.
   */
  validatePayloads?: boolean;
  /**
   * Schemas (`defineContract`) that publishes and request params must satisfy, checked after
   * decoding; a refusal is `VALIDATION_FAILED` and nobody receives the message (PROTOCOL.md 9.1).
   * Only what the contract names is decoded for it. Also types the router (`createRouter({ contract })`).
   */
  contract?: Contract<S>;
  /** Default timeout of requests, in milliseconds, when the caller names none. Default 10,000. At most `maxRequestTimeoutMs`. */
  requestTimeoutMs?: number;
  /** Longest timeout a caller may ask for. Default 300,000 ms. Set alone below 10,000 ms, it caps the default too. */
  maxRequestTimeoutMs?: number;
  /** Most requests one connection may have in flight; one more fails with `REQUEST_LIMIT`. Default 10,000. */
  maxPendingRequests?: number;
  /** Pass providers' error stacks on to callers (`RemoteError.remoteStack`). Default false. */
  exposeErrorStacks?: boolean;
  /** Most subscriptions (and, separately, presence watches) per connection; one more fails `SUBSCRIPTION_LIMIT`. Default 1,000. */
  maxSubscriptions?: number;
  /**
   * Most bytes queued for one client that it has not read yet. A client past it reads too slowly:
   * it is disconnected with close code 4200 (`SLOW_CONSUMER`), reconnects and recovers from
   * history, and the others are not held back. Default 8 MiB.
   */
  maxBufferedBytes?: number;
  /** How often the router pings every client and checks for silence; 0 turns heartbeats off. Default 10,000 ms. Below `heartbeatTimeoutMs`. */
  heartbeatIntervalMs?: number;
  /**
   * A client silent this long (no frame, no pong) is dropped, within one more interval; its
   * presence ends `dropped`. Clients use the same timeout for the router (told in `welcome`).
   * Default 30,000 ms.
   */
  heartbeatTimeoutMs?: number;
  /**
   * History kept by the default in-memory engine, for `rewind` and recovery after reconnects:
   * one rule, rules by pattern (first match applies), or `false`. Default: the last 100 messages
   * of every topic, for 5 minutes. Ignored when `engine` is given (configure that engine instead).
   */
  history?: HistoryRule | readonly HistoryRule[] | false;
  /**
   * Most topics the default in-memory engine holds (offsets, epoch, history); past it the least
   * recently published topic is forgotten, and recovery from before its last message reports a
   * gap. Default 100,000. Ignored when `engine` is given.
   */
  maxTopics?: number;
  /**
   * Most bytes the default in-memory engine's topics and history hold, by its own estimate
   * (`router.stats().engine.bytes`); past it the least recently published topics are forgotten.
   * Default 256 MiB. Ignored when `engine` is given.
   */
  maxTopicBytes?: number;
  /**
   * The key that signs the resume tokens of `welcome` (`hello.resume` keeps a client's id across
   * reconnects). Routers that act as one (a cluster) must share it, so that a client resumes on any
   * of them; at least 16 bytes, e.g. 32 random bytes. Default: random per router process, so only
   * this router (until it restarts) accepts its tokens. With `authenticate`, a token is signed with
   * its user too: it resumes only a connection authenticated as that user.
   */
  resumeSecret?: string | Uint8Array;
  /** How long `close()` waits for clients to finish the close handshake before cutting them. Default 2,000 ms. */
  shutdownTimeoutMs?: number;
  /** Where log lines go; `false` for none. Default: stderr, from `logLevel` up. */
  logger?: Logger | false;
  /**
   * Warnings and errors of one kind written per window; the rest are counted and summarised in
   * one line (`… 1,352 more in the last 10 s`). `false` writes them all. Default 10 per 10 s.
   */
  logRateLimit?: LogRateLimit | false;
  /** The default logger's threshold. Default `warn`. */
  logLevel?: LogLevel;
  /**
   * Prometheus metrics (prom-client): `true`, or where to register and serve them. Served at
   * `/metrics` on the router's own HTTP server, or on `metrics.port`; read `router.metrics` to
   * serve them yourself. Default off. `/healthz` and `/readyz` are always served (README, "Operations").
   */
  metrics?: boolean | MetricsOptions;
  /**
   * The admin page at `admin.path` (default `/admin`) on the router's own HTTP server: live
   * connections, topics with rates and history, presence, methods, and a disconnect button,
   * behind `admin.token`, or with `authenticate`, a bearer identity allowed to `call` `herald.admin`
   * (README, "Operations"). Default off.
   */
  admin?: AdminOptions;
  /**
   * Decides who each connection is, from its hello's `token` (or the upgrade request's headers
   * and cookies): resolves an `Identity` whose permissions every operation is checked against;
   * throws or rejects to refuse (close 4100 `AUTH_INVALID`). Also runs for each in-band `refresh`.
   * See `jwtAuthenticator`. Reading `ctx.cookies` needs `allowedOrigins`.
   */
  authenticate?: Authenticate;
  /**
   * Permissions of every connection on a router without `authenticate`. Default: everything
   * (`{ allow: { '>': ['*'] } }`), with a warning at start.
   */
  defaultPermissions?: Permissions;
  /**
   * Origins (`https://app.example.com`) browsers may connect from, as browsers send them (lower
   * case, no path or trailing `/`); an upgrade with another `Origin` header is refused with HTTP 403. Requests without `Origin` (non-browser clients)
   * pass. Required for `authenticate` to read cookies. Default: every origin.
   */
  allowedOrigins?: readonly string[];
  /** How long past its `expiresAt` an unrefreshed connection may stay before close 4101. Default 10,000 ms. */
  tokenExpiryGraceMs?: number;
  /**
   * What a presence watch lists, unless the watch asks (`presence_watch.by`): `user` (a user's
   * connections are one member, leaving `presenceGraceMs` after its last connection) or
   * `connection` (each connection a member, leaving at once). Default `user` with `authenticate`,
   * `connection` without.
   */
  presenceBy?: 'user' | 'connection';
  /** Presence per user: how long a user stays a member after its last connection went. Default 5,000 ms. */
  presenceGraceMs?: number;
  /**
   * Count-only presence watches (`presence_watch.count`): the first change of a topic's count is
   * sent at once, later ones at most once per this many ms per watch (the latest count). Default 1,000 ms.
   */
  presenceCountIntervalMs?: number;
}

/** The hub's limits and switches: `options` with every default filled in. */
export function hubOptions(options: RouterOptions<HeraldSchema>): HubOptions {
  return {
    maxPayload: options.maxPayload ?? MAX_PAYLOAD,
    maxConnections: options.maxConnections ?? 10_000,
    helloTimeoutMs: options.helloTimeoutMs ?? 5_000,
    limits: resolveConnectionLimits(options.limits),
    maxMethods: options.maxMethods ?? 10_000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 1000,
    connectionsPerAddress: options.connectionsPerAddress ?? { perSec: 20, burst: 200 },
    maxPendingPerAddress: options.maxPendingPerAddress ?? 32,
    maxNameLength: options.maxNameLength ?? 128,
    maxInfoBytes: options.maxInfoBytes ?? 4096,
    maxProtocolErrors: options.maxProtocolErrors ?? 100,
    validatePayloads: options.validatePayloads ?? true,
    contract: options.contract,
    requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    maxRequestTimeoutMs: options.maxRequestTimeoutMs ?? MAX_REQUEST_TIMEOUT_MS,
    maxPendingRequests: options.maxPendingRequests ?? 10_000,
    exposeErrorStacks: options.exposeErrorStacks ?? false,
    maxSubscriptions: options.maxSubscriptions ?? 1000,
    maxBufferedBytes: options.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS,
    resumeSecret: options.resumeSecret,
    presenceBy: options.presenceBy ?? (options.authenticate === undefined ? 'connection' : 'user'),
    presenceGraceMs: options.presenceGraceMs ?? 5000,
    presenceCountIntervalMs: options.presenceCountIntervalMs ?? 1000,
    access: {
      authenticate: options.authenticate,
      defaultPermissions: new CompiledPermissions(options.defaultPermissions ?? ALLOW_EVERYTHING),
      checksOrigin: options.allowedOrigins !== undefined,
      tokenExpiryGraceMs: options.tokenExpiryGraceMs ?? 10_000,
      maxNameLength: options.maxNameLength ?? 128,
    },
  };
}

/** The default in-memory engine's options, from the router's (`history`, `maxTopics`, `maxTopicBytes`). */
export function memoryEngineOptions(options: RouterOptions<HeraldSchema>): MemoryEngineOptions {
  return {
    ...(options.history !== undefined && { history: options.history }),
    ...(options.maxTopics !== undefined && { maxTopics: options.maxTopics }),
    ...(options.maxTopicBytes !== undefined && { maxBytes: options.maxTopicBytes }),
  };
}
