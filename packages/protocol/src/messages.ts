/**
 * Herald wire messages, one discriminated union per direction, keyed by `type`.
 * PROTOCOL.md is the source of truth; `spec.test.ts` keeps the two in step.
 */

/** The protocol version carried in subprotocol names (`herald.v1.<codec>`) and in `welcome`. */
export const PROTOCOL_VERSION = 1;

/** An encoded payload as it travels: text in the negotiated codec, as a string or as UTF-8 bytes. */
export type RawPayload = string | Uint8Array;

/** Who published a message or who a member is, in short. */
export interface PeerRef {
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate` (never claimed by the client itself). */
  user?: string;
}

/** A presence member as it travels. `info` is the member's hello info, encoded in the receiver's codec. */
export interface MemberWire {
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  /** In presence per user: the ids of the member's connections, as of this message. */
  connections?: string[];
  info?: string;
  /** Milliseconds since the Unix epoch. */
  connectedAt: number;
}

/** Why a member left a topic's presence. */
export const LeaveReason = {
  /** The client unsubscribed. */
  UNSUBSCRIBED: 'unsubscribed',
  /** The client closed its connection cleanly. */
  CLOSED: 'closed',
  /** The connection was lost without a clean close (socket destroyed, process killed, protocol error). */
  DROPPED: 'dropped',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** A request's caller as its provider sees it. `info` is encoded in the provider's codec. */
export interface CallerWire {
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  info?: string;
}

/** A method and who provides it, as `methods` lists them. */
export interface MethodWire {
  method: string;
  providers: PeerRef[];
}

/** Why the router cancelled a request it had sent to a provider. */
export const CancelReason = {
  /** The caller's timeout passed. */
  TIMEOUT: 'timeout',
  /** The caller gave up (its AbortSignal fired). */
  CANCELLED: 'cancelled',
  /** The caller's connection closed. */
  CALLER_GONE: 'caller_gone',
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

// ---- client → router ----

export interface HelloMsg {
  type: 'hello';
  name?: string;
  /** The client's info, encoded with the negotiated codec. */
  info?: string;
  /** Credentials for the router's `authenticate` hook (a JWT with `jwtAuthenticator`). */
  token?: string;
  /** The `resume` token of an earlier `welcome`: keep that session's id (PROTOCOL.md §2). */
  resume?: string;
}
/** Where a subscriber stands in a topic: `[topic, epoch, offset of the last message it has]`. */
export type Position = [topic: string, epoch: string, offset: number];

export interface SubscribeMsg {
  type: 'subscribe';
  id: number;
  pattern: string;
  /** Replay the last `rewind` messages of each matching topic before live ones. */
  rewind?: number;
  /**
   * Recovery after a reconnect: replay what each listed topic got after the given offset, and, from
   * topics not listed, what was published at or after `since` (router time, ms since the Unix epoch).
   */
  positions?: Position[];
  since?: number;
}
export interface UnsubscribeMsg {
  type: 'unsubscribe';
  id: number;
  pattern: string;
}
export interface PublishMsg {
  type: 'publish';
  /** Omit for fire-and-forget: no `publish_ack`, errors still come back without an id. */
  id?: number;
  topic: string;
  /**
   * The publish's idempotency key, unique within the client's session (1–64 characters): sent again
   * after a reconnect, the router acknowledges the original publication instead of publishing twice.
   */
  pid?: string;
  payload: RawPayload;
}
export interface PresenceWatchMsg {
  type: 'presence_watch';
  id: number;
  topic: string;
  /** Members per `user` (a user's connections are one member) or per `connection`. Default: the router's. */
  by?: string;
  /** Only the number of members: `presence_state` without members, then `presence_count` as it changes. */
  count?: boolean;
}
export interface PresenceUnwatchMsg {
  type: 'presence_unwatch';
  id: number;
  topic: string;
}
export interface PingMsg {
  type: 'ping';
  id: number;
}

/** This client now provides `method`. */
export interface HandleMsg {
  type: 'handle';
  id: number;
  method: string;
}
export interface UnhandleMsg {
  type: 'unhandle';
  id: number;
  method: string;
}
/** A request from a caller; the payload is the params. */
export interface RequestMsg {
  type: 'request';
  id: number;
  method: string;
  /** How long the caller waits, in milliseconds. Default 10,000. */
  timeout?: number;
  payload: RawPayload;
}
/** The caller gives up on its request `id`. */
export interface CancelMsg {
  type: 'cancel';
  id: number;
  /**
   * Why: `timeout` (the caller's own timer ran out) or `cancelled` (it gave up, e.g. its AbortSignal
   * fired). Absent or any other value means `cancelled`. The provider's `cancel` carries it on.
   */
  reason?: string;
}
/** A provider's result for the router's request `id`; the payload is the result. */
export interface ResponseMsg {
  type: 'response';
  id: number;
  payload: RawPayload;
}
/** A provider's failure for the router's request `id`. */
export interface ResponseErrorMsg {
  type: 'response_error';
  id: number;
  code: string;
  message: string;
  /** Extra detail, encoded with the codec. */
  data?: string;
  stack?: string;
}
export interface ListMethodsMsg {
  type: 'list_methods';
  id: number;
}
/** New credentials for the open connection, before the old ones expire (in-band refresh). */
export interface RefreshMsg {
  type: 'refresh';
  id: number;
  token: string;
}

export type ClientMessage =
  | HelloMsg
  | SubscribeMsg
  | UnsubscribeMsg
  | PublishMsg
  | PresenceWatchMsg
  | PresenceUnwatchMsg
  | PingMsg
  | HandleMsg
  | UnhandleMsg
  | RequestMsg
  | CancelMsg
  | ResponseMsg
  | ResponseErrorMsg
  | ListMethodsMsg
  | RefreshMsg;

// ---- router → client ----

export interface WelcomeMsg {
  type: 'welcome';
  /** The router's heartbeat interval: a client that heard nothing for this long sends `ping`. */
  heartbeatMs: number;
  /** A side that hears nothing from the other for this long considers the connection dead. */
  heartbeatTimeoutMs: number;
  version: number;
  /** The id the router gave this connection. */
  id: string;
  name: string;
  router: PeerRef;
  /** The largest frame, in bytes, the router accepts. */
  maxPayload: number;
  /** Whether the router passes providers' error stacks on to callers (providers send them only then). */
  errorStacks?: boolean;
  /** A secret token: sent back as `hello.resume` after a reconnect, it keeps this `id`. */
  resume?: string;
  /** How long the router remembers a publish `pid` (exactly-once publish), in ms; absent: it does not. */
  dedupeMs?: number;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  /** When the connection's credentials expire, ms since the Unix epoch: refresh before then. */
  expiresAt?: number;
}
/** Why a subscription could not recover everything it missed. */
export const RecoveryReason = {
  /** The topic's epoch changed (the router restarted, or the topic was reset): offsets restarted. */
  EPOCH_CHANGED: 'epoch_changed',
  /** Messages the subscriber missed are no longer in the topic's history. */
  HISTORY_EVICTED: 'history_evicted',
} as const;
export type RecoveryReason = (typeof RecoveryReason)[keyof typeof RecoveryReason];

export interface SubscribedMsg {
  type: 'subscribed';
  id: number;
  pattern: string;
  /** Router time of the subscription, ms since the Unix epoch: the client's `since` next time. */
  at: number;
  /** With `positions`/`since`: whether everything missed was replayed. */
  recovered?: boolean;
  /** Why not, when `recovered` is false. */
  reason?: string;
  /** The topics with a gap, when `recovered` is false. */
  gaps?: string[];
}
export interface UnsubscribedMsg {
  type: 'unsubscribed';
  id: number;
  pattern: string;
}
export interface PublishAckMsg {
  type: 'publish_ack';
  id: number;
  topic: string;
  epoch: string;
  offset: number;
}
export interface MessageMsg {
  type: 'message';
  topic: string;
  epoch: string;
  offset: number;
  /** When the router accepted the publish, in milliseconds since the Unix epoch. */
  at: number;
  from: PeerRef;
  /** Set on messages replayed from history: the id of the `subscribe` that asked for them. */
  replay?: number;
  payload: RawPayload;
}
export interface PresenceStateMsg {
  type: 'presence_state';
  id: number;
  topic: string;
  /** The members (of this page, when the snapshot comes in pages), in the order they joined. */
  members: MemberWire[];
  /** How many members the topic has in all (every page carries it). */
  count?: number;
  /** More pages of this snapshot follow: the members arrive in several `presence_state` with the same `id`. */
  more?: boolean;
}
export interface PresenceJoinMsg {
  type: 'presence_join';
  topic: string;
  member: MemberWire;
}
export interface PresenceLeaveMsg {
  type: 'presence_leave';
  topic: string;
  member: MemberWire;
  reason: string;
}
/** A count-only watch's number of members changed (at most one per topic per `presenceCountIntervalMs`). */
export interface PresenceCountMsg {
  type: 'presence_count';
  topic: string;
  count: number;
}
export interface PresenceUnwatchedMsg {
  type: 'presence_unwatched';
  id: number;
  topic: string;
}
export interface PongMsg {
  type: 'pong';
  id: number;
}
export interface ErrorMsg {
  type: 'error';
  /** The id of the message this answers, when it had one. */
  id?: number;
  code: string;
  message: string;
  /** With `ENGINE_UNAVAILABLE` or `RATE_LIMITED`: milliseconds until trying again may succeed. */
  retryAfterMs?: number;
  /** With `PERMISSION_DENIED`: the operation refused (`publish`, `subscribe`, `history`...). */
  operation?: string;
  /** With `PERMISSION_DENIED`: the topic, pattern or method it was refused on. */
  subject?: string;
}

export interface HandledMsg {
  type: 'handled';
  id: number;
  method: string;
}
export interface UnhandledMsg {
  type: 'unhandled';
  id: number;
  method: string;
}
/** A request for this client as provider; `id` is the router's; the payload is the params. */
export interface IncomingRequestMsg {
  type: 'request';
  id: number;
  method: string;
  caller: CallerWire;
  /** Milliseconds until the router gives up on it. */
  timeout: number;
  payload: RawPayload;
}
/** The router gave up on its request `id` to this provider. */
export interface IncomingCancelMsg {
  type: 'cancel';
  id: number;
  reason: string;
}
/** The result of this client's request `id`; the payload is the result. */
export interface IncomingResponseMsg {
  type: 'response';
  id: number;
  payload: RawPayload;
}
/** The provider of this client's request `id` failed. */
export interface IncomingResponseErrorMsg {
  type: 'response_error';
  id: number;
  code: string;
  message: string;
  data?: string;
  stack?: string;
}
export interface MethodsMsg {
  type: 'methods';
  id: number;
  methods: MethodWire[];
}
/** The router accepted a `refresh`: the new permissions apply, and the credentials expire at `expiresAt`. */
export interface RefreshedMsg {
  type: 'refreshed';
  id: number;
  /** Ms since the Unix epoch; absent when the new credentials do not expire. */
  expiresAt?: number;
}
/**
 * The router ended something the connection had, because its permissions no longer allow it:
 * `operation` is `subscribe` (the subscription to `subject` ended), `watch` or `handle`.
 */
export interface RevokedMsg {
  type: 'revoked';
  operation: string;
  subject: string;
  /** Why: `permission_revoked`. */
  reason: string;
}

export type ServerMessage =
  | WelcomeMsg
  | SubscribedMsg
  | UnsubscribedMsg
  | PublishAckMsg
  | MessageMsg
  | PresenceStateMsg
  | PresenceJoinMsg
  | PresenceLeaveMsg
  | PresenceCountMsg
  | PresenceUnwatchedMsg
  | PongMsg
  | ErrorMsg
  | HandledMsg
  | UnhandledMsg
  | IncomingRequestMsg
  | IncomingCancelMsg
  | IncomingResponseMsg
  | IncomingResponseErrorMsg
  | MethodsMsg
  | RefreshedMsg
  | RevokedMsg;

export type AnyMessage = ClientMessage | ServerMessage;
export type ClientMessageType = ClientMessage['type'];
export type ServerMessageType = ServerMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;

/** Compile-time exhaustiveness check for `switch` statements over message types. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
