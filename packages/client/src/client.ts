import {
  type Codec,
  CloseCode,
  ConnectionError,
  type Covered,
  type DefaultSchema,
  Emitter,
  ErrorCode,
  HeraldError,
  type HeraldSchema,
  type KnownMethod,
  type MemberWire,
  type MessageMsg,
  type ParamsOf,
  type PeerRef,
  ProtocolError,
  type PublishData,
  RemoteError,
  type ResultOf,
  type ServerMessage,
  type SubscribeData,
  SubscriptionError,
  TimeoutError,
  assertNever,
  decodeServerFrame,
  encodeFrame,
  isRetryableClose,
  matchPattern,
  methodProblem,
  patternProblem,
  subprotocolFor,
  superjsonCodec,
  topicProblem,
} from '@herald/protocol';
import { type HandlerRegistration, Provider, type RequestHandler } from './handlers.js';
import { type Member, Presence, type PresenceSink } from './presence.js';
import { OPEN, type HandshakeRefusal, type SocketCloseEvent, type SocketLike, type WebSocketConstructor, defaultWebSocket, onHandshakeRefusal } from './socket.js';
import { type ClientState, type StateChange, type StateChangeReason, checkTransition } from './state.js';
import {
  type MessageHandler,
  type MessageMeta,
  type SubscribeOptions,
  Subscription,
  type SubscriptionSink,
} from './subscription.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** How others see this client in presence and as a publisher. Default: the id the router assigns. */
  name?: string;
  /** Anything the codec can carry (at most 4 KiB encoded by default): shown to presence watchers. */
  info?: unknown;
  /** The payload codec, negotiated as subprotocol `herald.v1.<name>`. Default: superjson. */
  codec?: Codec;
  /** How long to wait for the router's welcome before failing with `CONNECT_TIMEOUT`. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** A WebSocket implementation. Default: the browser's `WebSocket`, or `ws` in Node. */
  WebSocket?: WebSocketConstructor;
}

/** Events of a client. */
export interface ClientEvents {
  /** The connection state changed. */
  statechange: (change: StateChange) => void;
  /**
   * Something went wrong outside any call: a payload that cannot be decoded (`PAYLOAD_INVALID`), a
   * handler that threw (`SUBSCRIBER_ERROR`), a router error without a request id.
   */
  error: (error: HeraldError) => void;
}

/** Options of `client.request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply before failing with `TIMEOUT`. Default 10,000. */
  timeout?: number;
  /** Cancels the request: it rejects with `REQUEST_CANCELLED` and the provider's signal aborts. */
  signal?: AbortSignal;
}

/** A method and the providers that serve it, from `client.methods()`. */
export interface MethodInfo {
  method: string;
  providers: PeerRef[];
}

/** The router's acknowledgement of a publish: where the message sits in its topic. */
export interface PublishAck {
  topic: string;
  epoch: string;
  offset: number;
}

interface Pending {
  /** Runs synchronously when the reply frame is handled, before frames after it. */
  resolve: (message: ServerMessage) => void;
  reject: (error: HeraldError) => void;
  /** Which error class the router's refusal becomes. */
  kind: 'publish' | 'subscription' | 'request' | 'other';
}

interface SubscriptionEntry {
  sinks: Map<Subscription<unknown>, SubscriptionSink>;
  ready: Promise<void>;
}

interface PresenceEntry {
  views: Map<Presence, PresenceSink>;
  members: Map<string, Member>;
  ready: Promise<void>;
}

type Outgoing =
  | { type: 'subscribe'; pattern: string }
  | { type: 'unsubscribe'; pattern: string }
  | { type: 'presence_watch'; topic: string }
  | { type: 'presence_unwatch'; topic: string }
  | { type: 'handle'; method: string }
  | { type: 'unhandle'; method: string }
  | { type: 'list_methods' }
  | { type: 'ping' };

/**
 * Connects to a router and resolves once the router has welcomed the client.
 * Rejects with a `ConnectionError`: `CONNECTION_FAILED` (unreachable, handshake refused),
 * `CONNECT_TIMEOUT`, `ROUTER_FULL`, `CODEC_UNSUPPORTED`, `HELLO_INVALID` or `CONNECTION_REFUSED`.
 *
 * @example
 * const client = await connect('ws://127.0.0.1:8080/', { name: 'Kirk', info: { role: 'dashboard' } });
 * await client.subscribe('sensors.>', (reading, meta) => console.log(meta.topic, reading));
 * await client.publish('sensors.kitchen.temp', { at: new Date(), celsius: 21.5 });
 */
export async function connect<S extends HeraldSchema = DefaultSchema>(url: string, options: ConnectOptions = {}): Promise<Client<S>> {
  const client = new Client<S>(url, options);
  await client.opened;
  return client;
}

/** A connection to a Herald router. Create one with {@link connect}. */
export class Client<S extends HeraldSchema = DefaultSchema> extends Emitter<ClientEvents> {
  /** @internal Settles when the router welcomed the client, or the attempt failed. */
  readonly opened: Promise<void>;
  readonly #url: string;
  readonly #codec: Codec;
  readonly #socket: SocketLike;
  readonly #socketClosed: Promise<void>;
  #state: ClientState = 'connecting';
  #id = '';
  #name = '';
  #router: PeerRef = { id: '', name: '' };
  #maxPayload = Number.POSITIVE_INFINITY;
  #errorStacks = false;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subscriptions = new Map<string, SubscriptionEntry>();
  readonly #presences = new Map<string, PresenceEntry>();
  #welcome: { resolve: () => void; reject: (error: HeraldError) => void } | undefined;
  readonly #provider: Provider;

  /** @internal Use {@link connect}. */
  constructor(url: string, options: ConnectOptions) {
    super();
    this.#url = url;
    this.#codec = options.codec ?? superjsonCodec;
    this.#provider = new Provider({
      codec: this.#codec,
      send: (frame) => {
        if (this.#socket.readyState === OPEN) this.#socket.send(frame);
      },
      maxPayload: () => this.#maxPayload,
      errorStacks: () => this.#errorStacks,
      report: (error) => this.#report(error),
    });
    const protocol = subprotocolFor(this.#codec);
    const hello = encodeFrame(
      options.info === undefined
        ? { type: 'hello', ...(options.name === undefined ? {} : { name: options.name }) }
        : { type: 'hello', ...(options.name === undefined ? {} : { name: options.name }), info: this.#codec.encode(options.info) },
    ) as string;
    const WebSocketImpl = options.WebSocket ?? defaultWebSocket;
    this.#socket = new WebSocketImpl(url, protocol);
    let refusal: HandshakeRefusal | undefined;
    let failure: string | undefined;
    onHandshakeRefusal(this.#socket, (r) => (refusal = r));
    this.#socketClosed = new Promise((resolve) => {
      this.#socket.onclose = (event) => {
        resolve();
        this.#onSocketClose(event, refusal, failure);
      };
    });
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#failConnect(new ConnectionError(ErrorCode.CONNECT_TIMEOUT, `no welcome from ${url} within ${options.connectTimeoutMs ?? 10_000} ms`, { retryable: true }));
      }, options.connectTimeoutMs ?? 10_000);
      this.#welcome = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
    });
    this.#socket.onopen = () => {
      if (this.#socket.protocol !== protocol) {
        this.#failConnect(new ConnectionError(ErrorCode.CODEC_UNSUPPORTED, `the router at ${url} did not accept subprotocol ${protocol}`));
        return;
      }
      this.#socket.send(hello);
    };
    this.#socket.onerror = (event) => {
      failure = describeSocketError(event);
    };
    this.#socket.onmessage = (event) => this.#onFrame(event.data);
  }

  /** The id the router gave this connection. */
  get id(): string {
    return this.#id;
  }

  /** This client's name, as others see it. */
  get name(): string {
    return this.#name;
  }

  /** The router this client is connected to: the publisher of `router.publish` messages. */
  get router(): PeerRef {
    return this.#router;
  }

  /** `connecting`, `open` or `closed`. Every change is a `statechange` event. */
  get state(): ClientState {
    return this.#state;
  }

  /** The URL this client connects to. */
  get url(): string {
    return this.#url;
  }

  /**
   * Subscribes to a topic or pattern (`*` one segment, `>` one or more trailing segments).
   * Resolves when the router confirmed: every message published after that arrives, in order per
   * publisher and topic. Rejects with a SubscriptionError `PATTERN_INVALID`, or `CONNECTION_CLOSED`.
   */
  subscribe<P extends string>(
    pattern: P & Covered<S, P>,
    handler?: MessageHandler<SubscribeData<S, P>>,
    options?: SubscribeOptions,
  ): Promise<Subscription<SubscribeData<S, P>>>;
  subscribe<P extends string>(pattern: P & Covered<S, P>, options?: SubscribeOptions): Promise<Subscription<SubscribeData<S, P>>>;
  async subscribe(
    pattern: string,
    handlerOrOptions?: MessageHandler<never> | SubscribeOptions,
    maybeOptions?: SubscribeOptions,
    // The overloads above carry the types; `any` is only this hidden implementation signature.
    // biome-ignore lint/suspicious/noExplicitAny: see above
  ): Promise<Subscription<any>> {
    const problem = patternProblem(pattern);
    if (problem !== undefined) throw new SubscriptionError(ErrorCode.PATTERN_INVALID, problem);
    this.#assertOpen();
    const handler = typeof handlerOrOptions === 'function' ? (handlerOrOptions as MessageHandler<unknown>) : undefined;
    const options = (typeof handlerOrOptions === 'object' ? handlerOrOptions : maybeOptions) ?? {};
    const subscription = new Subscription<unknown>(pattern, handler, options, (s) => this.#release(s), this.#report);
    const sink = subscription.sink();
    let entry = this.#subscriptions.get(pattern);
    if (entry === undefined) {
      entry = { sinks: new Map(), ready: this.#request({ type: 'subscribe', pattern }, 'subscription').then(() => undefined) };
      this.#subscriptions.set(pattern, entry);
    }
    entry.sinks.set(subscription, sink);
    try {
      await entry.ready;
    } catch (error) {
      entry.sinks.delete(subscription);
      if (entry.sinks.size === 0 && this.#subscriptions.get(pattern) === entry) this.#subscriptions.delete(pattern);
      sink.end();
      throw error;
    }
    sink.confirm();
    return subscription;
  }

  /**
   * Publishes a message. Resolves when the router accepted it, with its place in the topic.
   * Rejects with a ProtocolError `TOPIC_INVALID`, `PAYLOAD_UNENCODABLE`, `PAYLOAD_TOO_LARGE` or
   * `PAYLOAD_INVALID`, or a ConnectionError `CONNECTION_CLOSED`.
   */
  async publish<T extends string>(topic: T & Covered<S, T>, data: PublishData<S, T>): Promise<PublishAck> {
    const problem = topicProblem(topic);
    if (problem !== undefined) throw new ProtocolError(ErrorCode.TOPIC_INVALID, problem);
    this.#assertOpen();
    const payload = this.#codec.encode(data);
    const id = this.#nextId++;
    const frame = encodeFrame({ type: 'publish', id, topic, payload }) as string;
    this.#checkSize(frame);
    const ack = await this.#send(id, frame, 'publish');
    return ack.type === 'publish_ack' ? { topic: ack.topic, epoch: ack.epoch, offset: ack.offset } : unexpected(ack);
  }

  /**
   * Watches a topic's presence: who is subscribed to exactly that topic or pattern. Resolves with a
   * live view once the router sent the current members. Rejects like `subscribe`.
   */
  async presence(topic: string): Promise<Presence> {
    const problem = patternProblem(topic);
    if (problem !== undefined) throw new SubscriptionError(ErrorCode.PATTERN_INVALID, problem);
    this.#assertOpen();
    const view = new Presence(topic, (v) => this.#unwatch(v), this.#report);
    const sink = view.sink();
    let entry = this.#presences.get(topic);
    if (entry === undefined) {
      const created: PresenceEntry = { views: new Map(), members: new Map(), ready: Promise.resolve() };
      // The snapshot is applied as its frame is handled, so a join or leave in the frames right
      // after it finds it in place.
      created.ready = this.#request({ type: 'presence_watch', topic }, 'subscription', (state) => {
        if (state.type !== 'presence_state') return;
        for (const wire of state.members) created.members.set(wire.id, this.#member(wire));
      }).then(() => undefined);
      this.#presences.set(topic, (entry = created));
    }
    entry.views.set(view, sink);
    try {
      await entry.ready;
    } catch (error) {
      entry.views.delete(view);
      if (entry.views.size === 0 && this.#presences.get(topic) === entry) this.#presences.delete(topic);
      sink.end();
      throw error;
    }
    sink.reset([...entry.members.values()]);
    return view;
  }

  /**
   * Provides `method`: requests for it from any caller are routed here (spread across every
   * provider of the method). The handler gets the params and a context with the caller and an
   * AbortSignal; its return value (or Promise) is the result; what it throws becomes the caller's
   * `RemoteError` (an UPPER_SNAKE `code` and a `data` property on the thrown error travel too).
   * Resolves once the router registered it. Rejects with `METHOD_INVALID` or `HANDLER_EXISTS`.
   */
  async handle<M extends string>(
    method: M & KnownMethod<S, M>,
    handler: RequestHandler<ParamsOf<S, M>, ResultOf<S, M>>,
  ): Promise<HandlerRegistration> {
    const problem = methodProblem(method);
    if (problem !== undefined) throw new HeraldError(ErrorCode.METHOD_INVALID, problem);
    if (this.#provider.has(method)) throw new HeraldError(ErrorCode.HANDLER_EXISTS, `this client already handles "${method}"`);
    this.#assertOpen();
    this.#provider.set(method, handler as RequestHandler);
    try {
      await this.#request({ type: 'handle', method }, 'other');
    } catch (error) {
      this.#provider.delete(method);
      throw error;
    }
    let registered = true;
    const unregister = async (): Promise<void> => {
      if (!registered) return;
      registered = false;
      this.#provider.delete(method);
      if (this.#state === 'open') await this.#request({ type: 'unhandle', method }, 'other').catch(ignoreClosed);
    };
    return { method, unregister, [Symbol.asyncDispose]: unregister };
  }

  /**
   * Asks a provider of `method` (another client, or the router) and resolves with its result; params
   * and result keep their types through the codec. Rejects with `NO_HANDLER` at once when nobody
   * provides it, a TimeoutError `TIMEOUT`, `HANDLER_GONE` when the provider drops mid-request,
   * `REQUEST_CANCELLED` when `signal` fires, or the handler's `RemoteError`.
   */
  async request<M extends string>(
    method: M & KnownMethod<S, M>,
    params: ParamsOf<S, M>,
    options: RequestOptions = {},
  ): Promise<ResultOf<S, M>> {
    const problem = methodProblem(method);
    if (problem !== undefined) throw new HeraldError(ErrorCode.METHOD_INVALID, problem);
    const { signal } = options;
    if (signal?.aborted) throw new HeraldError(ErrorCode.REQUEST_CANCELLED, `the request for "${method}" was cancelled`, { cause: signal.reason });
    this.#assertOpen();
    const timeout = options.timeout ?? 10_000;
    const id = this.#nextId++;
    const frame = encodeFrame({ type: 'request', id, method, timeout, payload: this.#codec.encode(params) }) as string;
    this.#checkSize(frame);
    const reply = await new Promise<ServerMessage>((resolve, reject) => {
      const giveUp = (error: HeraldError): void => {
        if (!this.#pending.delete(id)) return;
        cleanup();
        if (this.#socket.readyState === OPEN) this.#socket.send(encodeFrame({ type: 'cancel', id }) as string);
        reject(error);
      };
      const timer = setTimeout(() => giveUp(new TimeoutError(ErrorCode.TIMEOUT, `no reply to "${method}" within ${timeout} ms`, { retryable: true })), timeout);
      const onAbort = (): void =>
        giveUp(new HeraldError(ErrorCode.REQUEST_CANCELLED, `the request for "${method}" was cancelled`, { cause: signal?.reason }));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        kind: 'request',
        resolve: (message) => (cleanup(), resolve(message)),
        reject: (error) => (cleanup(), reject(error)),
      });
      this.#socket.send(frame);
    });
    if (reply.type === 'response_error') {
      let data: unknown;
      if (reply.data !== undefined) {
        const decoded = this.#codec.decode(reply.data);
        data = decoded.ok ? decoded.value : undefined;
      }
      throw new RemoteError(reply.code, reply.message, { data, ...(reply.stack !== undefined && { remoteStack: reply.stack }) });
    }
    if (reply.type !== 'response') return unexpected(reply);
    const result = this.#codec.decode(reply.payload as string);
    if (!result.ok) throw result.error;
    return result.value as ResultOf<S, M>;
  }

  /** The methods provided through the router and by whom. */
  async methods(): Promise<MethodInfo[]> {
    const reply = await this.#request({ type: 'list_methods' }, 'other');
    return reply.type === 'methods' ? reply.methods : unexpected(reply);
  }

  /** Round trip to the router; resolves with the time it took, in milliseconds. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.#request({ type: 'ping' }, 'other');
    return Date.now() - started;
  }

  /**
   * Closes the connection (code 1000). Pending calls reject with `CONNECTION_CLOSED`, iterators
   * finish, presence views end. Resolves once the socket is closed.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return this.#socketClosed;
    if (this.#state === 'connecting') {
      this.#failConnect(new ConnectionError(ErrorCode.CONNECTION_CLOSED, 'the client was closed while connecting'), 'client_closed');
    } else {
      this.#transition('closed', 'client_closed');
      this.#teardown(new ConnectionError(ErrorCode.CONNECTION_CLOSED, 'the client was closed'), undefined);
      this.#socket.close(CloseCode.NORMAL, 'client closed');
    }
    return this.#socketClosed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  protected override listenerFailed(_event: keyof ClientEvents, error: unknown): void {
    if (_event === 'error') super.listenerFailed(_event, error);
    else this.#report(new HeraldError(ErrorCode.SUBSCRIBER_ERROR, `a "${String(_event)}" listener threw`, { cause: error }));
  }

  /** A frame over maxPayload would cost the connection (close 1009): refuse it here instead. */
  #checkSize(frame: string): void {
    if (frame.length * 3 > this.#maxPayload && utf8Length(frame) > this.#maxPayload) {
      throw new ProtocolError(ErrorCode.PAYLOAD_TOO_LARGE, `the message is ${utf8Length(frame)} bytes; the router accepts at most ${this.#maxPayload}`);
    }
  }

  // ---- frames from the router ----

  #onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      this.#report(new ProtocolError(ErrorCode.PROTOCOL_INVALID_FRAME, 'the router sent a binary frame'));
      return;
    }
    const decoded = decodeServerFrame(data);
    if (!decoded.ok) {
      this.#report(decoded.error);
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'welcome':
        this.#onWelcome(message);
        return;
      case 'message':
        this.#onMessage(message);
        return;
      case 'presence_join':
      case 'presence_leave':
        this.#onPresenceEvent(message);
        return;
      case 'subscribed':
      case 'unsubscribed':
      case 'publish_ack':
      case 'presence_state':
      case 'presence_unwatched':
      case 'pong':
      case 'handled':
      case 'unhandled':
      case 'methods':
      case 'response':
      case 'response_error':
        this.#settle(message.id, message);
        return;
      case 'request':
        this.#provider.onRequest(message);
        return;
      case 'cancel':
        this.#provider.onCancel(message.id, message.reason);
        return;
      case 'error':
        this.#onError(message);
        return;
      default:
        assertNever(message);
    }
  }

  #onWelcome(message: Extract<ServerMessage, { type: 'welcome' }>): void {
    if (this.#state !== 'connecting') return;
    this.#id = message.id;
    this.#name = message.name;
    this.#router = message.router;
    this.#maxPayload = message.maxPayload;
    this.#errorStacks = message.errorStacks === true;
    this.#transition('open', 'welcomed');
    this.#welcome?.resolve();
  }

  #onMessage(message: MessageMsg): void {
    let targets: SubscriptionSink[] | undefined;
    for (const [pattern, entry] of this.#subscriptions) {
      if (!matchPattern(pattern, message.topic)) continue;
      for (const sink of entry.sinks.values()) (targets ??= []).push(sink);
    }
    if (targets === undefined) return;
    const decoded = this.#codec.decode(message.payload as string);
    if (!decoded.ok) {
      this.#report(new ProtocolError(decoded.error.code, `dropped a message on "${message.topic}": ${decoded.error.message}`));
      return;
    }
    const meta: MessageMeta = {
      topic: message.topic,
      publisher: message.from,
      epoch: message.epoch,
      offset: message.offset,
      publishedAt: new Date(message.at),
    };
    for (const sink of targets) sink.deliver(decoded.value, meta);
  }

  #onPresenceEvent(message: Extract<ServerMessage, { type: 'presence_join' | 'presence_leave' }>): void {
    const entry = this.#presences.get(message.topic);
    if (entry === undefined) return;
    if (message.type === 'presence_join') {
      if (entry.members.has(message.member.id)) return;
      const member = this.#member(message.member);
      entry.members.set(member.id, member);
      for (const sink of entry.views.values()) sink.join(member);
    } else {
      const member = entry.members.get(message.member.id);
      if (member === undefined) return;
      entry.members.delete(member.id);
      for (const sink of entry.views.values()) sink.leave(member, message.reason);
    }
  }

  #onError(message: Extract<ServerMessage, { type: 'error' }>): void {
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (pending === undefined) {
      this.#report(new HeraldError(message.code, `the router reported: ${message.message}`));
      return;
    }
    this.#pending.delete(message.id!);
    pending.reject(refusal(pending.kind, message.code, message.message));
  }

  #settle(id: number, message: ServerMessage): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // unknown ids are ignored, not fatal
    this.#pending.delete(id);
    pending.resolve(message);
  }

  // ---- requests ----

  #request(message: Outgoing, kind: Pending['kind'], onReply?: (reply: ServerMessage) => void): Promise<ServerMessage> {
    this.#assertOpen();
    const id = this.#nextId++;
    return this.#send(id, encodeFrame({ ...message, id }) as string, kind, onReply);
  }

  #send(id: number, frame: string, kind: Pending['kind'], onReply?: (reply: ServerMessage) => void): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const settle = onReply === undefined ? resolve : (reply: ServerMessage) => (onReply(reply), resolve(reply));
      this.#pending.set(id, { resolve: settle, reject, kind });
      this.#socket.send(frame);
    });
  }

  async #release(subscription: Subscription<unknown>): Promise<void> {
    const entry = this.#subscriptions.get(subscription.pattern);
    if (entry === undefined || !entry.sinks.delete(subscription) || entry.sinks.size > 0) return;
    this.#subscriptions.delete(subscription.pattern);
    if (this.#state !== 'open') return;
    await entry.ready.catch(() => undefined);
    if (this.#subscriptions.has(subscription.pattern) || this.#state !== 'open') return;
    await this.#request({ type: 'unsubscribe', pattern: subscription.pattern }, 'subscription').catch(ignoreClosed);
  }

  async #unwatch(view: Presence): Promise<void> {
    const entry = this.#presences.get(view.topic);
    if (entry === undefined || !entry.views.delete(view) || entry.views.size > 0) return;
    this.#presences.delete(view.topic);
    if (this.#state !== 'open') return;
    await entry.ready.catch(() => undefined);
    if (this.#presences.has(view.topic) || this.#state !== 'open') return;
    await this.#request({ type: 'presence_unwatch', topic: view.topic }, 'subscription').catch(ignoreClosed);
  }

  #member(wire: MemberWire): Member {
    let info: unknown;
    if (wire.info !== undefined) {
      const decoded = this.#codec.decode(wire.info);
      if (decoded.ok) info = decoded.value;
      else this.#report(decoded.error);
    }
    return { id: wire.id, name: wire.name, info, connectedAt: new Date(wire.connectedAt) };
  }

  // ---- lifecycle ----

  #assertOpen(): void {
    if (this.#state !== 'open' || this.#socket.readyState !== OPEN) {
      throw new ConnectionError(ErrorCode.CONNECTION_CLOSED, `the client is ${this.#state}`);
    }
  }

  #transition(to: ClientState, reason: StateChangeReason, code?: number): void {
    const from = this.#state;
    checkTransition(from, to);
    this.#state = to;
    this.emit('statechange', code === undefined ? { from, to, reason } : { from, to, reason, code });
  }

  #failConnect(error: HeraldError, reason: StateChangeReason = 'connect_failed'): void {
    if (this.#state !== 'connecting') return;
    this.#transition('closed', reason);
    this.#welcome?.reject(error);
    this.#socket.close();
  }

  #onSocketClose(event: SocketCloseEvent, refusal: HandshakeRefusal | undefined, failure: string | undefined): void {
    if (this.#state === 'connecting') {
      this.#failConnect(connectError(this.#url, event, refusal, failure));
      return;
    }
    if (this.#state !== 'open') return;
    const lost = event.code === CloseCode.ABNORMAL;
    this.#transition('closed', lost ? 'connection_lost' : 'router_closed', event.code);
    const error = new ConnectionError(
      ErrorCode.CONNECTION_CLOSED,
      lost ? 'the connection to the router was lost' : `the router closed the connection (${event.code} ${event.reason})`,
      { closeCode: event.code, closeReason: event.reason, retryable: isRetryableClose(event.code) },
    );
    this.#teardown(error, error);
  }

  /** Rejects pending calls with `pendingError`; ends subscriptions (iterators throw `endError`) and views. */
  #teardown(pendingError: HeraldError, endError: HeraldError | undefined): void {
    for (const pending of this.#pending.values()) pending.reject(pendingError);
    this.#pending.clear();
    this.#provider.abortAll();
    for (const entry of this.#subscriptions.values()) for (const sink of entry.sinks.values()) sink.end(endError);
    this.#subscriptions.clear();
    for (const entry of this.#presences.values()) for (const sink of entry.views.values()) sink.end();
    this.#presences.clear();
  }

  #report = (error: unknown): void => {
    const herald = error instanceof HeraldError ? error : new HeraldError(ErrorCode.SUBSCRIBER_ERROR, String(error), { cause: error });
    if (this.listenerCount('error') === 0) console.error('herald client:', herald);
    else this.emit('error', herald);
  };
}

/** The error `connect()` rejects with when the socket closed before the welcome. */
function connectError(url: string, event: SocketCloseEvent, refusal: HandshakeRefusal | undefined, failure: string | undefined): ConnectionError {
  if (refusal !== undefined) {
    return new ConnectionError(refusal.code ?? ErrorCode.CONNECTION_FAILED, `the router at ${url} refused the handshake (HTTP ${refusal.status}${refusal.code === undefined ? '' : `, ${refusal.code}`})`);
  }
  if (event.code === CloseCode.ABNORMAL) {
    return new ConnectionError(ErrorCode.CONNECTION_FAILED, `could not connect to ${url}${failure === undefined ? '' : `: ${failure}`}`, { retryable: true });
  }
  const prefixed = /^([A-Z][A-Z_]*): /.exec(event.reason)?.[1];
  const code = prefixed ?? (event.code === CloseCode.TRY_AGAIN_LATER ? ErrorCode.ROUTER_FULL : ErrorCode.CONNECTION_REFUSED);
  return new ConnectionError(code, `the router at ${url} closed the connection: ${event.code} ${event.reason}`, {
    closeCode: event.code,
    closeReason: event.reason,
    retryable: isRetryableClose(event.code),
  });
}

function describeSocketError(event: unknown): string | undefined {
  const detail = (event as { error?: unknown; message?: unknown } | null) ?? {};
  if (detail.error instanceof Error) return detail.error.message;
  return typeof detail.message === 'string' && detail.message !== '' ? detail.message : undefined;
}

const RETRYABLE: ReadonlySet<string> = new Set([ErrorCode.INTERNAL_ERROR, ErrorCode.HANDLER_GONE, ErrorCode.REQUEST_LIMIT]);

/** The error a router's refusal becomes, by what was refused. */
function refusal(kind: Pending['kind'], code: string, message: string): HeraldError {
  const options = { retryable: RETRYABLE.has(code) };
  if (code === ErrorCode.TIMEOUT) return new TimeoutError(code, message, { retryable: true });
  if (kind === 'subscription') return new SubscriptionError(code, message, options);
  if (kind === 'publish' && !options.retryable) return new ProtocolError(code, message);
  return new HeraldError(code, message, options);
}

/** Undoing something on a connection that closed meanwhile is moot: the router undid it already. */
function ignoreClosed(error: unknown): void {
  if (!(error instanceof ConnectionError && error.code === ErrorCode.CONNECTION_CLOSED)) throw error;
}

function unexpected(message: ServerMessage): never {
  throw new ProtocolError(ErrorCode.PROTOCOL_INVALID_MESSAGE, `unexpected reply "${message.type}"`);
}

/** The UTF-8 length of a string, without encoding it. */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) length += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return length;
}
