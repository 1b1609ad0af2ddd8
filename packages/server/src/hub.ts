/**
 * The router's core: accepts sockets, speaks the protocol with each, and fans engine publications
 * and presence events out to connections and in-process subscribers. The `Router` class is its
 * public face; it owns the HTTP side.
 */
import {
  type ClientMessage,
  type Codec,
  CloseCode,
  type Contract,
  ErrorCode,
  HeraldError,
  type HelloMsg,
  type PeerRef,
  type ProtocolError,
  type Result,
  type SubscribeMsg,
  assertNever,
  clampCloseReason,
  decodeClientFrame,
  isHeraldError,
  LeaveReason,
  isTopic,
  patternProblem,
  subprotocolFor,
  topicProblem,
} from '@herald/protocol';
import type { RawData, default as WebSocket } from 'ws';
import { Access, type AccessOptions } from './access.js';
import type { UpgradeInfo } from './authentication.js';
import { type ClientInfo, Connection, NO_PATTERNS, wireOf } from './connection.js';
import { ContractGate } from './contract-gate.js';
import type { Engine, EngineListener, PresenceEvent, PresenceMember, RoutedMessage, StampedPublication } from './engine.js';
export type { LocalHandler, MessageMeta } from './local-subscribers.js';
import { Frames, bytesToText } from './frames.js';
import { type SharedFrame, shareFrame } from './frame-once.js';
import { startHeartbeat } from './heartbeat.js';
import { firstFrameRefusalCode } from './hello.js';
import { type LocalHandler, LocalSubscribers } from './local-subscribers.js';
import { PresenceWatchers } from './presence-watchers.js';
import { randomId } from './ids.js';
import { AddressLimits } from './address-limits.js';
import { type ConnectionLimits, patternRefusal, refuseOverLimit } from './connection-limits.js';
import type { Logger } from './logger.js';
import type { RateLimit } from './rate-limit.js';
import type { TopicStats } from './topic-budget.js';
import { replay } from './replay.js';
import type { RouterObserver } from './observer.js';
import { type RequestWork, Requests } from './requests.js';
import { ResumeTokens, pidProblem, resumeAtOnce, takeOver } from './resume.js';
import { WelcomeFrames } from './welcome.js';

/** Limits and switches the hub enforces; see `RouterOptions` for their meaning and defaults. */
export interface HubOptions {
  maxPayload: number;
  maxConnections: number;
  helloTimeoutMs: number;
  maxNameLength: number;
  maxInfoBytes: number;
  maxProtocolErrors: number;
  validatePayloads: boolean;
  /** Schemas that publishes and request params must satisfy (contract-gate.ts). */
  contract: Contract | undefined;
  requestTimeoutMs: number;
  maxRequestTimeoutMs: number;
  maxPendingRequests: number;
  exposeErrorStacks: boolean;
  maxSubscriptions: number;
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** The key of resume tokens; undefined: a random one (only this router accepts its tokens). */
  resumeSecret: string | Uint8Array | undefined;
  /** Every connection's limits (see connection-limits.ts). */
  limits: ConnectionLimits;
  /** Most methods handled by clients, over all connections. */
  maxMethods: number;
  maxConnectionsPerAddress: number;
  maxPendingPerAddress: number;
  connectionsPerAddress: RateLimit | false;
  access: AccessOptions;
  /** Presence watches group members per user or list connections, unless the watch says. */
  presenceBy: 'user' | 'connection';
  /** Per user: how long a user whose last connection left stays a member (no flapping on reload). */
  presenceGraceMs: number;
  /** Count-only watches: at most one `presence_count` per watch per this many ms. */
  presenceCountIntervalMs: number;
}

/** Why a client disconnected, as the `disconnect` event tells it. */
export interface DisconnectDetail {
  /** The WebSocket close code (1006 when the socket was lost without a close frame). */
  code: number;
  reason: string;
  /** How its presence ended: `closed` (the client closed) or `dropped`. */
  leave: string;
}

export interface HubEvents {
  /** Whether anyone wants `event` (the client snapshot it carries is not built otherwise). */
  listens(event: 'connect' | 'subscribe' | 'unsubscribe'): boolean;
  connect(client: ClientInfo): void;
  disconnect(client: ClientInfo, detail: DisconnectDetail): void;
  subscribe(client: ClientInfo, pattern: string): void;
  unsubscribe(client: ClientInfo, pattern: string): void;
  error(error: HeraldError, client?: ClientInfo): void;
}

/** Counters since the router started. */
export interface RouterStats {
  /** Open sockets, welcomed or not. */
  connections: number;
  /** Publications accepted (from clients and `router.publish`). */
  publications: number;
  /** Messages handed to subscribers (sockets and in-process). */
  deliveries: number;
  /** Delivery frames built: one per publication and receiving codec, however many subscribers. */
  framesEncoded: number;
  /** Clients disconnected for reading too slowly (close 4200). */
  slowConsumers: number;
  /** Clients dropped for silence (no frame or pong within `heartbeatTimeoutMs`). */
  heartbeatTimeouts: number;
  /** What the engine holds by its own accounting, when it keeps one (the in-memory engine does). */
  engine?: TopicStats;
  /** Subscriptions held by the connected clients (each is also a presence membership). */
  subscriptions: number;
  /** Presence watches held by the connected clients. */
  presenceWatches: number;
  /** Bytes received from clients on the wire, handshakes and WebSocket framing included. */
  bytesIn: number;
  /** Bytes sent to clients on the wire, handshakes and WebSocket framing included. */
  bytesOut: number;
  /** Work of the request layer, counted: what disconnects visited, how often the method list was built. */
  requestWork: RequestWork;
}

export class Hub implements EngineListener {
  readonly connections = new Map<string, Connection>();
  readonly counters = { publications: 0, deliveries: 0, framesEncoded: 0, slowConsumers: 0, heartbeatTimeouts: 0 };
  /** Wire bytes of the connections that closed (the open ones are read from their sockets). */
  readonly closedBytes = { read: 0, written: 0 };
  /** Metrics hooks, when metrics are on (see observer.ts). */
  observer: RouterObserver | undefined;
  readonly requests: Requests;
  readonly frames: Frames;
  readonly contracts: ContractGate;
  readonly access: Access;
  closing = false;
  readonly #local: LocalSubscribers;
  readonly #watchers: PresenceWatchers;
  readonly #addresses: AddressLimits;
  #onEmpty: (() => void) | undefined;
  readonly #cleanups = new Set<Promise<void>>();
  /** Resolves once a closed connection's engine cleanup is done (for a session taken over). */
  readonly #cleanupOf = new WeakMap<Connection, Promise<void>>();
  readonly #resume: ResumeTokens;
  /** The welcome's fixed part, serialised once (welcome.ts). */
  readonly #welcomes: WelcomeFrames;
  #stopHeartbeat: () => void = () => {};
  /** One function for every connection, rather than a closure each. */
  readonly #slow = (connection: Connection): void => this.#onSlow(connection);

  constructor(
    readonly engine: Engine,
    readonly codecs: readonly Codec[],
    readonly peer: PeerRef,
    readonly options: HubOptions,
    readonly logger: Logger,
    readonly events: HubEvents,
  ) {
    this.frames = new Frames(codecs);
    this.#resume = new ResumeTokens(options.resumeSecret);
    this.#welcomes = new WelcomeFrames({
      router: peer,
      maxPayload: options.maxPayload,
      heartbeatMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      errorStacks: options.exposeErrorStacks,
    });
    this.contracts = new ContractGate(options.contract);
    this.access = new Access(options.access, logger);
    this.#watchers = new PresenceWatchers(this.frames, this.options.presenceCountIntervalMs);
    this.#addresses = new AddressLimits(options);
    this.#local = new LocalSubscribers(engine, this.frames, logger, (error) => this.events.error(error));
    this.requests = new Requests(peer, options, logger, () => this.observer, (connection, codec) =>
      connection.info === undefined ? undefined : this.frames.transcode(connection.info.text, connection.info.codec, codec),
    );
    if (options.contract !== undefined) this.requests.checkResult = (method, value) => this.contracts.result(method, value);
    if (engine.route !== undefined) {
      this.requests.cluster = { engine, codec: (name) => (name === '' ? codecs[0] : codecs.find((c) => c.name === name)) };
    }
  }

  /** Starts the heartbeat (see heartbeat.ts). */
  startHeartbeat(): void {
    this.#stopHeartbeat = startHeartbeat(this.connections, this.options.heartbeatIntervalMs, this.options.heartbeatTimeoutMs, (connection) => {
      this.counters.heartbeatTimeouts++;
      this.logger.log('info', 'dropping a silent client', { id: connection.id, name: connection.name, silentMs: connection.silentMs });
      connection.closedByRouter = true;
      connection.socket.terminate();
    });
  }

  stopHeartbeat(): void {
    this.#stopHeartbeat();
  }

  // ---- connection lifecycle ----

  /** `hello`: the hello the upgrade request carried (upgrade-hello.ts), decoded or refused. */
  accept(socket: WebSocket, address: string, codec: Codec | undefined, upgrade?: UpgradeInfo, hello?: Result<HelloMsg, ProtocolError>): void {
    const refuse = (code: number, reason: string): void => {
      socket.on('error', (error) => this.logger.log('debug', 'socket error', { address, error: error.message }));
      socket.close(code, reason);
    };
    if (codec === undefined) {
      const supported = this.codecs.map(subprotocolFor).join(' or ');
      return refuse(CloseCode.CODEC_UNSUPPORTED, clampCloseReason(`${ErrorCode.CODEC_UNSUPPORTED}: offer subprotocol ${supported}`));
    }
    if (this.closing) return refuse(CloseCode.GOING_AWAY, 'GOING_AWAY: the router is shutting down');
    if (this.connections.size >= this.options.maxConnections) {
      this.logger.log('warn', 'connection refused: router full', { address, maxConnections: this.options.maxConnections });
      return refuse(CloseCode.TRY_AGAIN_LATER, `ROUTER_FULL: the router is at maxConnections (${this.options.maxConnections})`);
    }
    const limited = this.#addresses.admit(address);
    if (limited !== undefined) {
      this.logger.log('warn', 'connection refused: address limit', { address, limit: limited });
      return refuse(CloseCode.ADDRESS_LIMIT, `${ErrorCode.ADDRESS_LIMIT}: ${limited}`);
    }
    const connection = new Connection(randomId(), socket, codec, address, this.options.maxBufferedBytes, this.#slow);
    this.access.accepted(connection);
    if (this.options.access.authenticate !== undefined) connection.upgrade = upgrade;
    this.connections.set(connection.id, connection);
    (socket as SocketWithConnection)[CONNECTION] = connection;
    for (const [event, listener] of this.#socketListeners) socket.on(event, listener);
    // A pong shows in the TCP socket's bytes read (Connection.takeHeard); only a socket without one listens.
    if (wireOf(socket) === undefined) socket.on('pong', this.#onPong);
    if (hello !== undefined) this.#onUpgradeHello(connection, hello);
    // Still waiting for a hello (none in the upgrade, or an `authenticate` that has not answered).
    if (connection.state !== 'hello') return;
    allowFrames(socket, MAX_HELLO_FRAME);
    if (!connection.closedByRouter) connection.helloTimer = setTimeout(this.#helloTimeout, this.options.helloTimeoutMs, connection);
  }

  /** A hello from the upgrade request runs as a first frame would: a frame that follows waits for it. */
  #onUpgradeHello(connection: Connection, hello: Result<HelloMsg, ProtocolError>): void {
    connection.heard = true;
    if (!hello.ok) return connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.HELLO_INVALID, hello.error.message);
    connection.serial(() => this.#onHello(connection, hello.value));
  }

  /**
   * `helloTimeoutMs` bounds the time from the upgrade to the welcome. Without a hello it closes
   * 4002; once a valid hello came (its name is set) and only `authenticate` (or a session takeover)
   * is pending, 1013 `AUTH_TIMEOUT`: a client must not take that for a router that ignored the
   * hello in its upgrade (PROTOCOL.md §2).
   */
  readonly #helloTimeout = (connection: Connection): void =>
    connection.name === ''
      ? connection.close(CloseCode.HELLO_TIMEOUT, ErrorCode.PROTOCOL_HELLO_REQUIRED, `no hello within ${this.options.helloTimeoutMs} ms`)
      : connection.close(CloseCode.TRY_AGAIN_LATER, ErrorCode.AUTH_TIMEOUT, `the hello was not answered within ${this.options.helloTimeoutMs} ms`);
  /**
   * One set of socket listeners for every connection (ws calls them with the socket as `this`),
   * rather than closures each: an idle connection costs a few hundred bytes less. Three, which
   * fit a socket's first listener table (a fourth grows it by about 100 bytes).
   */
  readonly #socketListeners = ((hub: Hub) => {
    const of = (socket: WebSocket): Connection => (socket as SocketWithConnection)[CONNECTION]!;
    return [
      ['message', function (this: WebSocket, data: RawData, isBinary: boolean) {
        const connection = of(this);
        connection.heard = true;
        connection.serial(() => hub.#onFrame(connection, data as Buffer, isBinary));
      }],
      ['close', function (this: WebSocket, code: number, reason: Buffer) {
        hub.#onClose(of(this), code, reason.toString());
      }],
      ['error', function (this: WebSocket, error: Error) {
        const { id, address } = of(this);
        hub.logger.log('debug', 'socket error', { id, address, error: error.message });
      }],
    ] as Array<[string, (this: WebSocket, ...args: any[]) => void]>; // any[]: the listener type ws's `on` takes
  })(this);

  /** A socket without a TCP socket under it (in memory) tells its pongs. */
  readonly #onPong = function (this: WebSocket): void {
    (this as SocketWithConnection)[CONNECTION]!.heard = true;
  };

  /** Resolves once every connection is gone. */
  async drained(): Promise<void> {
    if (this.connections.size > 0) await new Promise<void>((resolve) => (this.#onEmpty = resolve));
    // The engine cleanup of the last connections (unsubscribe, presence leave) must finish
    // before anyone closes the engine.
    while (this.#cleanups.size > 0) await Promise.all(this.#cleanups);
  }

  #onSlow(connection: Connection): void {
    this.counters.slowConsumers++;
    this.logger.log('warn', 'disconnecting a slow consumer', {
      id: connection.id,
      name: connection.name,
      bufferedBytes: connection.bufferedAmount,
      maxBufferedBytes: this.options.maxBufferedBytes,
    });
    connection.close(CloseCode.SLOW_CONSUMER, ErrorCode.SLOW_CONSUMER, `more than ${this.options.maxBufferedBytes} bytes waiting to be read`);
    // It may never read as far as the close frame: cut it if it has not finished closing soon.
    setTimeout(() => connection.socket.terminate(), 2000).unref();
  }

  #onClose(connection: Connection, code: number, reason: string): void {
    if (connection.state === 'closed') return;
    const wasOpen = connection.state === 'open';
    connection.state = 'closed';
    this.#addresses.closed(connection.address, !wasOpen);
    clearTimeout(connection.helloTimer);
    this.access.closed(connection);
    // A session resumed by another connection holds the id now: that entry is not ours to delete.
    if (this.connections.get(connection.id) === connection) this.connections.delete(connection.id);
    this.requests.closed(connection);
    this.#watchers.removeAll(connection);
    const leave = connection.leaveReason(code);
    const wire = connection.wireBytes();
    this.closedBytes.read += wire.read;
    this.closedBytes.written += wire.written;
    if (this.connections.size === 0) this.#onEmpty?.();
    if (!wasOpen) return;
    const client = connection.snapshot();
    // After any subscribe still waiting on the engine, so that nothing it adds is left behind;
    // the events follow the cleanup, so listeners find presence and clients() agreeing.
    let cleaned!: () => void;
    const cleanup = new Promise<void>((resolve) => (cleaned = resolve));
    this.#cleanups.add(cleanup);
    this.#cleanupOf.set(connection, cleanup);
    void cleanup.then(() => this.#cleanups.delete(cleanup));
    connection.serial(async () => {
      try {
        await this.#leaveEverything(connection, client, code, reason, leave);
      } finally {
        cleaned();
      }
    });
  }

  async #leaveEverything(connection: Connection, client: ClientInfo, code: number, reason: string, leave: string): Promise<void> {
    for (const pattern of client.subscriptions) {
      await this.#engineCall(this.engine.unsubscribe(connection.id, pattern), 'unsubscribe');
      await this.#engineCall(this.engine.leave(pattern, connection.id, leave), 'presence leave');
      this.events.unsubscribe(client, pattern);
    }
    this.logger.log('info', 'client disconnected', {
      id: connection.id,
      name: connection.name,
      code,
      reason: reason || undefined,
      leave,
      online: this.connections.size,
    });
    this.events.disconnect(client, { code, reason, leave });
  }

  // ---- frames from clients ----

  #onFrame(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> | void {
    if (connection.state === 'closed') return;
    if (isBinary) {
      const message = 'herald.v1 uses text frames only';
      if (connection.state === 'hello') connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_INVALID_FRAME, message);
      else this.#protocolError(connection, ErrorCode.PROTOCOL_INVALID_FRAME, message);
      return;
    }
    const decoded = decodeClientFrame(data);
    if (!decoded.ok) {
      this.#rejectFrame(connection, decoded.error, data);
      return;
    }
    const message = decoded.value;
    if (connection.state === 'hello') {
      if (data.length > MAX_HELLO_FRAME) return connection.close(CloseCode.MESSAGE_TOO_BIG, ErrorCode.HELLO_INVALID, `frames before the welcome are at most ${MAX_HELLO_FRAME} bytes`);
      if (message.type === 'hello') return this.#onHello(connection, message);
      connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED, 'the first message must be hello');
      return;
    }
    if (refuseOverLimit(connection, message, data.length, this.options.limits)) return this.observer?.rateLimited(message.type);
    return this.#dispatch(connection, message);
  }

  #dispatch(connection: Connection, message: ClientMessage): Promise<void> | void {
    switch (message.type) {
      case 'hello':
        connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED, 'hello was already received');
        return;
      case 'subscribe':
        return this.#onSubscribe(connection, message);
      case 'unsubscribe':
        return this.#onUnsubscribe(connection, message.id, message.pattern);
      case 'publish':
        this.#onPublish(connection, message.topic, message.payload as Uint8Array, message.id, message.pid);
        return;
      case 'presence_watch':
        return this.#onWatch(connection, message.id, message.topic, message.by, message.count === true);
      case 'presence_unwatch':
        return this.#onUnwatch(connection, message.id, message.topic);
      case 'ping':
        connection.sendMessage({ type: 'pong', id: message.id });
        return;
      case 'handle': {
        if (isTopic(message.method) && !this.access.allowed(connection, 'handle', message.method, message.id)) return;
        const problem = this.requests.provide(connection, message.method);
        if (problem === undefined) connection.sendMessage({ type: 'handled', id: message.id, method: message.method });
        else if (problem.code === ErrorCode.HANDLER_LIMIT) connection.sendError(problem.code, problem.message, message.id);
        else this.#protocolError(connection, problem.code, problem.message, message.id);
        return;
      }
      case 'unhandle':
        this.requests.unprovide(connection, message.method);
        connection.sendMessage({ type: 'unhandled', id: message.id, method: message.method });
        return;
      case 'request': {
        if (isTopic(message.method) && !this.access.allowed(connection, 'call', message.method, message.id)) return;
        const payload = bytesToText(message.payload as Uint8Array);
        const refuse = (error: HeraldError): void => connection.sendError(error.code, error.message, message.id);
        this.contracts.request(connection, message.method, payload, () => this.#onRequest(connection, message, payload), refuse);
        return;
      }
      case 'cancel':
        this.requests.cancel(connection, message.id, message.reason);
        return;
      case 'response':
        this.requests.respond(connection, message.id, bytesToText(message.payload as Uint8Array));
        return;
      case 'response_error':
        this.requests.respondError(connection, message.id, message);
        return;
      case 'refresh':
        return this.#onRefresh(connection, message.id, message.token);
      case 'list_methods':
        connection.sendMessage({
          type: 'methods',
          id: message.id,
          methods: this.requests.methods().filter(({ method }) => connection.permissions.allows('call', method)),
        });
        return;
      default:
        assertNever(message);
    }
  }

  #rejectFrame(connection: Connection, error: ProtocolError, data: Buffer): void {
    if (connection.state === 'hello') {
      connection.close(CloseCode.PROTOCOL_VIOLATION, firstFrameRefusalCode(data, error), error.message);
      return;
    }
    this.#protocolError(connection, error.code, error.message, error.id);
  }

  /** Answers a bad message with a coded error; past `maxProtocolErrors`, closes the connection. */
  #protocolError(connection: Connection, code: string, message: string, id?: number): void {
    connection.protocolErrors++;
    this.logger.log('debug', 'protocol error', { id: connection.id, name: connection.name, code, message });
    if (connection.protocolErrors > this.options.maxProtocolErrors) {
      this.logger.log('warn', 'closing a client that sent too many bad messages', { id: connection.id, name: connection.name, code });
      connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_TOO_MANY_ERRORS, `more than ${this.options.maxProtocolErrors} protocol errors`);
      return;
    }
    connection.sendError(code, message, id);
  }

  /**
   * A hello without `authenticate` is welcomed in the same tick, without a Promise (inside the
   * upgrade's cork: the welcome leaves with the 101), unless it resumes a session still open on
   * this router. A reconnect storm's resumes (their sessions were on a router that died) are not.
   */
  #onHello(connection: Connection, hello: Extract<ClientMessage, { type: 'hello' }>): Promise<void> | void {
    const name = hello.name ?? connection.id;
    const { maxNameLength, maxInfoBytes } = this.options;
    // Counted in code points, as topics are; a string has at least as many UTF-16 units as code
    // points, so only a long one needs counting.
    const characters = name.length <= maxNameLength ? name.length : countCodePoints(name);
    let problem: string | undefined;
    if (characters === 0 || characters > maxNameLength) problem = `name must be 1 to ${maxNameLength} characters`;
    else if (hello.info !== undefined) {
      if (Buffer.byteLength(hello.info) > maxInfoBytes) problem = `info must encode to at most ${maxInfoBytes} bytes`;
      else problem = connection.codec.check(hello.info)?.message;
    }
    if (problem !== undefined) {
      connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.HELLO_INVALID, problem);
      return;
    }
    connection.name = name;
    if (hello.info !== undefined) connection.info = { codec: connection.codec.name, text: hello.info };
    if (this.options.access.authenticate === undefined && (hello.resume === undefined || this.#resumeAtOnce(connection, hello))) return this.#welcome(connection);
    return this.#admitHello(connection, hello);
  }

  /** A resume without `authenticate` that takes nothing over: done here, or false for #admitHello. */
  #resumeAtOnce(connection: Connection, hello: Extract<ClientMessage, { type: 'hello' }>): boolean {
    const id = this.#resume.verify(hello.resume!, undefined);
    if (id !== undefined) {
      if (!resumeAtOnce(id, connection, this.connections)) return false;
      this.logger.log('debug', 'session resumed', { id });
    }
    if (hello.name === undefined) connection.name = connection.id;
    return true;
  }

  async #admitHello(connection: Connection, hello: Extract<ClientMessage, { type: 'hello' }>): Promise<void> {
    // With `authenticate`, the identity's name and info replace the hello's; it runs before a
    // resume, so that a session still open is resumed only by the user it belongs to.
    if (!(await this.access.admit(connection, hello)) || connection.state !== 'hello') return;
    if (hello.resume !== undefined) {
      let id = this.#resume.verify(hello.resume, connection.user);
      const previous = id === undefined ? undefined : this.connections.get(id);
      if (previous !== undefined && previous.user !== connection.user) id = undefined; // another user's session
      const resumed = await takeOver(id, connection, this.connections, (old) => this.#cleanupOf.get(old));
      if (resumed) this.logger.log('debug', 'session resumed', { id: connection.id });
      if (hello.name === undefined && connection.user === undefined) connection.name = connection.id;
      if (connection.state !== 'hello') return; // it closed (or timed out) while the old one went
    }
    this.#welcome(connection);
  }

  #welcome(connection: Connection): void {
    clearTimeout(connection.helloTimer);
    connection.helloTimer = undefined;
    connection.state = 'open';
    this.#addresses.welcomed(connection.address);
    allowFrames(connection.socket, this.options.maxPayload);
    // Alone in its tick: written at once, which costs less than a cork and an uncork.
    connection.sendAlone(this.#welcomes.frame({
      id: connection.id,
      name: connection.name,
      resume: this.#resume.issue(connection.id, connection.user),
      dedupeMs: this.engine.dedupeMs,
      user: connection.user,
      expiresAt: connection.expiresAt,
    }));
    this.logger.log('info', 'client connected', {
      id: connection.id,
      name: connection.name,
      user: connection.user,
      address: connection.address,
      codec: connection.codec.name,
      online: this.connections.size,
    });
    if (this.events.listens('connect')) this.events.connect(connection.snapshot());
  }

  async #onSubscribe(connection: Connection, request: SubscribeMsg): Promise<void> {
    const { id, pattern } = request;
    const problem = patternProblem(pattern);
    if (problem !== undefined) return this.#protocolError(connection, ErrorCode.PATTERN_INVALID, problem, id);
    if (connection.state !== 'open') return;
    if (!this.access.allowed(connection, 'subscribe', pattern, id)) return;
    const replays = request.rewind !== undefined || request.positions !== undefined || request.since !== undefined;
    if (replays && !this.access.allowed(connection, 'history', pattern, id)) return;
    const limited = patternRefusal(connection, pattern, true);
    if (limited !== undefined) return connection.sendError(ErrorCode.PATTERN_LIMIT, limited, id);
    const fresh = !connection.patterns.has(pattern);
    if (fresh && connection.patterns.size >= this.options.maxSubscriptions) {
      return connection.sendError(ErrorCode.SUBSCRIPTION_LIMIT, `at most ${this.options.maxSubscriptions} subscriptions per connection`, id);
    }
    if (fresh) {
      if (connection.patterns === NO_PATTERNS) connection.patterns = new Set();
      connection.patterns.add(pattern);
      connection.patternBytes += pattern.length;
      let subscribed = false;
      try {
        await this.engine.subscribe(connection.id, pattern);
        subscribed = true;
        // Being a member is an operation of its own: without it, the subscription is silent.
        if (connection.permissions.allows('presence', pattern)) await this.engine.join(pattern, connection.member());
      } catch (cause) {
        connection.patterns.delete(pattern);
        connection.patternBytes -= pattern.length;
        // Leave nothing half made: a subscription without its presence would deliver unseen.
        if (subscribed) await this.#engineCall(this.engine.unsubscribe(connection.id, pattern), 'unsubscribe');
        return this.#internalError(connection, 'subscribe', cause, id);
      }
    }
    // Registered first, replayed second: nothing falls between history and live delivery.
    let recovery;
    try {
      recovery = await replay(this.engine, this.frames, connection, request);
    } catch (cause) {
      return this.#internalError(connection, 'read history', cause, id);
    }
    if (connection.state !== 'open') return;
    const at = (fresh ? undefined : connection.subscribedAt?.get(pattern)) ?? Date.now();
    if (fresh) (connection.subscribedAt ??= new Map()).set(pattern, at);
    connection.sendMessage({ type: 'subscribed', id, pattern, at, ...recovery });
    if (fresh && this.events.listens('subscribe')) this.events.subscribe(connection.snapshot(), pattern);
  }

  async #onUnsubscribe(connection: Connection, id: number, pattern: string): Promise<void> {
    if (!connection.patterns.delete(pattern)) return connection.sendMessage({ type: 'unsubscribed', id, pattern });
    connection.subscribedAt?.delete(pattern);
    connection.patternBytes -= pattern.length;
    try {
      await this.engine.unsubscribe(connection.id, pattern);
      await this.engine.leave(pattern, connection.id, 'unsubscribed');
    } catch (cause) {
      return this.#internalError(connection, 'unsubscribe', cause, id);
    }
    if (connection.state !== 'open') return;
    connection.sendMessage({ type: 'unsubscribed', id, pattern });
    if (this.events.listens('unsubscribe')) this.events.unsubscribe(connection.snapshot(), pattern);
  }

  #onRequest(connection: Connection, message: Extract<ClientMessage, { type: 'request' }>, payload: string): void {
    if (connection.state === 'closed') return;
    const refusal = this.requests.request(connection, message.id, message.method, message.timeout, payload);
    if (refusal === undefined) return;
    this.observer?.requestRefused(refusal.code);
    if (PROTOCOL_REFUSALS.has(refusal.code)) this.#protocolError(connection, refusal.code, refusal.message, message.id);
    else connection.sendError(refusal.code, refusal.message, message.id);
  }

  #onPublish(connection: Connection, topic: string, payload: Uint8Array, id: number | undefined, pid: string | undefined): void {
    const problem = topicProblem(topic);
    if (problem !== undefined) return this.#protocolError(connection, ErrorCode.TOPIC_INVALID, problem, id);
    const badPid = pidProblem(pid);
    if (badPid !== undefined) return this.#protocolError(connection, ErrorCode.PROTOCOL_INVALID_MESSAGE, badPid, id);
    if (!this.access.allowed(connection, 'publish', topic, id)) return;
    const text = this.options.validatePayloads || this.options.contract !== undefined ? bytesToText(payload) : '';
    if (this.options.validatePayloads) {
      const invalid = connection.codec.check(text);
      if (invalid !== undefined) return this.#protocolError(connection, invalid.code, invalid.message, id);
    }
    const refuse = (error: HeraldError): void => connection.sendError(error.code, error.message, id);
    this.contracts.publish(connection, topic, text, () => this.#accept(connection, topic, payload, id, pid), refuse);
  }

  #accept(connection: Connection, topic: string, payload: Uint8Array, id: number | undefined, pid: string | undefined): void {
    if (connection.state === 'closed') return;
    const from = connection.peer();
    // Scoped by the session's id (which only its resume token can claim): a client cannot collide
    // with, or learn, the publishes of another.
    const publication = { topic, codec: connection.codec.name, payload, from, at: Date.now(), ...(pid !== undefined && { pid: `${connection.id}:${pid}` }) };
    this.publish(publication).then(
      (stamp) => {
        if (id !== undefined) connection.sendMessage({ type: 'publish_ack', id, topic, epoch: stamp.epoch, offset: stamp.offset });
      },
      (cause: unknown) => this.#internalError(connection, 'publish', cause, id),
    );
  }

  /** Hands a publication to the engine; counts it once accepted. */
  async publish(publication: Parameters<Engine['publish']>[0]): ReturnType<Engine['publish']> {
    const observer = this.observer;
    if (observer === undefined) {
      const stamp = await this.engine.publish(publication);
      this.counters.publications++;
      return stamp;
    }
    const started = performance.now();
    try {
      const stamp = await this.engine.publish(publication);
      this.counters.publications++;
      observer.enginePublish((performance.now() - started) / 1000, true, publication.topic);
      return stamp;
    } catch (error) {
      observer.enginePublish((performance.now() - started) / 1000, false, publication.topic);
      throw error;
    }
  }

  async #onWatch(connection: Connection, id: number, topic: string, by: string | undefined, countOnly: boolean): Promise<void> {
    const problem = patternProblem(topic);
    if (problem !== undefined) return this.#protocolError(connection, ErrorCode.PATTERN_INVALID, problem, id);
    if (by !== undefined && by !== 'user' && by !== 'connection') {
      return this.#protocolError(connection, ErrorCode.PROTOCOL_INVALID_MESSAGE, 'presence_watch.by must be "user" or "connection"', id);
    }
    if (!this.access.allowed(connection, 'watch', topic, id)) return;
    const limited = patternRefusal(connection, topic, false);
    if (limited !== undefined) return connection.sendError(ErrorCode.PATTERN_LIMIT, limited, id);
    if (!connection.watching.has(topic) && connection.watching.size >= this.options.maxSubscriptions) {
      return connection.sendError(ErrorCode.SUBSCRIPTION_LIMIT, `at most ${this.options.maxSubscriptions} presence watches per connection`, id);
    }
    const byUser = (by ?? this.options.presenceBy) === 'user' ? { graceMs: this.options.presenceGraceMs } : undefined;
    const watch = this.#watchers.start(connection, topic, byUser, countOnly);
    let members: PresenceMember[];
    try {
      members = await this.engine.members(topic);
    } catch (cause) {
      this.#watchers.remove(connection, topic);
      return this.#internalError(connection, 'presence', cause, id);
    }
    return this.#watchers.snapshot(watch, id, members);
  }

  /** In-band refresh: permissions swap at once; what they no longer allow ends with `revoked`. */
  async #onRefresh(connection: Connection, id: number, token: string): Promise<void> {
    let identity;
    try {
      identity = await this.access.refresh(connection, token);
    } catch (error) {
      this.logger.log('info', 'refresh refused', { id: connection.id, user: connection.user, error: String(error) });
      return connection.sendError(ErrorCode.TOKEN_INVALID, 'the refresh token was refused', id);
    }
    if (connection.state !== 'open') return;
    this.access.refreshed(connection, identity);
    connection.sendMessage({ type: 'refreshed', id, ...(identity.expiresAt !== undefined && { expiresAt: identity.expiresAt }) });
    const revoke = (operation: string, subject: string): void =>
      connection.sendMessage({ type: 'revoked', operation, subject, reason: 'permission_revoked' });
    for (const topic of [...connection.watching]) {
      if (connection.permissions.allows('watch', topic)) continue;
      this.#watchers.remove(connection, topic);
      revoke('watch', topic);
    }
    for (const method of this.requests.providedBy(connection)) {
      if (connection.permissions.allows('handle', method)) continue;
      this.requests.unprovide(connection, method);
      revoke('handle', method);
    }
    for (const pattern of [...connection.patterns]) {
      const subscribes = connection.permissions.allows('subscribe', pattern);
      if (subscribes && connection.permissions.allows('presence', pattern)) continue;
      if (!subscribes) connection.patterns.delete(pattern);
      try {
        if (!subscribes) await this.engine.unsubscribe(connection.id, pattern);
        await this.engine.leave(pattern, connection.id, LeaveReason.UNSUBSCRIBED);
      } catch (cause) {
        this.#internalError(connection, 'unsubscribe', cause, undefined);
      }
      if (subscribes || connection.state !== 'open') continue;
      revoke('subscribe', pattern);
      this.events.unsubscribe(connection.snapshot(), pattern);
    }
  }

  #onUnwatch(connection: Connection, id: number, topic: string): void {
    this.#watchers.remove(connection, topic);
    connection.sendMessage({ type: 'presence_unwatched', id, topic });
  }

  #internalError(connection: Connection, operation: string, cause: unknown, id: number | undefined): void {
    if (isHeraldError(cause, ErrorCode.ENGINE_UNAVAILABLE)) {
      // Redis is unreachable: nothing was done; the client may retry after the hint.
      const retryAfterMs = (cause as { retryAfterMs?: unknown }).retryAfterMs;
      return connection.sendError(cause.code, cause.message, id, typeof retryAfterMs === 'number' ? retryAfterMs : undefined);
    }
    const error = new HeraldError(ErrorCode.INTERNAL_ERROR, `the router's engine failed to ${operation}`, { cause, retryable: true });
    this.logger.log('error', `engine ${operation} failed`, { id: connection.id, error: String(cause) });
    this.events.error(error, connection.state === 'open' ? connection.snapshot() : undefined);
    connection.sendError(error.code, error.message, id);
  }

  #engineCall(promise: Promise<unknown>, operation: string): Promise<void> {
    return promise.then(
      () => undefined,
      (cause: unknown) => this.logger.log('error', `engine ${operation} failed`, { error: String(cause) }),
    );
  }

  // ---- in-process subscribers ----

  subscribeLocal(pattern: string, handler: LocalHandler): Promise<string> {
    return this.#local.add(pattern, handler);
  }

  unsubscribeLocal(id: string, pattern: string): Promise<void> {
    return this.#local.remove(id, pattern);
  }

  // ---- engine callbacks ----

  onPublication(publication: StampedPublication, subscribers: ReadonlySet<string>): void {
    // One frame per receiving codec, built on first use: encode once, however many subscribers.
    // The first codec's frame is held in a variable (most publishes reach one codec); a Map only
    // for the others.
    let firstCodec: Codec | undefined;
    let firstFrame: SharedFrame | null = null;
    let frames: Map<string, SharedFrame | null> | undefined;
    let local: string[] | undefined;
    for (const id of subscribers) {
      const connection = this.connections.get(id);
      if (connection === undefined) {
        (local ??= []).push(id);
        continue;
      }
      if (connection.state !== 'open') continue;
      const { codec } = connection;
      let frame: SharedFrame | null | undefined;
      if (codec === firstCodec) frame = firstFrame;
      else if (firstCodec === undefined) frame = firstFrame = this.#messageFrame(publication, (firstCodec = codec));
      else {
        frame = (frames ??= new Map()).get(codec.name);
        if (frame === undefined) frames.set(codec.name, (frame = this.#messageFrame(publication, codec)));
      }
      if (frame === null) continue;
      connection.sendShared(frame);
      this.counters.deliveries++;
    }
    if (local !== undefined) this.counters.deliveries += this.#local.deliver(publication, local);
  }

  onRouted(from: string, message: RoutedMessage): void {
    this.requests.routed(from, message);
  }

  onNodeLost(node: string): void {
    this.requests.nodeLost(node);
  }

  onDisconnectUser(user: string, reason: string): void {
    this.access.disconnectUser(this.connections.values(), user, reason);
  }

  onPresence(event: PresenceEvent): void {
    this.#watchers.publish(event);
  }

  onGap(topic: string, subscribers: ReadonlySet<string>): void {
    for (const id of subscribers) {
      const connection = this.connections.get(id);
      if (connection === undefined) {
        this.logger.log('warn', 'an in-process subscriber missed messages the engine lost', { topic, id });
        continue;
      }
      connection.close(CloseCode.RESYNC, 'RESYNC', `messages of ${topic} were lost by the engine: reconnect and recover`);
    }
  }

  /** The delivery frame for one codec, or null when the payload cannot be transcoded to it. */
  #messageFrame(publication: StampedPublication, codec: Codec): SharedFrame | null {
    try {
      const frame = shareFrame(this.frames.message(publication, codec));
      this.counters.framesEncoded++;
      return frame;
    } catch (error) {
      this.logger.log('warn', 'dropped a publication that cannot be transcoded', {
        topic: publication.topic,
        from: publication.codec,
        to: codec.name,
        error: String(error),
      });
      return null;
    }
  }

}

/** The Unicode code points of `text` (what a name's length limit counts). */
function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Each socket carries its connection under this key, for the shared listeners: a property costs the
 * garbage collector less than a WeakMap entry (an ephemeron) per connection.
 */
const CONNECTION = Symbol('herald.connection');
type SocketWithConnection = WebSocket & { [CONNECTION]?: Connection };

/** Largest frame accepted before the welcome (a hello with a long name and the largest info fits). */
export const MAX_HELLO_FRAME = 16 * 1024;

/**
 * Sets the largest frame the socket's receiver takes: before the welcome a socket may not make the
 * router buffer a 1 MiB frame. ws keeps its receiver and limit in private fields; without them (another
 * WebSocket implementation) the check in #onFrame still closes the connection after the frame.
 */
function allowFrames(socket: WebSocket, maxPayload: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver != null && typeof receiver._maxPayload === 'number') receiver._maxPayload = maxPayload;
}

/** Refusals of a request that are the caller's fault: they count towards `maxProtocolErrors`. */
const PROTOCOL_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.METHOD_INVALID,
  ErrorCode.PAYLOAD_INVALID,
  ErrorCode.PROTOCOL_INVALID_MESSAGE,
]);

