/**
 * The router's core: accepts sockets, keeps their lifecycle (slow consumers, close and the engine
 * cleanup, drain), and as the engine's listener fans publications and presence events out to
 * connections and in-process subscribers. Frames from clients go to frame-dispatch.ts (which hands
 * each message type to its module), hellos to hello-handshake.ts. The `Router` class is its
 * public face; it owns the HTTP side (upgrade-handler.ts).
 */
import {
  type Codec,
  CloseCode,
  type Contract,
  ErrorCode,
  type HeraldError,
  type HelloMsg,
  type PeerRef,
  type ProtocolError,
  type Result,
  clampCloseReason,
  subprotocolFor,
} from '@herald/protocol';
import type { RawData, default as WebSocket } from 'ws';
import { Access, type AccessOptions } from './access.js';
import type { UpgradeInfo } from './authentication.js';
import { engineCall } from './client-errors.js';
import { type ClientInfo, Connection, wireOf } from './connection.js';
import { ContractGate } from './contract-gate.js';
import type { Engine, EngineListener, PresenceEvent, RoutedMessage, StampedPublication } from './engine.js';
export type { LocalHandler, MessageMeta } from './local-subscribers.js';
import { onFrame } from './frame-dispatch.js';
import { Frames } from './frames.js';
import { type SharedFrame, shareFrame } from './frame-once.js';
import { ConnectionMap, startHeartbeat } from './heartbeat.js';
import { Handshake, MAX_HELLO_FRAME, allowFrames } from './hello-handshake.js';
import { type LocalHandler, LocalSubscribers } from './local-subscribers.js';
import { type PresenceViewStats, PresenceWatchers } from './presence-watchers.js';
import { randomId } from './ids.js';
import { AddressLimits } from './address-limits.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { Logger } from './logger.js';
import type { RateLimit } from './rate-limit.js';
import type { TopicStats } from './topic-budget.js';
import type { RouterObserver } from './observer.js';
import { type RequestWork, Requests } from './requests.js';
import { ResumeTokens } from './resume.js';
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
  /** The presence views the watches share: one per watched topic and grouping, however many watch it. */
  presenceViews: PresenceViewStats;
  /** Bytes received from clients on the wire, handshakes and WebSocket framing included. */
  bytesIn: number;
  /** Bytes sent to clients on the wire, handshakes and WebSocket framing included. */
  bytesOut: number;
  /** Work of the request layer, counted: what disconnects visited, how often the method list was built. */
  requestWork: RequestWork;
}

export class Hub implements EngineListener {
  readonly connections = new ConnectionMap();
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
  /** Every connection's presence watches (subscribe-path.ts starts them). */
  readonly watchers: PresenceWatchers;
  /** From hello to welcome (hello-handshake.ts). */
  readonly handshake: Handshake;
  readonly #addresses: AddressLimits;
  #onEmpty: (() => void) | undefined;
  readonly #cleanups = new Set<Promise<void>>();
  /** Resolves once a closed connection's engine cleanup is done (for a session taken over; hello-handshake.ts). */
  readonly #cleanupOf = new WeakMap<Connection, Promise<void>>();
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
    const resume = new ResumeTokens(options.resumeSecret);
    const welcomes = new WelcomeFrames({
      router: peer,
      maxPayload: options.maxPayload,
      heartbeatMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      errorStacks: options.exposeErrorStacks,
    });
    this.contracts = new ContractGate(options.contract);
    this.access = new Access(options.access, logger);
    this.watchers = new PresenceWatchers(this.frames, this.options.presenceCountIntervalMs, (topic) => engine.members(topic), logger, () => engine.available !== false);
    this.#addresses = new AddressLimits(options);
    this.#local = new LocalSubscribers(engine, this.frames, logger, (error) => this.events.error(error));
    this.requests = new Requests(peer, options, logger, () => this.observer, (connection, codec) =>
      connection.info === undefined ? undefined : this.frames.transcode(connection.info.text, connection.info.codec, codec),
    );
    if (options.contract !== undefined) this.requests.checkResult = (method, value) => this.contracts.result(method, value);
    if (engine.route !== undefined) {
      this.requests.cluster = { engine, codec: (name) => (name === '' ? codecs[0] : codecs.find((c) => c.name === name)) };
    }
    this.handshake = new Handshake(this, resume, welcomes, this.#addresses, this.#cleanupOf);
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
    if (codec === undefined) {
      const supported = this.codecs.map(subprotocolFor).join(' or ');
      return this.#refuse(socket, address, CloseCode.CODEC_UNSUPPORTED, clampCloseReason(`${ErrorCode.CODEC_UNSUPPORTED}: offer subprotocol ${supported}`));
    }
    if (this.closing) return this.#refuse(socket, address, CloseCode.GOING_AWAY, 'GOING_AWAY: the router is shutting down');
    if (this.connections.size >= this.options.maxConnections) {
      this.logger.log('warn', 'connection refused: router full', { address, maxConnections: this.options.maxConnections });
      return this.#refuse(socket, address, CloseCode.TRY_AGAIN_LATER, `ROUTER_FULL: the router is at maxConnections (${this.options.maxConnections})`);
    }
    const limited = this.#addresses.admit(address);
    if (limited !== undefined) {
      this.logger.log('warn', 'connection refused: address limit', { address, limit: limited });
      return this.#refuse(socket, address, CloseCode.ADDRESS_LIMIT, `${ErrorCode.ADDRESS_LIMIT}: ${limited}`);
    }
    const connection = new Connection(randomId(), socket, codec, address, this.options.maxBufferedBytes, this.#slow);
    this.access.accepted(connection);
    if (this.options.access.authenticate !== undefined) connection.upgrade = upgrade;
    this.connections.set(connection.id, connection);
    (socket as SocketWithConnection)[CONNECTION] = connection;
    for (const [event, listener] of this.#socketListeners) socket.on(event, listener);
    // A pong shows in the TCP socket's bytes read (Connection.takeHeard); only a socket without one listens.
    if (wireOf(socket) === undefined) socket.on('pong', this.#onPong);
    if (hello !== undefined) this.handshake.onUpgradeHello(connection, hello);
    // Still waiting for a hello (none in the upgrade, or an `authenticate` that has not answered).
    if (connection.state !== 'hello') return;
    allowFrames(socket, MAX_HELLO_FRAME);
    if (!connection.closedByRouter) connection.helloTimer = setTimeout(this.handshake.helloTimeout, this.options.helloTimeoutMs, connection);
  }

  /** Closes a socket refused at accept (no closure per accept for the refusals). */
  #refuse(socket: WebSocket, address: string, code: number, reason: string): void {
    socket.on('error', (error) => this.logger.log('debug', 'socket error', { address, error: error.message }));
    socket.close(code, reason);
  }

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
        connection.serial(() => onFrame(hub, connection, data as Buffer, isBinary));
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
    this.watchers.removeAll(connection);
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
      await engineCall(this.logger, this.engine.unsubscribe(connection.id, pattern), 'unsubscribe');
      await engineCall(this.logger, this.engine.leave(pattern, connection.id, leave), 'presence leave');
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
    this.watchers.publish(event);
  }

  onPresenceGap(): void {
    void this.watchers.repair();
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

/**
 * Each socket carries its connection under this key, for the shared listeners: a property costs the
 * garbage collector less than a WeakMap entry (an ephemeron) per connection.
 */
const CONNECTION = Symbol('herald.connection');
type SocketWithConnection = WebSocket & { [CONNECTION]?: Connection };

