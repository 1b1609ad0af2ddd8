export { Client, type ClientEvents, type MethodInfo, type PublishAck } from './client.js';
export { connect } from './connect.js';
export { REQUEST_OPTION_RANGES, SUBSCRIBE_OPTION_RANGES } from './call-options.js';
export { CONNECT_OPTION_PAIRS, CONNECT_OPTION_RANGES, type ConnectOptions } from './connect-options.js';
export type { RequestOptions } from './requests.js';
export { backoffDelay } from './backoff.js';
export type { HandlerRegistration, RequestContext, RequestHandler } from './handlers.js';
export type { ReconnectOptions } from './link.js';
export { type Member, Presence, type PresenceEvents } from './presence.js';
export type { SocketCloseEvent, SocketLike, WebSocketConstructor } from './socket.js';
export { type ClientState, type ReconnectAttempt, type StateChange, type StateChangeReason, TRANSITIONS } from './state.js';
export {
  type Delivery,
  type MessageHandler,
  type MessageMeta,
  type Recovery,
  type SubscribeOptions,
  Subscription,
  type SubscriptionEvents,
  type SubscriptionState,
} from './subscription.js';
export {
  CloseCode,
  ConnectionError,
  type Contract,
  type ContractDefinition,
  type DefaultSchema,
  ErrorCode,
  HeraldError,
  type HeraldSchema,
  ProtocolError,
  RemoteError,
  type SchemaOf,
  SubscriptionError,
  TimeoutError,
  ValidationError,
  type ValidationIssue,
  createJsonCodec,
  defineContract,
  createSuperjsonCodec,
  isHeraldError,
  jsonCodec,
  superjsonCodec,
  type Codec,
} from '@herald/protocol';
