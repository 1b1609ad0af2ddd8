/**
 * The link to the router: one WebSocket at a time, its handshake, heartbeats, and reconnects with
 * backoff. It owns the client's connection state machine (state.ts); the client above it owns
 * what survives a reconnect (subscriptions, handlers, presence views, the offline queue).
 */
import {
  ConnectionError,
  HeraldError,
  ProtocolError,
  type ServerMessage,
  VERBOSE_ERRORS,
  type WelcomeMsg,
  decodeServerText,
  helloSubprotocol,
  isAuthClose,
  isRetryableClose,
} from '@herald/protocol';
import { backoffDelay } from './backoff.js';
import { OPEN, type SocketCloseEvent, type SocketLike, type WebSocketConstructor } from './socket.js';
// Node's `ws` only: left out of browser builds (package.json `imports`).
import { type AttemptDiagnosis, diagnoseAttempt, dropSocket } from '#handshake-refusal';
import { type ClientState, type ReconnectAttempt, type StateChangeReason, type StateChange, checkTransition } from './state.js';

/** Options of automatic reconnection. */
export interface ReconnectOptions {
  /** The first retry waits up to this long (full jitter). Default 500 ms. At most `maxDelayMs` (`OPTION_INVALID`). */
  minDelayMs?: number;
  /** No retry waits longer than this. Default 10,000 ms. Set alone below 500 ms, it caps `minDelayMs` too. */
  maxDelayMs?: number;
  /** Attempts before giving up with `reconnect_failed`. Default: no limit. */
  maxAttempts?: number;
}

export interface LinkOptions {
  /** The routers to dial, in order: each attempt after a failure or a lost connection tries the next. */
  urls: readonly string[];
  protocol: string;
  /** The hello frame of each attempt: built anew each time when it carries a token from a function. */
  hello: () => string | Promise<string>;
  /**
   * Put the hello in the upgrade request (a `herald.v1.hello.*` subprotocol entry, PROTOCOL.md §2)
   * when it fits, rather than in a first frame. Turned off for good by a close 4002 before the
   * welcome (a router older than the entry: one that read the hello closes a slow `authenticate`
   * with 1013 `AUTH_TIMEOUT` instead).
   */
  helloInUpgrade: boolean;
  /**
   * Whether an authentication close (4100–4199) is worth a reconnect: true when the token comes
   * from a function (a fresh one is fetched before each attempt).
   */
  refetchesToken: boolean;
  /** Authentication refusals in a row after which reconnecting stops. */
  maxAuthFailures: number;
  connectTimeoutMs: number;
  WebSocket: WebSocketConstructor;
  /** Shared by the clients that keep the defaults: never changed. */
  reconnect: Readonly<Required<ReconnectOptions>> | false;
  random: () => number;
  /** Overrides the router's heartbeat timeout. */
  heartbeatTimeoutMs: number | undefined;
}

export interface LinkHandlers {
  state(change: StateChange): void;
  reconnect(attempt: ReconnectAttempt): void;
  /** The router welcomed this socket; called before the state turns `open`. */
  welcome(message: WelcomeMsg): void;
  /** The state is now `open` (after `welcome`). */
  opened(): void;
  frame(message: ServerMessage): void;
  /** The open connection was lost; the state is now `reconnecting`. */
  down(error: ConnectionError): void;
  /** The link ended for good (the state is `closed`): with an error, unless the client closed it. */
  closed(error: HeraldError | undefined): void;
  report(error: HeraldError): void;
}

interface Attempt extends AttemptDiagnosis {
  socket: SocketLike;
  welcomed: boolean;
  /** The connect timeout, until the welcome (then dropped: a client keeps only its heartbeat timer). */
  timer: ReturnType<typeof setTimeout> | undefined;
}

const HEARTBEAT_PING = '{"type":"ping","id":0}';

/**
 * The close codes the link itself uses (CloseCode.NORMAL, ABNORMAL and TRY_AGAIN_LATER), as
 * numbers: reading a member of `CloseCode` puts the whole table in every page.
 */
const NORMAL_CLOSE = 1000;
const ABNORMAL_CLOSE = 1006;
const TRY_AGAIN_LATER = 1013;
/** Close 4002: no hello in time. After a hello in the upgrade, the router is older than that. */
const HELLO_TIMEOUT = 4002;

export class Link {
  readonly #options: LinkOptions;
  readonly #handlers: LinkHandlers;
  #state: ClientState = 'connecting';
  #attempt: Attempt | undefined;
  #retries = 0;
  #authFailures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #heard = false;
  /** Settles once the socket `close()` closed is gone. */
  #socketGone: Promise<void> | undefined;
  /** Which of `urls` the current (or last) attempt dials. */
  #urlIndex = 0;
  /** URLs the first connect may still try before it fails (each once, at once). */
  #untried: number;

  constructor(options: LinkOptions, handlers: LinkHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.#untried = options.urls.length - 1;
  }

  /** The URL of the current (or last) connection attempt. */
  get url(): string {
    return this.#options.urls[this.#urlIndex]!;
  }

  get state(): ClientState {
    return this.#state;
  }

  start(): void {
    this.#dial();
  }

  /** Sends a frame if the link is open. Returns whether it was sent. */
  send(frame: string): boolean {
    const socket = this.#attempt?.socket;
    if (this.#state !== 'open' || socket === undefined || socket.readyState !== OPEN) return false;
    socket.send(frame);
    return true;
  }

  /** Closes for good (code 1000). Resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#state === 'closed') return this.#socketGone ?? Promise.resolve();
    const attempt = this.#attempt;
    this.#transition('closed', 'client_closed');
    this.#stopTimers();
    if (attempt !== undefined) {
      this.#socketGone = new Promise((resolve) => {
        attempt.socket.onclose = () => resolve();
        // A router that never answers the close frame must not hold the caller forever.
        setTimeout(resolve, 2000).unref?.();
      });
      attempt.socket.onmessage = null;
      attempt.socket.close(NORMAL_CLOSE, 'client closed');
      this.#attempt = undefined;
    }
    this.#handlers.closed(undefined);
    return this.#socketGone ?? Promise.resolve();
  }

  /** Moves to the next URL of the list (round robin, as NATS clients do). */
  #rotate(): void {
    this.#urlIndex = (this.#urlIndex + 1) % this.#options.urls.length;
  }

  /** Builds this attempt's hello (fetching a token first, when it comes from a function), then dials. */
  #dial(): void {
    let hello: string | Promise<string>;
    try {
      hello = this.#options.hello();
    } catch (cause) {
      this.#tokenFailed(cause);
      return;
    }
    if (typeof hello === 'string') return this.#open(hello);
    hello.then(
      (frame) => {
        if (this.#state === 'connecting' || this.#state === 'reconnecting') this.#open(frame);
      },
      (cause: unknown) => {
        if (this.#state === 'connecting' || this.#state === 'reconnecting') this.#tokenFailed(cause);
      },
    );
  }

  /** The hello could not be built: the token function failed, or the client's own (a ConnectionError of its own, e.g. MODULE_LOAD_FAILED). */
  #tokenFailed(cause: unknown): void {
    this.#attemptFailed(
      cause instanceof ConnectionError ? cause : new ConnectionError('CONNECTION_FAILED', VERBOSE_ERRORS ? `the token function failed: ${String(cause)}` : 'token', { cause, retryable: true }),
    );
  }

  #open(hello: string): void {
    const url = this.url;
    let socket: SocketLike;
    const { protocol } = this.#options;
    // The router answers a hello in the upgrade with its welcome right behind the 101 (issue 16).
    const entry = this.#options.helloInUpgrade ? helloSubprotocol(hello) : undefined;
    try {
      socket = new this.#options.WebSocket(url, entry === undefined ? protocol : [protocol, entry]);
    } catch (cause) {
      this.#attemptFailed(new ConnectionError('CONNECTION_FAILED', VERBOSE_ERRORS ? `cannot open a WebSocket to ${url}: ${String(cause)}` : url, { cause }));
      return;
    }
    const attempt: Attempt = {
      socket,
      welcomed: false,
      timer: setTimeout(() => {
        if (this.#attempt !== attempt) return;
        this.#abandon(attempt);
        this.#attemptFailed(
          new ConnectionError('CONNECT_TIMEOUT', VERBOSE_ERRORS ? `no welcome from ${url} within ${this.#options.connectTimeoutMs} ms` : url, { retryable: true }),
        );
      }, this.#options.connectTimeoutMs),
    };
    this.#attempt = attempt;
    diagnoseAttempt(socket, url, attempt);
    socket.onopen = () => {
      if (this.#attempt !== attempt) return;
      if (socket.protocol !== protocol) {
        this.#abandon(attempt);
        this.#attemptFailed(new ConnectionError('CODEC_UNSUPPORTED', VERBOSE_ERRORS ? `the router at ${url} did not accept subprotocol ${protocol}` : url));
        return;
      }
      if (entry === undefined) socket.send(hello);
    };
    socket.onmessage = (event) => {
      if (this.#attempt !== attempt) return;
      this.#heard = true;
      this.#onData(attempt, event.data);
    };
    socket.onclose = (event) => {
      if (this.#attempt !== attempt) return;
      this.#attempt = undefined;
      clearTimeout(attempt.timer);
      if (attempt.welcomed) this.#lost(event.code, event.reason);
      else if (entry !== undefined && event.code === HELLO_TIMEOUT) {
        // A router that ignored the hello entry (older than it): the hello goes as a frame from now on.
        this.#options.helloInUpgrade = false;
        this.#dial();
      } else this.#attemptFailed(connectError(url, event, attempt.refusal, attempt.failure));
    };
  }

  #onData(attempt: Attempt, data: unknown): void {
    if (typeof data !== 'string') {
      this.#handlers.report(new ProtocolError('PROTOCOL_INVALID_FRAME', VERBOSE_ERRORS ? 'the router sent a binary frame' : ''));
      return;
    }
    const decoded = decodeServerText(data);
    if (!decoded.ok) {
      this.#handlers.report(decoded.error);
      return;
    }
    const message = decoded.value;
    if (message.type === 'welcome') {
      if (attempt.welcomed) return;
      attempt.welcomed = true;
      clearTimeout(attempt.timer);
      attempt.timer = undefined;
      this.#retries = 0;
      this.#authFailures = 0;
      // Identity first, so that statechange listeners see the new id; sends after 'open'.
      this.#handlers.welcome(message);
      this.#transition('open', 'welcomed');
      this.#startHeartbeat(message);
      this.#handlers.opened();
      return;
    }
    if (attempt.welcomed) this.#handlers.frame(message);
  }

  /** A connection attempt failed before the welcome. */
  #attemptFailed(error: HeraldError): void {
    if (this.#state === 'reconnecting' && error instanceof ConnectionError && this.#retriesAuth(error.closeCode)) {
      this.#schedule(error);
      return;
    }
    if (this.#state === 'connecting' && error.retryable && this.#untried > 0) {
      // The first connect tries each URL of the list once, at once, before it gives up.
      this.#untried--;
      this.#rotate();
      this.#dial();
    } else if (this.#state === 'connecting') {
      this.#transition('closed', 'connect_failed');
      this.#handlers.closed(error);
    } else if (this.#state === 'reconnecting') {
      if (error.retryable) this.#schedule(error);
      else this.#giveUp(error);
    }
  }

  /** The open connection ended: reconnect if the close allows it, or close for good. */
  #lost(code: number, reason: string, why?: StateChangeReason): void {
    this.#stopHeartbeat();
    const retryable = isRetryableClose(code);
    const cause: StateChangeReason = why ?? (code === ABNORMAL_CLOSE ? 'connection_lost' : 'router_closed');
    const error = new ConnectionError(
      why === 'heartbeat_timeout' ? 'HEARTBEAT_TIMEOUT' : 'CONNECTION_CLOSED',
      VERBOSE_ERRORS
        ? cause === 'router_closed'
          ? `the router closed the connection (${code}${reason === '' ? '' : ` ${reason}`})`
          : `the connection to the router was lost (${cause})`
        : `${code} ${reason}`,
      { closeCode: code, closeReason: reason, retryable },
    );
    if (this.#options.reconnect !== false && (retryable || this.#retriesAuth(code))) {
      this.#transition('reconnecting', cause, code);
      this.#handlers.down(error);
      this.#schedule(undefined);
    } else {
      this.#transition('closed', cause, code);
      this.#handlers.closed(error);
    }
  }

  /**
   * After an authentication close, a client whose token comes from a function reconnects with a
   * fresh token, up to `maxAuthFailures` refusals in a row (counted here); others stop.
   */
  #retriesAuth(code: number | undefined): boolean {
    if (code === undefined || !isAuthClose(code) || !this.#options.refetchesToken || this.#options.reconnect === false) return false;
    if (this.#authFailures >= this.#options.maxAuthFailures) return false;
    this.#authFailures++;
    return true;
  }

  #schedule(previous: Error | undefined): void {
    const reconnect = this.#options.reconnect;
    if (reconnect === false || this.#retries >= reconnect.maxAttempts) {
      this.#giveUp(previous ?? new ConnectionError('CONNECTION_FAILED', VERBOSE_ERRORS ? 'reconnecting is off' : ''));
      return;
    }
    const delayMs = backoffDelay(this.#retries, reconnect.minDelayMs, reconnect.maxDelayMs, this.#options.random);
    this.#retries++;
    this.#handlers.reconnect(previous === undefined ? { attempt: this.#retries, delayMs } : { attempt: this.#retries, delayMs, error: previous });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state !== 'reconnecting') return;
      this.#rotate();
      this.#dial();
    }, delayMs);
  }

  #giveUp(error: Error): void {
    this.#transition('closed', 'reconnect_failed');
    this.#handlers.closed(
      error instanceof HeraldError ? error : new ConnectionError('CONNECTION_FAILED', error.message, { cause: error }),
    );
  }

  /**
   * Browsers cannot see WebSocket ping frames, so the client keeps its own watch: after one
   * interval of silence it sends `ping`; after `heartbeatTimeoutMs` of silence the router is dead.
   * Counting intervals instead of reading a clock keeps it exact under fake timers.
   */
  #startHeartbeat(welcome: WelcomeMsg): void {
    this.#stopHeartbeat();
    const interval = welcome.heartbeatMs;
    const timeout = this.#options.heartbeatTimeoutMs ?? welcome.heartbeatTimeoutMs;
    if (interval <= 0 || timeout <= 0) return;
    let silentMs = 0;
    this.#heard = false;
    this.#heartbeat = setInterval(() => {
      if (this.#heard) {
        this.#heard = false;
        silentMs = 0;
        return;
      }
      silentMs += interval;
      const attempt = this.#attempt;
      // Counted in whole intervals from the first tick after the last frame, so the router was
      // silent at least silentMs: dead between the timeout and the timeout plus one interval.
      // Never at the first quiet tick: that one sends the ping a live router answers. A timeout of
      // the client's own not above the router's interval (known only from the welcome) acts as
      // just over it, instead of dropping every idle connection once per interval (README, "Client").
      if (silentMs >= timeout && silentMs > interval) {
        if (attempt !== undefined) this.#abandon(attempt);
        this.#lost(ABNORMAL_CLOSE, `nothing heard for ${silentMs} ms`, 'heartbeat_timeout');
        return;
      }
      if (attempt?.socket.readyState === OPEN) attempt.socket.send(HEARTBEAT_PING);
    }, interval);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #stopTimers(): void {
    this.#stopHeartbeat();
    clearTimeout(this.#retryTimer);
    if (this.#attempt !== undefined) clearTimeout(this.#attempt.timer);
  }

  /** Drops a socket we no longer trust: its events are ignored from now on. */
  #abandon(attempt: Attempt): void {
    clearTimeout(attempt.timer);
    if (this.#attempt === attempt) this.#attempt = undefined;
    const { socket } = attempt;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {}; // ws reports closing a connecting socket as an error: expected here
    dropSocket(socket);
  }

  #transition(to: ClientState, reason: StateChangeReason, code?: number): void {
    const from = this.#state;
    checkTransition(from, to);
    this.#state = to;
    this.#handlers.state(code === undefined ? { from, to, reason } : { from, to, reason, code });
  }
}

/** The error a failed connection attempt becomes. */
function connectError(url: string, event: SocketCloseEvent, refusal: ConnectionError | undefined, failure: string | undefined): ConnectionError {
  if (refusal !== undefined) return refusal;
  if (event.code === ABNORMAL_CLOSE) {
    return new ConnectionError('CONNECTION_FAILED', VERBOSE_ERRORS ? `could not connect to ${url}${failure === undefined ? '' : `: ${failure}`}` : url, { retryable: true });
  }
  const prefixed = /^([A-Z][A-Z_]*): /.exec(event.reason)?.[1];
  const code = prefixed ?? (event.code === TRY_AGAIN_LATER ? 'ROUTER_FULL' : 'CONNECTION_REFUSED');
  return new ConnectionError(code, VERBOSE_ERRORS ? `the router at ${url} closed the connection: ${event.code} ${event.reason}` : `${event.code} ${event.reason}`, {
    closeCode: event.code,
    closeReason: event.reason,
    retryable: isRetryableClose(event.code),
  });
}
