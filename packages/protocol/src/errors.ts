import { VERBOSE_ERRORS as verbose } from '#verbose-errors';

/**
 * Whether errors carry full messages: always in Node, Deno and Bun; in browser builds unless
 * `process.env.NODE_ENV` is `production` (then an error's message is its code and a short subject).
 * See verbose-errors.ts.
 */
export const VERBOSE_ERRORS: boolean = verbose;

/**
 * Stable error codes. Codes are API: a code never changes meaning and is never reused.
 * Messages are prose for people and may change; match on `code`, never on `message`.
 */
export const ErrorCode = {
  /** The frame is not a Herald frame: binary, no JSON header, header not an object or without `type`. */
  PROTOCOL_INVALID_FRAME: 'PROTOCOL_INVALID_FRAME',
  /** The header's `type` is not a message type of this protocol version and direction. */
  PROTOCOL_UNKNOWN_TYPE: 'PROTOCOL_UNKNOWN_TYPE',
  /** A field is missing, of the wrong type, or out of range. */
  PROTOCOL_INVALID_MESSAGE: 'PROTOCOL_INVALID_MESSAGE',
  /** The first message was not `hello`, or `hello` came twice. */
  PROTOCOL_HELLO_REQUIRED: 'PROTOCOL_HELLO_REQUIRED',
  /** `hello` was refused: its name or info has the wrong type, is too long or too large, or is not a valid payload. */
  HELLO_INVALID: 'HELLO_INVALID',
  /** Too many protocol errors on one connection; the router closed it. */
  PROTOCOL_TOO_MANY_ERRORS: 'PROTOCOL_TOO_MANY_ERRORS',
  /** A topic is empty, too long, has an empty segment, a wildcard or a forbidden character. */
  TOPIC_INVALID: 'TOPIC_INVALID',
  /** A pattern is empty, too long, has an empty segment, or a misplaced wildcard. */
  PATTERN_INVALID: 'PATTERN_INVALID',
  /** A payload is not valid in its codec: malformed, too deep, or with a forbidden key. */
  PAYLOAD_INVALID: 'PAYLOAD_INVALID',
  /** A value could not be encoded by the codec (for example a key superjson refuses). */
  PAYLOAD_UNENCODABLE: 'PAYLOAD_UNENCODABLE',
  /** The encoded frame would exceed the router's `maxPayload`. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** No codec offered by the client is supported by the router. */
  CODEC_UNSUPPORTED: 'CODEC_UNSUPPORTED',
  /** The router is at `maxConnections`. Retry later. */
  ROUTER_FULL: 'ROUTER_FULL',
  /** The router failed while handling the message (engine error). Retrying may succeed. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** The client could not open a connection to the router (refused, unreachable, handshake failed). */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The router did not welcome the client within `connectTimeoutMs`. */
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  /** The router closed the connection before welcoming the client. */
  CONNECTION_REFUSED: 'CONNECTION_REFUSED',
  /** The connection closed while the operation was in flight, or the client is closed. */
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  /** A subscription's async iterator fell more than its buffer behind; iteration ended. */
  SUBSCRIPTION_OVERFLOW: 'SUBSCRIPTION_OVERFLOW',
  /** A subscriber or presence callback threw; reported on the `error` event, delivery goes on. */
  SUBSCRIBER_ERROR: 'SUBSCRIBER_ERROR',
  /** A method name is empty, too long, or not dot-separated segments without wildcards. */
  METHOD_INVALID: 'METHOD_INVALID',
  /** Nobody provides the method: the request fails at once. */
  NO_HANDLER: 'NO_HANDLER',
  /** The request took longer than its timeout; the provider's signal aborts, a late reply is dropped. */
  TIMEOUT: 'TIMEOUT',
  /** The provider dropped while the request was in flight. */
  HANDLER_GONE: 'HANDLER_GONE',
  /** The caller's AbortSignal fired; the request was cancelled. */
  REQUEST_CANCELLED: 'REQUEST_CANCELLED',
  /** The caller has too many requests in flight (router's `maxPendingRequests`). */
  REQUEST_LIMIT: 'REQUEST_LIMIT',
  /** This client or router already provides the method. */
  HANDLER_EXISTS: 'HANDLER_EXISTS',
  /** A handler threw something without a code of its own. */
  HANDLER_ERROR: 'HANDLER_ERROR',
  /** The client is reconnecting and its offline queue is full (`maxQueued`); nothing was queued. */
  OFFLINE_QUEUE_FULL: 'OFFLINE_QUEUE_FULL',
  /** The connection has `maxSubscriptions` subscriptions (or presence watches) already. */
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  /** (close reason) The connection's outbound buffer passed `maxBufferedBytes`: it reads too slowly. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The other side was silent for longer than the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  /**
   * The router's engine (Redis) is unreachable: nothing was done. Retryable; the error carries
   * `retryAfterMs`, a hint of when to try again.
   */
  ENGINE_UNAVAILABLE: 'ENGINE_UNAVAILABLE',
  /** (close reason, 4003) The client resumed its session on another connection; this one was closed. */
  SESSION_RESUMED: 'SESSION_RESUMED',
  /**
   * The connection went over one of its rate limits (publishes, bytes, subscribes, watches, calls);
   * nothing was done. Try again after `retryAfterMs`. Also the close reason of close code 4300.
   */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A pattern has more than `maxPatternSegments` segments, or the connection's patterns total more than `maxPatternBytes`. */
  PATTERN_LIMIT: 'PATTERN_LIMIT',
  /** The connection handles `maxHandlers` methods already, or the router `maxMethods`. */
  HANDLER_LIMIT: 'HANDLER_LIMIT',
  /** (close reason) Too many connections from one address, or opened too fast from it. */
  ADDRESS_LIMIT: 'ADDRESS_LIMIT',
  /** A payload, request params or a result breaks the contract's schema; the message names the issues. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The identity may not do this operation on this subject; the error names both. The connection stays. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** A `refresh` token was refused (invalid, expired, another user); the connection keeps its old token. */
  TOKEN_INVALID: 'TOKEN_INVALID',
  /** (HTTP 403 header) The upgrade's `Origin` is not in the router's `allowedOrigins`. */
  ORIGIN_FORBIDDEN: 'ORIGIN_FORBIDDEN',
  /** (close reason, 4100) The router's `authenticate` refused the connection's credentials. */
  AUTH_INVALID: 'AUTH_INVALID',
  /** (close reason, 4101) The connection's token expired and was not refreshed in time. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** (close reason, 4102) The router revoked the user's access (`router.disconnectUser`). */
  AUTH_REVOKED: 'AUTH_REVOKED',
  /**
   * (close reason, 1013) The router got the hello but its `authenticate` (or a session takeover)
   * did not finish within `helloTimeoutMs`. Reconnect with backoff.
   */
  AUTH_TIMEOUT: 'AUTH_TIMEOUT',
  /** (thrown at construction) A factory got an option outside its documented range, e.g. a codec's `maxDepth`. */
  OPTION_INVALID: 'OPTION_INVALID',
  /**
   * A part of the client loaded on first use (requests, the token refresh) could not be loaded: the page's
   * build is missing a file, often after a deploy replaced it. Serve every file of the build;
   * reload a page opened before a deploy. Retryable.
   */
  MODULE_LOAD_FAILED: 'MODULE_LOAD_FAILED',
  /**
   * (rejected by `createRouter`, never sent) The router's port, its metrics port or a shared
   * server (a listen started in createRouter's turn) could not listen: a port in use, a host that is not an address of this machine or does
   * not resolve, a port that needs privileges. The Node error is the `cause`; nothing is left running.
   */
  LISTEN_FAILED: 'LISTEN_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options shared by every Herald error. */
export interface HeraldErrorOptions {
  cause?: unknown;
  /** Whether trying the same thing again later may succeed. */
  retryable?: boolean;
  /** How long to wait before trying again, in milliseconds (`RATE_LIMITED`). */
  retryAfterMs?: number;
}

/**
 * Base class of every error Herald throws or rejects with. (Fields the constructors assign are
 * `declare`d: no class-field definitions before the assignments, in pages too.)
 */
export class HeraldError extends Error {
  override name = 'HeraldError';
  declare readonly code: string;
  declare readonly retryable: boolean;
  /** How long to wait before trying again, in milliseconds, when the router said (`RATE_LIMITED`). */
  declare readonly retryAfterMs: number | undefined;

  /**
   * `message`: prose for people. Without {@link VERBOSE_ERRORS} (production browser builds) it is
   * a short subject, or empty, and the message becomes the code followed by it.
   */
  constructor(code: string, message: string, options: HeraldErrorOptions = {}) {
    super(VERBOSE_ERRORS ? message : message === '' ? code : `${code} ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A peer broke the protocol: malformed frame, bad field, invalid topic or payload. */
export class ProtocolError extends HeraldError {
  override name = 'ProtocolError';
  /** The id of the message at fault, when it had a readable one. */
  declare readonly id: number | undefined;

  constructor(code: string, message: string, options: HeraldErrorOptions & { id?: number } = {}) {
    super(code, message, options);
    this.id = options.id;
  }
}

/** Opening or keeping the connection failed. `closeCode` is set when the router closed it. */
export class ConnectionError extends HeraldError {
  override name = 'ConnectionError';
  declare readonly closeCode: number | undefined;
  declare readonly closeReason: string | undefined;

  constructor(
    code: string,
    message: string,
    options: HeraldErrorOptions & { closeCode?: number; closeReason?: string } = {},
  ) {
    super(code, message, options);
    this.closeCode = options.closeCode;
    this.closeReason = options.closeReason;
  }
}

/** A subscribe, unsubscribe or presence call was refused, or a subscription ended in error. */
export class SubscriptionError extends HeraldError {
  override name = 'SubscriptionError';
}

/**
 * A request's handler failed: it threw or rejected. `code` is the error's own `code` when it had a
 * stable one (UPPER_SNAKE), otherwise `HANDLER_ERROR`; `data` is its `data` property, carried by
 * the codec. Throw one from a handler to choose the code and data the caller sees.
 */
export class RemoteError extends HeraldError {
  override name = 'RemoteError';
  declare readonly data: unknown;
  /** The provider's stack, only when the router is configured to pass stacks on. */
  declare readonly remoteStack: string | undefined;

  constructor(code: string, message: string, options: HeraldErrorOptions & { data?: unknown; remoteStack?: string } = {}) {
    super(code, message, options);
    // The handler's own words, as it wrote them, in every build (not shortened: see VERBOSE_ERRORS).
    this.message = message;
    this.data = options.data;
    this.remoteStack = options.remoteStack;
  }
}

/** An operation did not complete within its time limit. */
export class TimeoutError extends HeraldError {
  override name = 'TimeoutError';
}

/** The `{ code, message }` carried by a wire `error` message. */
export interface WireError {
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** Whether `value` is a HeraldError with the given code (works across package copies). */
export function isHeraldError(value: unknown, code?: string): value is HeraldError {
  return (
    value instanceof Error &&
    typeof (value as Partial<HeraldError>).code === 'string' &&
    (code === undefined || (value as HeraldError).code === code)
  );
}

