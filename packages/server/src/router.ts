import { once } from 'node:events';
import { type Server as HttpServer, createServer } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import {
  type Codec,
  CloseCode,
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
  optionInvalid,
  selectCodec,
  superjsonCodec,
} from '@herald/protocol';
import type { Registry } from 'prom-client';
import { checkCallOptions, checkCloseCode } from './call-options.js';
import { upgradeHello } from './upgrade-hello.js';
import type { ClientInfo } from './connection.js';
import type { AcceptedSocket } from './socket-seam.js';
import type { EncodedValue, PresenceMember } from './engine.js';
import { type DisconnectDetail, Hub, type MessageMeta, type RouterStats } from './hub.js';
import { randomId } from './ids.js';
import { type Logger, createConsoleLogger, silentLogger } from './logger.js';
import { limitLogRate } from './log-limiter.js';
import type { HealthReport } from './health.js';
import { MemoryEngine } from './memory-engine.js';
import { Operations } from './operations.js';
import { countMembers } from './presence-count.js';
import type { RequestContext, RequestHandler, RequestOptions } from './requests.js';
import { listenOn } from './listen-failure.js';
import { type ListenStart, NOT_LISTENING_YET, sharedServerListens, watchListenStart } from './shared-listen.js';
import { type RouterOptions, checkRouterOptions, hubOptions, memoryEngineOptions } from './router-options.js';
import { UpgradeHandler, refuseHttp } from './upgrade-handler.js';

export type { RouterOptions } from './router-options.js';

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
 * Starts a router and resolves once it listens. With a shared `server` that is not listening yet,
 * it resolves once a listen started in the same turn of the event loop settles (`LISTEN_FAILED` if
 * it fails), and otherwise at once with the router attached: it takes upgrades from when the server
 * listens, and `url`/`port` throw until then (README, "Router"). Rejects with a `HeraldError` of code
 * `OPTION_INVALID`, before it makes anything, when a number or word option is outside its range
 * (README, "API": a negative, NaN, infinite, fractional where whole, or absurdly large value),
 * for two options that contradict each other (`ROUTER_OPTION_PAIRS`: a `requestTimeoutMs` above
 * `maxRequestTimeoutMs`, a heartbeat timeout not longer than its interval, a `maxBufferedBytes`
 * not above `maxPayload`), and also for an empty
 * `codecs` list, a `resumeSecret` under 16 bytes, an `admin.token` under 16 characters (without
 * `authenticate`), a malformed `history` pattern, a `host`, `path` or `allowedOrigins` of the
 * wrong type or shape, or a `server` that is not an HTTP server it can take upgrades from (README, "API").
 * Rejects with `LISTEN_FAILED` (the Node error as `cause`; `retryable` for a port in use) when its
 * port, its metrics port or a shared server's listen of the same turn cannot listen, after closing whatever it had started. (These were TypeErrors, or no error at all.)
 *
 * @example
 * import { createRouter } from '@herald/server';
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
  #server: HttpServer | Http2SecureServer | undefined;
  readonly #upgrades: UpgradeHandler;
  #closing: Promise<void> | undefined;
  readonly #ops: Operations;
  /** A shared server's listen of createRouter's turn (shared-listen.ts), watched from the constructor on. */
  readonly #sharedStart: Promise<ListenStart> | undefined;

  /** @internal Use {@link createRouter}. */
  constructor(options: RouterOptions<HeraldSchema>) {
    super();
    checkRouterOptions(options);
    this.#options = options;
    this.name = options.name ?? 'router';
    this.#path = options.path ?? '/';
    this.#codecs = options.codecs ?? [superjsonCodec, jsonCodec];
    if (!Array.isArray(this.#codecs) || this.#codecs.length === 0) {
      throw optionInvalid('createRouter', 'codecs', 'a list of at least one codec', Array.isArray(this.#codecs) ? 'an empty list' : typeof this.#codecs);
    }
    const logger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level: options.logLevel ?? 'warn' }));
    this.#logger = options.logRateLimit === false || logger === silentLogger ? logger : limitLogRate(logger, options.logRateLimit);
    const peer: PeerRef = { id: this.id, name: this.name };
    this.#hub = new Hub(
      options.engine ?? new MemoryEngine(memoryEngineOptions(options)),
      this.#codecs,
      peer,
      hubOptions(options),
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
    this.#upgrades = new UpgradeHandler(this.#hub, this.#codecs, this.#path, options, this.#logger);
    this.#sharedStart = options.listen === false ? undefined : watchListenStart(options.server);
  }

  /** @internal Called by {@link createRouter}. */
  async start(): Promise<void> {
    await this.#hub.engine.start(this.#hub);
    try {
      await this.#listen();
    } catch (error) {
      // LISTEN_FAILED (listen-failure.ts): nothing left behind, no port, listener, timer or engine connection.
      await this.close();
      throw error;
    }
  }

  async #listen(): Promise<void> {
    await this.#ops.start(this, this.#options.host ?? '127.0.0.1');
    this.#upgrades.start();
    if (this.#options.listen === false) {
      this.#hub.startHeartbeat();
      this.#logger.log('info', 'router started without listening (listen: false)', { engine: this.#hub.engine.constructor.name });
      this.#warnIfOpen({});
      return;
    }
    const server = this.#options.server ?? createServer((request, response) => this.#ops.serve(request, response) || refuseHttp(request, response));
    this.#upgrades.ownsServer = this.#options.server === undefined;
    this.#server = server;
    server.on('upgrade', this.#upgrades.onUpgrade);
    let listensNow = true;
    if (this.#upgrades.ownsServer) await listenOn(server as HttpServer, this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', 'port and host');
    else listensNow = await sharedServerListens(server, this.#sharedStart);
    this.#hub.startHeartbeat();
    if (listensNow) return this.#announce();
    server.on('listening', this.#announce);
    this.#logger.log('info', 'router attached to a shared server that is not listening yet: it takes upgrades once the server listens', {});
  }

  /** Logs that the router listens; also a shared server's `listening` listener, where it must not throw (no URL on a pipe). */
  readonly #announce = (): void => {
    const url = typeof this.#server?.address() === 'string' ? undefined : this.url;
    this.#logger.log('info', 'router listening', { url, engine: this.#hub.engine.constructor.name });
    this.#warnIfOpen({ url });
  };

  /** The warning of a router that lets every client do everything (no `authenticate`, no `defaultPermissions`). */
  #warnIfOpen(context: { url?: string | undefined }): void {
    if (this.#options.authenticate === undefined && this.#options.defaultPermissions === undefined) {
      this.#logger.log('warn', 'no authenticate: every client may do everything (set authenticate, or defaultPermissions)', context);
    }
  }

  /** The URL to give clients: `ws://host:port/path` (`wss://` on an https or HTTP/2 secure server). */
  get url(): string {
    const address = this.#address();
    const scheme = this.#server instanceof TlsServer ? 'wss' : 'ws';
    let host = address.address;
    if (host === '0.0.0.0') host = '127.0.0.1';
    else if (host === '::') host = '::1';
    if (host.includes(':')) host = `[${host}]`;
    return `${scheme}://${host}:${address.port}${this.#path}`;
  }

  /** The port the router listens on. (Both throw while a shared server is not listening yet.) */
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
    const remove = this.#hub.requests.providers.provideLocal(method, handler as RequestHandler);
    const unregister = async (): Promise<void> => remove();
    return { method, unregister, [Symbol.asyncDispose]: unregister };
  }

  /**
   * Sends a request to a provider of `method` (a client, or the router's own handler) and resolves
   * with its result. Rejects with `NO_HANDLER` at once when nobody provides it, `TIMEOUT`
   * (TimeoutError), `HANDLER_GONE`, `REQUEST_CANCELLED`, or the handler's `RemoteError`; with
   * `OPTION_INVALID` at once for a negative, NaN or infinite `timeout`.
   */
  request<M extends string>(method: M & KnownMethod<S, M>, params: ParamsOf<S, M>, options?: RequestOptions): Promise<ResultOf<S, M>> {
    return this.#hub.requests.requestLocal(method, params, options) as Promise<ResultOf<S, M>>;
  }

  /** The methods provided and by whom (clients, and the router itself), as hein's ping() lists listeners. */
  methods(): MethodInfo[] {
    return this.#hub.requests.providers.methods().map(({ method, providers }) => ({ method, providers: providers.map((p) => ({ ...p })) }));
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
   * reconnects. Its presence ends `dropped`. Returns whether the client was connected. Throws
   * `OPTION_INVALID` for a `code` no close frame may carry (1000–1014 but 1004–1006, or 3000–4999).
   */
  disconnect(id: string, options: { code?: number; reason?: string; terminate?: boolean } = {}): boolean {
    if (options.code !== undefined) checkCloseCode(options.code);
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
   * no connection left is not counted. Rejects with `PATTERN_INVALID`, or `OPTION_INVALID` for a
   * `by` other than `user` or `connection`.
   */
  async presenceCount(topic: string, options: { by?: 'user' | 'connection' } = {}): Promise<number> {
    assertPattern(topic);
    checkCallOptions('presenceCount', options);
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
    return { connections: hub.connections.size, ...hub.counters, subscriptions, presenceWatches, presenceViews: hub.watchers.viewStats(), bytesIn, bytesOut, requestWork: { ...hub.requests.work }, ...(engine !== undefined && { engine }) };
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
    this.#upgrades.close();
    if (this.#upgrades.ownsServer && server !== undefined) {
      const closed = once(server, 'close');
      server.close();
      (server as HttpServer).closeAllConnections(); // the router's own: always http
      await closed;
    }
    server?.off('upgrade', this.#upgrades.onUpgrade);
    server?.off('listening', this.#announce);
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

  #address(): AddressInfo {
    const address = this.#server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      if (this.#options.listen === false) throw new Error('router: created with listen: false, it has no port or url');
      throw new Error(this.#server?.listening === false && !this.#upgrades.ownsServer ? NOT_LISTENING_YET : 'router: the server is not listening on a TCP port');
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
