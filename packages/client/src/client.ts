import {
  type Codec,
  ConnectionError,
  type Contract,
  type Covered,
  type DefaultSchema,
  Emitter,
  HeraldError,
  type HeraldSchema,
  type KnownMethod,
  type MemberWire,
  type MessageMsg,
  type ParamsOf,
  type PeerRef,
  ProtocolError,
  type PublishData,
  type ResultOf,
  type ServerMessage,
  type SubscribeData,
  SubscriptionError,
  VERBOSE_ERRORS,
  type WelcomeMsg,
  encodeTextFrame,
  methodProblem,
  patternProblem,
  subprotocolFor,
  topicProblem,
} from '@herald/protocol';
import type { HandlerRegistration, Provider, RequestHandler } from './handlers.js';
import { Link, type LinkHandlers } from './link.js';
import { Outbox, type Reply, ignoreClosed } from './outbox.js';
import { type Presence, PresenceWatches } from './presence.js';
import type { RequestOptions } from './requests.js';
import type { ClientState, ReconnectAttempt, StateChange } from './state.js';
import { type MessageHandler, type MessageMeta, type SubscribeOptions, Subscription, control } from './subscription.js';
import { OrderedChecks } from './ordered-checks.js';
import { checkRequestOptions, checkSubscribeOptions } from './call-options.js';
import { type ConnectOptions, checkConnectOptions, RECONNECT_DEFAULTS, urlList } from './connect-options.js';
import { type ClientCore, LIB, moduleLoadFailed } from './client-core.js';
// isomorphic-ws in Node, the global WebSocket in browser builds (package.json `imports`).
import { defaultWebSocket } from '#default-websocket';
import { SubscriptionTable } from './subscription-table.js';
import type { TokenRefresh } from './token-refresh.js';

/** Events of a client. */
export interface ClientEvents {
  /** The connection state changed: `connecting`, `open`, `reconnecting`, `closed`. */
  statechange: (change: StateChange) => void;
  /** A reconnect attempt was scheduled. */
  reconnect: (attempt: ReconnectAttempt) => void;
  /**
   * Something went wrong outside any call: a payload that cannot be decoded (`PAYLOAD_INVALID`), a
   * handler that threw (`SUBSCRIBER_ERROR`), a router error without a request id.
   */
  error: (error: HeraldError) => void;
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

/**
 * The link's events for a client (link.ts): one small object whose methods call the client's
 * private ones, where a closure per event would cost every client eight functions and their context.
 * Made in Client's static block, the only place outside Client's methods that reaches its privates.
 */
let LinkEvents: new <S extends HeraldSchema>(client: Client<S>) => LinkHandlers;

/** A connection to a Herald router. Create one with `connect`. */
export class Client<S extends HeraldSchema = DefaultSchema> extends Emitter<ClientEvents> {
  /** @internal Settles when the router welcomed the client, or the first attempt failed. */
  readonly opened: Promise<void>;
  readonly #urls: readonly string[];
  readonly #codec: Codec;
  readonly #link: Link;
  /** In-band token refresh (token-refresh.ts): loaded with the first hello of a client with a token function. */
  #refresh: TokenRefresh | undefined;
  #user: string | undefined;
  readonly #outbox: Outbox;
  readonly #subscriptions = new SubscriptionTable();
  /**
   * Presence watches: made by the first `presence()` call, like every part of the client that most
   * clients never use. A client's heap is what V8's garbage collector marks (bench/README).
   */
  #presence: PresenceWatches | undefined;
  /** Pages of presence snapshots still coming, by request id. */
  #pages: Map<number, MemberWire[]> | undefined;
  #provider: Provider | undefined;
  #features: Promise<typeof import('./requests.js')> | undefined;
  /** What requests.ts and handlers.ts use of the client: made when they load. */
  #core: ClientCore | undefined;
  #id = '';
  #name = '';
  #router: PeerRef = { id: '', name: '' };
  #maxPayload = Number.POSITIVE_INFINITY;
  #errorStacks = false;
  #welcomed = false;
  /** The last welcome's resume token: the next hello sends it back to keep this client's id. */
  #resume: string | undefined;
  /** Whether the last welcome kept the previous id (the session resumed). */
  #resumed = false;
  /** How long the router remembers a publish id (`welcome.dedupeMs`); undefined: it does not. */
  #dedupeMs: number | undefined;
  /** The last publish id used: ids are unique within the session (the router scopes them by client id). */
  #pids = 0;
  #settleOpened: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  readonly #contract: Contract | undefined;
  readonly #incoming: Contract | undefined;
  /** Outgoing publishes and requests, in call order behind asynchronous contract checks. */
  readonly #sends = new OrderedChecks();
  /** Received messages, in arrival order behind asynchronous contract checks (`validateIncoming`). */
  readonly #received = new OrderedChecks();

  static {
    LinkEvents = class<S extends HeraldSchema> {
      readonly #client: Client<S>;
      constructor(client: Client<S>) {
        this.#client = client;
      }
      state(change: StateChange): void {
        this.#client.emit('statechange', change);
      }
      reconnect(attempt: ReconnectAttempt): void {
        this.#client.emit('reconnect', attempt);
      }
      welcome(message: WelcomeMsg): void {
        this.#client.#onWelcome(message);
      }
      opened(): void {
        this.#client.#onOpened();
      }
      frame(message: ServerMessage): void {
        this.#client.#onFrame(message);
      }
      down(error: ConnectionError): void {
        this.#client.#onDown(error);
      }
      closed(error: HeraldError | undefined): void {
        this.#client.#onClosed(error);
      }
      report(error: HeraldError): void {
        this.#client.#report(error);
      }
    };
  }

  /** @internal Use `connect`. */
  constructor(urls: string | readonly string[], options: ConnectOptions<HeraldSchema>, defaultCodec: Codec) {
    super();
    if (VERBOSE_ERRORS) checkConnectOptions(urls, options); // not in production pages (connect-options.ts)
    this.#urls = urlList(urls, options);
    this.#codec = options.codec ?? defaultCodec;
    this.#contract = options.contract;
    this.#incoming = options.validateIncoming === true ? options.contract : undefined;
    this.opened = new Promise((resolve, reject) => (this.#settleOpened = { resolve, reject }));
    const { reconnect } = options;
    this.#link = new Link(
      {
        urls: this.#urls,
        protocol: subprotocolFor(this.#codec),
        hello: this.#hello(options),
        helloInUpgrade: options.helloInUpgrade ?? true,
        refetchesToken: typeof options.token === 'function',
        maxAuthFailures: options.maxAuthFailures ?? 3,
        connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
        WebSocket: options.WebSocket ?? defaultWebSocket,
        reconnect: reconnect === false ? false : typeof reconnect === 'object' ? { ...RECONNECT_DEFAULTS, ...reconnect } : RECONNECT_DEFAULTS,
        random: options.random ?? Math.random,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      },
      new LinkEvents(this),
    );
    this.#outbox = new Outbox(options.maxQueued ?? 1000, this.#link);
    this.#link.start();
  }

  /**
   * The id the router gave this client. It stays the same across reconnects when the router accepts
   * the client's resume token (any router of a cluster sharing a `resumeSecret`); otherwise the
   * client gets a new one.
   */
  get id(): string {
    return this.#id;
  }

  /** This client's name, as others see it. */
  get name(): string {
    return this.#name;
  }

  /** The user the router verified (routers with `authenticate`); undefined otherwise. */
  get user(): string | undefined {
    return this.#user;
  }

  /** The router this client is connected to: the publisher of `router.publish` messages. */
  get router(): PeerRef {
    return this.#router;
  }

  /** `connecting`, `open`, `reconnecting` or `closed`. Every change is a `statechange` event. */
  get state(): ClientState {
    return this.#link.state;
  }

  /** The URL of the router this client is connected to (or last tried). */
  get url(): string {
    return this.#link.url;
  }

  /** Every router URL this client may connect to, in the order it tries them. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  /**
   * Subscribes to a topic or pattern (`*` one segment, `>` one or more trailing segments).
   * Resolves when the router confirmed: every message published after that arrives, in order per
   * publisher and topic. While reconnecting, it resolves after the reconnect. Rejects with a
   * SubscriptionError `PATTERN_INVALID` or `SUBSCRIPTION_LIMIT`, or `CONNECTION_CLOSED`; with a
   * HeraldError `OPTION_INVALID` for a `bufferSize` or `rewind` outside its range (README; checked
   * in Node and development builds, not in production pages).
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
    if (problem !== undefined) throw new SubscriptionError('PATTERN_INVALID', problem);
    this.#assertUsable();
    const handler = typeof handlerOrOptions === 'function' ? (handlerOrOptions as MessageHandler<unknown>) : undefined;
    const options = (typeof handlerOrOptions === 'object' ? handlerOrOptions : maybeOptions) ?? {};
    if (VERBOSE_ERRORS) checkSubscribeOptions(options); // not in production pages (call-options.ts)
    const subscription = new Subscription<unknown>(pattern, handler, options, (s) => this.#release(s), this.#report);
    const confirmed = control.firstConfirm(subscription);
    this.#subscriptions.add(subscription);
    if (this.state === 'open') this.#sendSubscribe(subscription);
    await confirmed;
    return subscription;
  }

  /**
   * Publishes a message. Resolves when the router accepted it, with its place in the topic. While
   * reconnecting, it waits in the offline queue and goes out, in order, after the reconnect.
   * A publish whose connection dropped before the ack is sent again, with the same publish id, once
   * the client is back on a router that resumed its session: the router acknowledges the original
   * publication instead of publishing twice (within its `dedupeMs` window; the client resends only
   * within half of it). Rejects with a ProtocolError `TOPIC_INVALID`, `PAYLOAD_UNENCODABLE`,
   * `PAYLOAD_TOO_LARGE` or `PAYLOAD_INVALID`, or a ConnectionError `OFFLINE_QUEUE_FULL` or
   * `CONNECTION_CLOSED` (also when the connection dropped before the ack and the publish cannot be
   * resent safely: the router may or may not have accepted it).
   */
  async publish<T extends string>(topic: T & Covered<S, T>, data: PublishData<S, T>): Promise<PublishAck> {
    const problem = topicProblem(topic);
    if (problem !== undefined) throw new ProtocolError('TOPIC_INVALID', problem);
    this.#assertUsable();
    const refused = this.#contract?.checkSend('topic', topic, data);
    // Sent in call order even when an asynchronous schema makes a check wait (ordered-checks.ts).
    const ack = await this.#sends.run(
      refused,
      () => {
        const payload = this.#codec.encode(data);
        // A publish id, so that the offline queue can send it again after a dropped connection and
        // the router acknowledges the original instead of publishing twice (exactly-once publish).
        const pid = (++this.#pids).toString(36);
        const build = (id: number): string => encodeTextFrame({ type: 'publish', id, topic, pid, payload });
        this.#checkSize(build(Number.MAX_SAFE_INTEGER));
        return this.#outbox.sendOrQueue(build, 'publish', true).promise;
      },
      (error) => Promise.reject(error),
    );
    return ack.type === 'publish_ack' ? { topic: ack.topic, epoch: ack.epoch, offset: ack.offset } : unexpected(ack);
  }

  /**
   * Watches a topic's presence: who is subscribed to exactly that topic or pattern. Resolves with a
   * live view once the router sent the current members. Rejects like `subscribe`. `countOnly`:
   * the router sends only the number of members (`count`; `change` events with no members), so
   * watching a big topic costs a few bytes; updates come at most once per the router's
   * `presenceCountIntervalMs`.
   */
  async presence(topic: string, options?: { countOnly?: boolean }): Promise<Presence> {
    const problem = patternProblem(topic);
    if (problem !== undefined) throw new SubscriptionError('PATTERN_INVALID', problem);
    this.#assertUsable();
    this.#presence ??= new PresenceWatches(this.#outbox, this.#codec, this.#report);
    return this.#presence.view(topic, this.state === 'open', !!options?.countOnly);
  }

  /**
   * Provides `method`: requests for it from any caller are routed here (spread across every
   * provider of the method). The handler gets the params and a context with the caller and an
   * AbortSignal; its return value (or Promise) is the result; what it throws becomes the caller's
   * `RemoteError` (an UPPER_SNAKE `code` and a `data` property on the thrown error travel too).
   * Registered again after every reconnect. Resolves once the router registered it.
   * Rejects with `METHOD_INVALID` or `HANDLER_EXISTS`.
   */
  async handle<M extends string>(
    method: M & KnownMethod<S, M>,
    handler: RequestHandler<ParamsOf<S, M>, ResultOf<S, M>>,
  ): Promise<HandlerRegistration> {
    const problem = methodProblem(method);
    if (problem !== undefined) throw new HeraldError('METHOD_INVALID', problem);
    return (await this.#requests()).handle(this.#core!, method, handler as RequestHandler);
  }

  /**
   * Asks a provider of `method` (another client, or the router) and resolves with its result; params
   * and result keep their types through the codec. While reconnecting, it waits in the offline
   * queue (its timeout runs). Rejects with `NO_HANDLER` at once when nobody provides it, a
   * TimeoutError `TIMEOUT`, `HANDLER_GONE` when the provider drops mid-request, `REQUEST_CANCELLED`
   * when `signal` fires, `OFFLINE_QUEUE_FULL`, `CONNECTION_CLOSED`, or the handler's `RemoteError`;
   * with a HeraldError `OPTION_INVALID` at once for a `timeout` that is not a number from 0 to
   * 2^53 - 1 ms (negative, NaN, infinite; in every build, production pages too).
   */
  async request<M extends string>(
    method: M & KnownMethod<S, M>,
    params: ParamsOf<S, M>,
    options: RequestOptions = {},
  ): Promise<ResultOf<S, M>> {
    const problem = methodProblem(method);
    if (problem !== undefined) throw new HeraldError('METHOD_INVALID', problem);
    const { signal } = options;
    if (signal?.aborted) throw new HeraldError('REQUEST_CANCELLED', VERBOSE_ERRORS ? `the request for "${method}" was cancelled` : method, { cause: signal.reason });
    this.#assertUsable();
    if (VERBOSE_ERRORS) checkRequestOptions(options); // types and range; not in production pages (call-options.ts)
    const timeout = Math.ceil(options.timeout ?? 10_000); // the wire takes whole milliseconds
    // The range again, in production pages too: the timeout goes on the wire. (Of the rounded value:
    // a page takes -0.5 as 0, where the check above refuses it; checking first costs the page 6 B.)
    if (!(timeout >= 0 && timeout <= Number.MAX_SAFE_INTEGER)) throw new HeraldError('OPTION_INVALID', 'timeout');
    const refused = this.#contract?.checkSend('params', method, params);
    // Sent (or queued) in call order with publishes, also behind an asynchronous check; the rest loads on first use.
    const sent = await this.#sends.run(
      refused,
      () => {
        const payload = this.#codec.encode(params);
        const build = (id: number): string => encodeTextFrame({ type: 'request', id, method, timeout, payload });
        this.#checkSize(build(Number.MAX_SAFE_INTEGER));
        return this.#outbox.sendOrQueue(build, 'request');
      },
      (error) => {
        throw error;
      },
    );
    // A refusal (NO_HANDLER) can arrive before requests.js loaded: `settle` handles it, not Node.
    sent.promise.catch(() => undefined);
    const { settle } = await this.#requests();
    const result = await settle(this.#core!, sent, method, timeout, signal);
    const invalid = await this.#incoming?.checkReceived('result', method, result);
    if (invalid !== undefined) throw invalid;
    return result as ResultOf<S, M>;
  }

  /** The methods provided through the router and by whom. */
  async methods(): Promise<MethodInfo[]> {
    return (await this.#requests()).methods(this.#core!);
  }

  /** Round trip to the router; resolves with the time it took, in milliseconds. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.#outbox.request({ type: 'ping' }, 'other', 'fail');
    return Date.now() - started;
  }

  /**
   * Closes the connection (code 1000) and stops reconnecting. Pending and queued calls reject with
   * `CONNECTION_CLOSED`, iterators finish, presence views end. Resolves once the socket is closed.
   */
  close(): Promise<void> {
    return this.#link.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  protected override listenerFailed(event: keyof ClientEvents, error: unknown): void {
    if (event === 'error') super.listenerFailed(event, error);
    else this.#report(new HeraldError('SUBSCRIBER_ERROR', VERBOSE_ERRORS ? `a "${String(event)}" listener threw` : String(event), { cause: error }));
  }

  // ---- link events ----

  #onWelcome(message: WelcomeMsg): void {
    this.#refresh?.schedule(message.expiresAt);
    this.#resumed = message.id === this.#id;
    this.#id = message.id;
    this.#resume = message.resume;
    this.#dedupeMs = message.dedupeMs;
    this.#name = message.name;
    this.#user = message.user;
    this.#router = message.router;
    this.#maxPayload = message.maxPayload;
    this.#errorStacks = message.errorStacks === true;
  }

  #onOpened(): void {
    if (!this.#welcomed) {
      this.#welcomed = true;
      this.#settleOpened?.resolve();
      this.#settleOpened = undefined;
      return;
    }
    // Back after a reconnect: handlers, subscriptions and presence first, then the offline queue.
    for (const method of this.#provider?.methods() ?? []) this.#sendHandle(method);
    for (const subscription of this.#subscriptions.entries()) this.#sendSubscribe(subscription);
    this.#presence?.resume();
    this.#outbox.flush(this.#resumed ? this.#dedupeMs : undefined);
  }

  #onDown(error: ConnectionError): void {
    this.#refresh?.stop();
    this.#outbox.dropped(error, this.#dedupeMs);
    this.#subscriptions.suspend();
    this.#provider?.abortAll();
  }

  #onClosed(error: HeraldError | undefined): void {
    this.#refresh?.stop();
    if (!this.#welcomed) this.#settleOpened?.reject(error ?? new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? 'the client was closed while connecting' : ''));
    // Calls still waiting fail CONNECTION_CLOSED, whatever ended the link (the cause says what).
    const closed =
      error === undefined
        ? new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? 'the client was closed' : '')
        : error.code === 'CONNECTION_CLOSED'
          ? error
          : new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? `the client closed: ${error.message}` : error.code, { cause: error });
    this.#outbox.closed(closed);
    this.#subscriptions.closeAll(error === undefined ? undefined : closed, closed);
    this.#presence?.endAll(closed);
    this.#provider?.abortAll();
    this.#provider?.closed(closed);
  }

  // ---- frames from the router ----

  #onFrame(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        return; // the link handles it
      case 'message':
        this.#onMessage(message);
        return;
      case 'presence_join':
        this.#presence?.join(message.topic, message.member);
        return;
      case 'presence_leave':
        this.#presence?.leave(message.topic, message.member.id, message.reason);
        return;
      case 'presence_count':
        this.#presence?.count(message.topic, message.count);
        return;
      case 'presence_state': {
        // A big snapshot comes in pages with the same id: gather them, resolve with them all.
        const pages = (this.#pages ??= new Map<number, MemberWire[]>());
        const earlier = pages.get(message.id) ?? [];
        earlier.push(...message.members);
        if (message.more === true) pages.set(message.id, earlier);
        else pages.delete(message.id);
        if (message.more !== true) this.#outbox.take(message.id)?.resolve({ ...message, members: earlier });
        return;
      }
      case 'request':
        if (this.#provider !== undefined) this.#provider.onRequest(message);
        else this.#link.send(encodeTextFrame({ type: 'response_error', id: message.id, code: 'NO_HANDLER', message: 'this client handles no methods' }));
        return;
      case 'cancel':
        this.#provider?.onCancel(message.id, message.reason);
        return;
      case 'error':
        this.#onError(message);
        return;
      case 'revoked':
        this.#onRevoked(message);
        return;
      default: {
        // Every other message answers a request of this client by its id (subscribed, publish_ack,
        // pong, response...); the type names them all, so that a new message type is not
        // forgotten here.
        const reply: Reply = message;
        this.#outbox.take(reply.id)?.resolve(reply);
      }
    }
  }

  #onMessage(message: MessageMsg): void {
    const targets = this.#subscriptions.targets(message.topic, message.replay);
    if (targets.length === 0) return;
    const decoded = this.#codec.decode(message.payload as string);
    if (!decoded.ok) {
      this.#report(new ProtocolError(decoded.error.code, VERBOSE_ERRORS ? `dropped a message on "${message.topic}": ${decoded.error.message}` : message.topic));
      return;
    }
    // Delivered in arrival order: behind an asynchronous check, later messages wait (ordered-checks.ts).
    if (this.#incoming === undefined) return this.#deliver(message, targets, decoded.value);
    const invalid = this.#incoming.checkReceived('topic', message.topic, decoded.value);
    void this.#received.run(invalid, () => this.#deliver(message, targets, decoded.value), (error) => this.#report(error));
  }

  #deliver(message: MessageMsg, targets: ReturnType<SubscriptionTable['targets']>, value: unknown): void {
    const meta: MessageMeta = {
      topic: message.topic,
      publisher: message.from,
      epoch: message.epoch,
      offset: message.offset,
      publishedAt: new Date(message.at),
      replayed: message.replay !== undefined,
    };
    for (const subscription of targets) control.offer(subscription, value, meta);
  }

  /** The router ended a subscription, watch or handler the new permissions no longer allow. */
  #onRevoked({ operation, subject }: Extract<ServerMessage, { type: 'revoked' }>): void {
    const error = new SubscriptionError('PERMISSION_DENIED', VERBOSE_ERRORS ? `the router revoked ${operation} ${JSON.stringify(subject)}: the permissions no longer allow it` : `${operation} ${subject}`);
    if (operation === 'subscribe') {
      this.#subscriptions.revoke(subject, error);
    } else if (operation === 'watch') {
      this.#presence?.revoke(subject, error);
    } else if (operation === 'handle') {
      this.#provider?.delete(subject);
    }
    this.#report(error);
  }

  #onError(message: Extract<ServerMessage, { type: 'error' }>): void {
    if (message.id === undefined) {
      this.#report(new HeraldError(message.code, VERBOSE_ERRORS ? `the router reported: ${message.message}` : message.message, { retryAfterMs: message.retryAfterMs }));
      return;
    }
    // A refusal for an id no longer pending (the call timed out or was cancelled) is ignored, like
    // any other reply to an unknown id.
    this.#outbox.refuse(message.id, message.code, message.message, message.retryAfterMs);
  }

  // ---- sending ----

  /**
   * The hello of each attempt: name and info, after a welcome its resume token (same id again),
   * and the token; with a token function, a fresh token is fetched first.
   */
  #hello(options: ConnectOptions<HeraldSchema>): () => string | Promise<string> {
    const hello: { type: 'hello'; name?: string; info?: string; resume?: string; token?: string } = { type: 'hello' };
    if (options.name !== undefined) hello.name = options.name;
    if (options.info !== undefined) hello.info = this.#codec.encode(options.info);
    const { token } = options;
    if (typeof token === 'string') hello.token = token;
    const frame = (): string => {
      if (this.#resume !== undefined) hello.resume = this.#resume;
      return encodeTextFrame(hello);
    };
    if (typeof token !== 'function') return frame;
    return async () => {
      // The refresh loads on first use, beside the token: the welcome that schedules it comes after.
      [hello.token] = await Promise.all([
        token(),
        this.#refresh ??
          import('./token-refresh.js').then(
            ({ TokenRefresh }) => {
              this.#refresh ??= new TokenRefresh(token, {
                request: (fresh) => this.#outbox.request({ type: 'refresh', token: fresh }, 'other', 'fail'),
                report: (error) => this.#report(error),
              });
            },
            // Not the token function's failure: the page's build is missing a file.
            (cause: unknown) => moduleLoadFailed('token refresh', cause),
          ),
      ]);
      return frame();
    };
  }

  /** Sends a request whose reply settles a Promise; refused at once unless the link is open. */
  #sendSubscribe(subscription: Subscription<unknown>): void {
    const id = this.#outbox.nextId();
    this.#subscriptions.requested(id, subscription);
    this.#outbox.expect(id, {
      kind: 'subscription',
      survival: 'resend',
      resolve: (reply) => {
        this.#subscriptions.confirmed(id);
        if (reply.type !== 'subscribed') return;
        control.confirm(subscription, reply);
      },
      reject: (error) => {
        this.#subscriptions.remove(subscription);
        control.end(subscription, error);
        // Rejects the subscribe() call; a resubscription's refusal is reported, unless the close made it moot.
        if (!control.refuse(subscription, error) && this.state !== 'closed') this.#report(error);
      },
    });
    this.#link.send(encodeTextFrame({ type: 'subscribe', id, pattern: subscription.pattern, ...control.request(subscription) }));
  }

  #sendHandle(method: string): void {
    this.#outbox.request({ type: 'handle', method }, 'other', 'resend').then(
      () => this.#provider?.confirmed(method),
      (error: unknown) => this.#provider?.refused(method, error),
    );
  }

  /** Requests live in their own module, loaded on first use. */
  #requests(): Promise<typeof import('./requests.js')> {
    const client = this;
    this.#core ??= {
      codec: this.#codec,
      lib: LIB,
      get state() {
        return client.state;
      },
      assertUsable: () => this.#assertUsable(),
      frame: (message) => encodeTextFrame(message),
      checkSize: (frame) => this.#checkSize(frame),
      sendOrQueue: (build, kind) => this.#outbox.sendOrQueue(build, kind),
      send: (frame) => this.#link.send(frame),
      errorStacks: () => this.#errorStacks,
      report: this.#report,
      request: (message, kind, survival) => this.#outbox.request(message, kind, survival),
      sendHandle: (method) => this.#sendHandle(method),
      provider: () => this.#provider,
      installProvider: (provider) => (this.#provider = provider),
    };
    this.#features ??= import('./requests.js').catch((cause: unknown) => {
      this.#features = undefined; // the next call tries again
      return moduleLoadFailed('requests', cause);
    });
    return this.#features;
  }

  async #release(subscription: Subscription<unknown>): Promise<void> {
    if (!this.#subscriptions.remove(subscription) || this.state !== 'open') return;
    await this.#outbox.request({ type: 'unsubscribe', pattern: subscription.pattern }, 'subscription', 'fail').catch(ignoreClosed);
  }

  /** A frame over maxPayload would cost the connection (close 1009): refuse it here instead. */
  #checkSize(frame: string): void {
    // A Blob holds the text as UTF-8, as the socket sends it (a lone surrogate as U+FFFD, 3 bytes).
    if (frame.length * 3 > this.#maxPayload && new Blob([frame]).size > this.#maxPayload) {
      throw new ProtocolError('PAYLOAD_TOO_LARGE', VERBOSE_ERRORS ? `the message is ${new Blob([frame]).size} bytes; the router accepts at most ${this.#maxPayload}` : '');
    }
  }

  #assertUsable(): void {
    if (this.state === 'closed') throw new ConnectionError('CONNECTION_CLOSED', VERBOSE_ERRORS ? 'the client is closed' : '');
  }

  #report = (error: unknown): void => {
    const herald = error instanceof HeraldError ? error : new HeraldError('SUBSCRIBER_ERROR', String(error), { cause: error });
    if (this.listenerCount('error') === 0) console.error('herald client:', herald);
    else this.emit('error', herald);
  };
}

function unexpected(message: ServerMessage): never {
  throw new ProtocolError('PROTOCOL_INVALID_MESSAGE', VERBOSE_ERRORS ? `unexpected reply "${message.type}"` : message.type);
}
