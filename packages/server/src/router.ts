import { once } from 'node:events';
import { type Server as HttpServer, type IncomingMessage, createServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type Codec,
  CloseCode,
  type Contract,
  type Covered,
  type DefaultSchema,
  Emitter,
  ErrorCode,
  HeraldError,
  type HeraldSchema,
  type KnownMethod,
  type ParamsOf,
  type PeerRef,
  type PublishData,
  type ResultOf,
  type SubscribeData,
  assertPattern,
  assertTopic,
  jsonCodec,
  methodProblem,
  selectCodec,
  subprotocolFor,
  superjsonCodec,
} from '@herald/protocol';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { type Authenticate, upgradeInfo } from './authentication.js';
import { echoedOffer, upgradeHello, withoutHelloEntry } from './upgrade-hello.js';
import type { ClientInfo } from './connection.js';
import type { AcceptedSocket } from './socket-seam.js';
import { type ConnectionLimits, resolveConnectionLimits } from './connection-limits.js';
import type { RateLimit } from './rate-limit.js';
import type { EncodedValue, Engine, HistoryRule, PresenceMember } from './engine.js';
import { type DisconnectDetail, Hub, type MessageMeta, type RouterStats } from './hub.js';
import { randomId } from './ids.js';
import { type LogLevel, type Logger, createConsoleLogger, silentLogger } from './logger.js';
import { type LogRateLimit, limitLogRate } from './log-limiter.js';
import type { AdminOptions } from './admin.js';
import type { HealthReport } from './health.js';
import { MemoryEngine, type MemoryEngineOptions } from './memory-engine.js';
import type { MetricsOptions } from './metrics.js';
import { Operations } from './operations.js';
import { ALLOW_EVERYTHING, CompiledPermissions, type Permissions } from './permissions.js';
import { countMembers } from './presence-count.js';
import type { RequestContext, RequestHandler, RequestOptions } from './requests.js';
import { checkRouterOptions } from './router-options.js';

/** Options of {@link createRouter}. Every limit has a default; every bound refuses with a code. */
export interface RouterOptions<S extends HeraldSchema = DefaultSchema> {
  /** Port to listen on; 0 picks a free one (read it back from `router.port`). Default 0. Ignored with `server`. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`; use `0.0.0.0` or `::` to accept remote clients. */
  host?: string;
  /** URL path clients connect to. Default `/`. */
  path?: string;
  /**
   * An existing `http`/`https` server to attach to, sharing its port. The router handles upgrades
   * on `path` and leaves other paths to the server's other `upgrade` listeners.
   */
  server?: HttpServer | HttpsServer;
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
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 1 MiB. */
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
  /** Default timeout of requests, in milliseconds, when the caller names none. Default 10,000. */
  requestTimeoutMs?: number;
  /** Longest timeout a caller may ask for. Default 300,000 ms. */
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
  /** How often the router pings every client and checks for silence; 0 turns heartbeats off. Default 10,000 ms. */
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
   * Origins (`https://app.example.com`) browsers may connect from; an upgrade with another
   * `Origin` header is refused with HTTP 403. Requests without `Origin` (non-browser clients)
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

/** Events of a router, with their listener signatures (tinyproto's lifecycle hooks). */
export interface RouterEvents {
  /** A client was welcomed. */
  connect: (client: ClientInfo) => void;
  /** A welcomed client's connection ended. Its `unsubscribe` events come first. */
  disconnect: (client: ClientInfo, detail: DisconnectDetail) => void;
  /** A client subscribed to a pattern (also its presence join). */
  subscribe: (client: ClientInfo, pattern: string) => void;
  /** A client unsubscribed, or lost a subscription because it disconnected. */
  unsubscribe: (client: ClientInfo, pattern: string) => void;
  /** The engine failed, or an in-process subscriber threw. */
  error: (error: HeraldError, client?: ClientInfo) => void;
}

/** A client of any router sharing the engine (`router.clients({ cluster: true })`). */
export interface ClusterClientInfo extends ClientInfo {
  /** The router it is connected to. */
  router: PeerRef;
}

/** A presence member, decoded. */
export interface Member {
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  info: unknown;
  connectedAt: Date;
}

/** Where an accepted publication sits in its topic's sequence. */
export interface PublishAck {
  topic: string;
  epoch: string;
  offset: number;
}

/** A method and the providers that serve it. */
export interface MethodInfo {
  method: string;
  providers: PeerRef[];
}

/** A handler registered with `handle()`. */
export interface HandlerRegistration {
  readonly method: string;
  /** Stops providing the method; requests already in flight still complete. */
  unregister(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** An in-process subscription made with `router.subscribe`. */
export interface RouterSubscription {
  readonly pattern: string;
  unsubscribe(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a router and resolves once it listens. Rejects with a `HeraldError` of code
 * `OPTION_INVALID`, before it makes anything, when a number or word option is outside its range
 * (README, "API": a negative, NaN, infinite, fractional where whole, or absurdly large value).
 *
 * @example
 * const router = await createRouter({ port: 8080 });
 * router.on('connect', (client) => console.log(`${client.name} joined`));
 * await router.publish('sensors.kitchen.temp', { at: new Date(), celsius: 21.5 });
 */
export async function createRouter<S extends HeraldSchema = DefaultSchema>(options: RouterOptions<S> = {}): Promise<Router<S>> {
  const router = new Router<S>(options);
  await router.start();
  return router;
}

/** A Herald router. Create one with {@link createRouter}. */
export class Router<S extends HeraldSchema = DefaultSchema> extends Emitter<RouterEvents> {
  /** This router's id: the publisher id of `router.publish` messages. */
  readonly id = randomId();
  readonly name: string;
  readonly #options: RouterOptions<HeraldSchema>;
  readonly #hub: Hub;
  readonly #codecs: readonly Codec[];
  readonly #logger: Logger;
  readonly #path: string;
  #server: HttpServer | HttpsServer | undefined;
  #ownsServer = false;
  #wss: WebSocketServer | undefined;
  #closing: Promise<void> | undefined;
  readonly #ops: Operations;

  /** @internal Use {@link createRouter}. */
  constructor(options: RouterOptions<HeraldSchema>) {
    super();
    checkRouterOptions(options);
    this.#options = options;
    this.name = options.name ?? 'router';
    this.#path = options.path ?? '/';
    this.#codecs = options.codecs ?? [superjsonCodec, jsonCodec];
    if (this.#codecs.length === 0) throw new TypeError('createRouter: codecs must name at least one codec');
    for (const codec of this.#codecs) {
      const subprotocol = subprotocolFor(codec);
      if (!this.#codecBySubprotocol.has(subprotocol)) this.#codecBySubprotocol.set(subprotocol, codec);
      this.#subprotocolOf.set(codec, this.#subprotocolOf.get(codec) ?? subprotocol);
    }
    const logger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level: options.logLevel ?? 'warn' }));
    this.#logger = options.logRateLimit === false || logger === silentLogger ? logger : limitLogRate(logger, options.logRateLimit);
    const peer: PeerRef = { id: this.id, name: this.name };
    this.#hub = new Hub(
      options.engine ?? new MemoryEngine(memoryEngineOptions(options)),
      this.#codecs,
      peer,
      {
        maxPayload: options.maxPayload ?? 1024 * 1024,
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
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        maxRequestTimeoutMs: options.maxRequestTimeoutMs ?? 300_000,
        maxPendingRequests: options.maxPendingRequests ?? 10_000,
        exposeErrorStacks: options.exposeErrorStacks ?? false,
        maxSubscriptions: options.maxSubscriptions ?? 1000,
        maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
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
      },
      this.#logger,
      {
        // The hub builds a client snapshot for an event only when someone takes it.
        listens: (event) => this.listenerCount(event) > 0 || this.#hub.engine.trackClient !== undefined,
        connect: (client) => (this.#track(client), this.emit('connect', client)),
        disconnect: (client, detail) => (this.#track(client, true), this.emit('disconnect', client, detail)),
        subscribe: (client, pattern) => (this.#track(client), this.emit('subscribe', client, pattern)),
        unsubscribe: (client, pattern) => (this.#track(client), this.emit('unsubscribe', client, pattern)),
        error: (error, client) => this.emit('error', error, client),
      },
    );
    this.#ops = new Operations(this.#hub, () => ({ listening: this.#server?.listening === true, closing: this.#hub.closing }), options.metrics, options.admin, options.authenticate);
  }

  /** @internal Called by {@link createRouter}. */
  async start(): Promise<void> {
    await this.#hub.engine.start(this.#hub);
    await this.#ops.start(this, this.#options.host ?? '127.0.0.1');
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#hub.options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      // When no offer is supported, the first one is echoed so that the upgrade completes (a
      // browser fails a handshake whose answer names no subprotocol it offered) and the socket is
      // closed at once with 4001 CODEC_UNSUPPORTED: a reason a browser can read, unlike an HTTP 400.
      handleProtocols: (offered, request) => {
        const codec = selectCodec(offered, this.#codecs);
        // A hello in the upgrade (upgrade-hello.ts): ws writes the 101 next, then calls back, where
        // the welcome is written; corked until #onUpgrade returns, both leave in one write.
        this.#upgradeHello = upgradeHello(offered);
        if (this.#upgradeHello !== undefined) request.socket.cork();
        return codec === undefined ? echoedOffer(offered) : this.#subprotocolOf.get(codec)!;
      },
    });
    if (this.#options.listen === false) {
      this.#hub.startHeartbeat();
      this.#logger.log('info', 'router started without listening (listen: false)', { engine: this.#hub.engine.constructor.name });
      if (this.#options.authenticate === undefined && this.#options.defaultPermissions === undefined) {
        this.#logger.log('warn', 'no authenticate: every client may do everything (set authenticate, or defaultPermissions)', {});
      }
      return;
    }
    const server = this.#options.server ?? createServer((request, response) => this.#ops.serve(request, response) || refuseHttp(request, response));
    this.#ownsServer = this.#options.server === undefined;
    this.#server = server;
    server.on('upgrade', this.#onUpgrade);
    if (this.#ownsServer) {
      server.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1');
      await once(server, 'listening');
    } else if (!server.listening) {
      await once(server, 'listening');
    }
    this.#hub.startHeartbeat();
    this.#logger.log('info', 'router listening', { url: this.url, engine: this.#hub.engine.constructor.name });
    if (this.#options.authenticate === undefined && this.#options.defaultPermissions === undefined) {
      this.#logger.log('warn', 'no authenticate: every client may do everything (set authenticate, or defaultPermissions)', { url: this.url });
    }
  }

  /** The URL to give clients: `ws://host:port/path` (`wss://` on an https server). */
  get url(): string {
    const address = this.#address();
    const scheme = this.#server instanceof HttpsServer ? 'wss' : 'ws';
    let host = address.address;
    if (host === '0.0.0.0') host = '127.0.0.1';
    else if (host === '::') host = '::1';
    if (host.includes(':')) host = `[${host}]`;
    return `${scheme}://${host}:${address.port}${this.#path}`;
  }

  /** The port the router listens on. */
  get port(): number {
    return this.#address().port;
  }

  /**
   * Publishes from the router itself (hein's transmitter), to every matching subscriber.
   * Rejects with `TOPIC_INVALID` or `PAYLOAD_UNENCODABLE` (ProtocolError).
   */
  async publish<T extends string>(topic: T & Covered<S, T>, data: PublishData<S, T>): Promise<PublishAck> {
    assertTopic(topic);
    await this.#hub.contracts.checkValue(topic, data);
    const codec = this.#codecs[0]!;
    const payload = Buffer.from(codec.encode(data));
    const stamp = await this.#hub.publish({ topic, codec: codec.name, payload, from: this.#hub.peer, at: Date.now() });
    return { topic, epoch: stamp.epoch, offset: stamp.offset };
  }

  /**
   * Subscribes in-process (pysig's listener on the router). The handler gets each matching message,
   * decoded. Resolves once later publications are sure to arrive. Rejects with `PATTERN_INVALID`.
   */
  async subscribe<P extends string>(
    pattern: P & Covered<S, P>,
    handler: (data: SubscribeData<S, P>, meta: MessageMeta) => void,
  ): Promise<RouterSubscription> {
    assertPattern(pattern);
    const id = await this.#hub.subscribeLocal(pattern, handler as (data: unknown, meta: MessageMeta) => void);
    const unsubscribe = (): Promise<void> => this.#hub.unsubscribeLocal(id, pattern);
    return { pattern, unsubscribe, [Symbol.asyncDispose]: unsubscribe };
  }

  /**
   * Serves `method` in-process (pysig's provider on the router). The handler gets the params and a
   * context with the caller and an AbortSignal; what it returns (or resolves to) is the result,
   * what it throws becomes the caller's `RemoteError` (see `RemoteError` for code and data).
   * Rejects with `METHOD_INVALID`, or `HANDLER_EXISTS` when the router already serves it.
   */
  async handle<M extends string>(
    method: M & KnownMethod<S, M>,
    handler: (params: ParamsOf<S, M>, ctx: RequestContext) => ResultOf<S, M> | Promise<ResultOf<S, M>>,
  ): Promise<HandlerRegistration> {
    const problem = methodProblem(method);
    if (problem !== undefined) throw new HeraldError(ErrorCode.METHOD_INVALID, problem);
    const remove = this.#hub.requests.provideLocal(method, handler as RequestHandler);
    const unregister = async (): Promise<void> => remove();
    return { method, unregister, [Symbol.asyncDispose]: unregister };
  }

  /**
   * Sends a request to a provider of `method` (a client, or the router's own handler) and resolves
   * with its result. Rejects with `NO_HANDLER` at once when nobody provides it, `TIMEOUT`
   * (TimeoutError), `HANDLER_GONE`, `REQUEST_CANCELLED`, or the handler's `RemoteError`.
   */
  request<M extends string>(method: M & KnownMethod<S, M>, params: ParamsOf<S, M>, options?: RequestOptions): Promise<ResultOf<S, M>> {
    return this.#hub.requests.requestLocal(method, params, options) as Promise<ResultOf<S, M>>;
  }

  /** The methods provided and by whom (clients, and the router itself), as hein's ping() lists listeners. */
  methods(): MethodInfo[] {
    return this.#hub.requests.methods().map(({ method, providers }) => ({ method, providers: providers.map((p) => ({ ...p })) }));
  }

  /**
   * The connected, welcomed clients (hein's `ping()`), in the order they connected. With
   * `{ cluster: true }`: the clients of every router sharing the engine (each with its `router`),
   * as the engine knows them (a Redis engine: within its node lease of a router's death).
   */
  clients(): ClientInfo[];
  clients(options: { cluster: true }): Promise<ClusterClientInfo[]>;
  clients(options?: { cluster?: boolean }): ClientInfo[] | Promise<ClusterClientInfo[]> {
    if (options?.cluster === true) return this.#clusterClients();
    const clients: ClientInfo[] = [];
    for (const connection of this.#hub.connections.values()) {
      if (connection.state === 'open') clients.push(connection.snapshot());
    }
    return clients;
  }

  /**
   * Disconnects a client. By default it closes with `code` 1000 and `reason`, and the client does
   * not come back on its own (use a 4200–4299 code to have it reconnect); with `terminate: true`
   * the socket is destroyed without a close frame, as a network cut would, and the client
   * reconnects. Its presence ends `dropped`. Returns whether the client was connected.
   */
  disconnect(id: string, options: { code?: number; reason?: string; terminate?: boolean } = {}): boolean {
    const connection = this.#hub.connections.get(id);
    if (connection === undefined) return false;
    if (options.terminate === true) {
      connection.closedByRouter = true;
      connection.socket.terminate();
    } else {
      connection.close(options.code ?? CloseCode.NORMAL, 'DISCONNECTED', options.reason ?? 'disconnected by the router');
    }
    return true;
  }

  /** Whether the engine can serve publishes and subscribes now (for a readiness probe). */
  get engineAvailable(): boolean {
    return this.#hub.engine.available ?? true;
  }

  async #clusterClients(): Promise<ClusterClientInfo[]> {
    const engine = this.#hub.engine;
    if (engine.clients === undefined) return this.clients().map((client) => ({ ...client, router: { id: this.id, name: this.name } }));
    const clients = await engine.clients();
    return clients.map(({ info, connectedAt, ...rest }) => ({
      ...rest,
      info: info === undefined ? undefined : this.#decodeValue(info),
      connectedAt: new Date(connectedAt),
    }));
  }

  /** Keeps the engine's cluster-wide view of this router's clients up to date. */
  #track(client: ClientInfo, gone = false): void {
    const engine = this.#hub.engine;
    if (engine.trackClient === undefined) return;
    if (gone) return engine.trackClient(client.id, undefined);
    const codec = this.#codecs[0]!;
    let info: EncodedValue | undefined;
    try {
      info = client.info === undefined ? undefined : { codec: codec.name, text: codec.encode(client.info) };
    } catch {
      info = undefined;
    }
    engine.trackClient(client.id, {
      id: client.id,
      name: client.name,
      ...(info !== undefined && { info }),
      address: client.address,
      connectedAt: client.connectedAt.getTime(),
      subscriptions: client.subscriptions,
      router: { id: this.id, name: this.name },
    });
  }

  /**
   * Closes every connection of `user` with 4102 (`AUTH_REVOKED: reason`); the client does not
   * come back on its own with the same token. Returns how many connections this router closed.
   * With an engine shared by several routers (Redis), every other router closes the user's
   * connections too, a moment later (the engine's `disconnectUser`; a failure to tell them is
   * logged as a warning).
   */
  disconnectUser(user: string, options: { reason?: string } = {}): number {
    const reason = options.reason ?? 'access revoked';
    this.#hub.engine.disconnectUser?.(user, reason).catch((error: unknown) => {
      this.#hub.logger.log('warn', 'disconnectUser: the other routers could not be told', { user, error: String(error) });
    });
    return this.#hub.access.disconnectUser(this.#hub.connections.values(), user, reason);
  }

  /**
   * How many members a topic's (or pattern's) presence has, without the member list: counted as
   * the router's `presenceBy` defines a member (or `options.by`). A user in its leave grace with
   * no connection left is not counted.
   */
  async presenceCount(topic: string, options: { by?: 'user' | 'connection' } = {}): Promise<number> {
    assertPattern(topic);
    return countMembers(await this.#hub.engine.members(topic), options.by ?? this.#hub.options.presenceBy);
  }

  /** The members of a topic's (or pattern's) presence: the clients subscribed to exactly it. */
  async presence(topic: string): Promise<Member[]> {
    assertPattern(topic);
    const members = await this.#hub.engine.members(topic);
    return members.map((member) => this.#decodeMember(member));
  }

  /** Counters since the router started, and what the connected clients hold now. */
  stats(): RouterStats {
    const hub = this.#hub;
    let subscriptions = 0;
    let presenceWatches = 0;
    let bytesIn = hub.closedBytes.read;
    let bytesOut = hub.closedBytes.written;
    for (const connection of hub.connections.values()) {
      subscriptions += connection.patterns.size;
      presenceWatches += connection.watching.size;
      const wire = connection.wireBytes();
      bytesIn += wire.read;
      bytesOut += wire.written;
    }
    const engine = hub.engine.stats?.();
    return { connections: hub.connections.size, ...hub.counters, subscriptions, presenceWatches, bytesIn, bytesOut, requestWork: { ...hub.requests.work }, ...(engine !== undefined && { engine }) };
  }

  /** The router's Prometheus registry when `metrics` is on (to serve it yourself, or merge it). */
  get metrics(): Registry | undefined {
    return this.#ops.registry;
  }

  /** `http://host:port/metrics` when metrics have their own port (`metrics.port`). */
  get metricsUrl(): string | undefined {
    return this.#ops.metricsUrl;
  }

  /** `http://host:port/admin` when the admin page is on (`admin`). */
  get adminUrl(): string | undefined {
    const path = this.#ops.adminPath;
    return path === undefined ? undefined : `${this.url.replace(/^ws/, 'http').replace(/^(https?:\/\/[^/]+).*$/, '$1')}${path}`;
  }

  /** What `/readyz` answers: listening, not shutting down, and the engine reachable (probed now). */
  health(): Promise<HealthReport> {
    return this.#ops.report();
  }

  /**
   * Stops accepting, closes every connection with 1001 (going away), or 1012 (service restart)
   * with `{ restart: true }`, and resolves when all sockets are gone, the port is free (when the
   * router owns the server) and the engine is closed. Messages already accepted are flushed to
   * the subscribers before their close frame; clients reconnect (spread by their backoff jitter).
   */
  close(options: { restart?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.restart === true ? CloseCode.SERVICE_RESTART : CloseCode.GOING_AWAY);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(code: number): Promise<void> {
    const hub = this.#hub;
    hub.closing = true;
    hub.stopHeartbeat();
    const server = this.#server;
    // The upgrade listener stays until the port is closed: a client that comes back while the
    // router drains is told 1001 (reconnect later), not an HTTP 426 it would take as final.
    const online = hub.connections.size;
    for (const connection of hub.connections.values()) {
      connection.close(code, code === CloseCode.SERVICE_RESTART ? 'SERVICE_RESTART' : 'GOING_AWAY', 'the router is shutting down');
    }
    const cut = setTimeout(() => {
      for (const connection of hub.connections.values()) connection.socket.terminate();
    }, this.#options.shutdownTimeoutMs ?? 2000);
    await hub.drained();
    clearTimeout(cut);
    this.#wss?.close();
    if (this.#ownsServer && server !== undefined) {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    }
    server?.off('upgrade', this.#onUpgrade);
    await this.#ops.close();
    await hub.engine.close();
    this.#logger.log('info', 'router closed', { clients: online });
  }

  /**
   * Serves a socket that did not come through this router's HTTP upgrade: an in-memory socket in
   * tests (`@herald/testkit`'s memory transport), which then speaks the protocol like any client.
   * `protocols` are the subprotocols it offers; the codec is chosen, and a hello entry taken, as for an upgrade.
   */
  acceptSocket(socket: AcceptedSocket, protocols: readonly string[], address = 'memory'): void {
    const hello = upgradeHello(new Set(protocols));
    this.#hub.accept(socket as unknown as Parameters<Hub['accept']>[0], address, selectCodec(protocols, this.#codecs), undefined, hello);
  }

  #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = (request.url ?? '/').split('?', 1)[0];
    if (pathname !== this.#path) {
      if (this.#ownsServer) rejectUpgrade(socket, 404, 'Not Found', ErrorCode.CONNECTION_FAILED, `no Herald router at ${pathname}; use ${this.#path}`);
      return; // on a shared server, other upgrade listeners own other paths
    }
    const origin = request.headers.origin;
    const allowed = this.#options.allowedOrigins;
    if (allowed !== undefined && origin !== undefined && !allowed.includes(origin)) {
      this.#logger.log('info', 'handshake refused: origin not allowed', { origin, address: request.socket.remoteAddress });
      rejectUpgrade(socket, 403, 'Forbidden', ErrorCode.ORIGIN_FORBIDDEN, `origin ${origin} may not connect`);
      return;
    }
    this.#wss!.handleUpgrade(request, socket, head, (ws) => {
      // ws has parsed the offers and called handleProtocols: its answer names the codec.
      const codec = this.#codecBySubprotocol.get(ws.protocol);
      const address = request.socket.remoteAddress ?? '';
      if (codec === undefined) {
        this.#logger.log('info', 'handshake refused: no supported subprotocol', { offered: withoutHelloEntry(request.headers['sec-websocket-protocol'] ?? ''), address });
      }
      const hello = this.#upgradeHello;
      this.#upgradeHello = undefined;
      this.#hub.accept(ws, address, codec, this.#options.authenticate === undefined ? undefined : upgradeInfo(request), hello);
      if (hello !== undefined) request.socket.uncork();
    });
    // ws called handleProtocols but not back (it cannot, today): never leave a socket corked.
    if (this.#upgradeHello !== undefined) {
      this.#upgradeHello = undefined;
      request.socket.uncork();
    }
  };

  /** The hello found in the subprotocols of the upgrade being handled (handleUpgrade is synchronous). */
  #upgradeHello: ReturnType<typeof upgradeHello>;

  /** `herald.v1.<name>` → codec, for the subprotocol ws agreed on. */
  readonly #codecBySubprotocol = new Map<string, Codec>();
  /** Codec → its subprotocol, one string for every connection (`ws` keeps the answer per socket). */
  readonly #subprotocolOf = new Map<Codec, string>();

  #address(): AddressInfo {
    const address = this.#server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error(this.#options.listen === false ? 'router: created with listen: false, it has no port or url' : 'router: the server is not listening on a TCP port');
    }
    return address;
  }

  #decodeMember(member: PresenceMember): Member {
    const info = member.info === undefined ? undefined : this.#decodeValue(member.info);
    return { id: member.id, name: member.name, ...(member.user !== undefined && { user: member.user }), info, connectedAt: new Date(member.connectedAt) };
  }

  #decodeValue(value: EncodedValue): unknown {
    const decoded = this.#codecs.find((c) => c.name === value.codec)?.decode(value.text);
    return decoded?.ok ? decoded.value : undefined;
  }
}

function memoryEngineOptions(options: RouterOptions<HeraldSchema>): MemoryEngineOptions {
  return {
    ...(options.history !== undefined && { history: options.history }),
    ...(options.maxTopics !== undefined && { maxTopics: options.maxTopics }),
    ...(options.maxTopicBytes !== undefined && { maxBytes: options.maxTopicBytes }),
  };
}

function refuseHttp(_request: IncomingMessage, response: import('node:http').ServerResponse): boolean {
  response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
  response.end('This is a Herald router: connect with a WebSocket client (subprotocol herald.v1.superjson or herald.v1.json).\n');
  return true;
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, code: string, message: string): void {
  const body = `${code}: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `X-Herald-Error: ${code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
