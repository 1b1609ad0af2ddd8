export type { AuthContext, Authenticate, Identity } from './authentication.js';
export type { ClientInfo } from './connection.js';
export { type JwtAuthenticatorOptions, jwtAuthenticator } from './jwt-authenticator.js';
export { JWT_OPTION_RANGES } from './jwt-options.js';
export { ROUTER_CALL_OPTION_RANGES } from './call-options.js';
export type {
  ClusterClient,
  EncodedValue,
  Engine,
  EngineListener,
  HistoryPage,
  HistoryQuery,
  HistoryRule,
  PresenceEvent,
  PresenceMember,
  Publication,
  RemoteMethods,
  RoutedMessage,
  Stamp,
  StampedPublication,
} from './engine.js';
export type { DisconnectDetail, MessageMeta, RouterStats } from './hub.js';
export type { RequestWork } from './requests.js';
export type { PresenceViewStats } from './presence-watchers.js';
export { ENGINE_PROBE_TIMEOUT_MS, type HealthReport } from './health.js';
export type { MetricsOptions } from './metrics.js';
export type { AdminOptions, AdminState } from './admin.js';
export { ADMIN_PERMISSION_SUBJECT } from './admin-access.js';
export { type LogLevel, type Logger, createConsoleLogger, silentLogger } from './logger.js';
export { DEFAULT_HISTORY, MemoryEngine, type MemoryEngineOptions } from './memory-engine.js';
export { MEMORY_ENGINE_OPTION_RANGES } from './memory-engine-options.js';
export { DEFAULT_TOPIC_LIMITS, type TopicLimits, type TopicStats } from './topic-budget.js';
export { ALLOW_EVERYTHING, OPERATIONS, type Operation, type PermissionRules, type Permissions } from './permissions.js';
export type { RequestContext, RequestHandler, RequestOptions } from './requests.js';
export {
  type ClusterClientInfo,
  type HandlerRegistration,
  type Member,
  type MethodInfo,
  type PublishAck,
  Router,
  type RouterEvents,
  type RouterOptions,
  type RouterSubscription,
  createRouter,
} from './router.js';
export { MAX_FRAME_BYTES, MAX_HISTORY_TTL_MS, MAX_OPTION_BYTES, MAX_OPTION_COUNT, ROUTER_OPTION_PAIRS, ROUTER_OPTION_RANGES, checkHistoryPatterns } from './router-options.js';
export { SubscriptionIndex } from './subscription-index.js';
export { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, resolveConnectionLimits } from './connection-limits.js';
export type { RateLimit } from './rate-limit.js';
export { type Contract, type ContractDefinition, type SchemaOf, ValidationError, type ValidationIssue, defineContract } from '@herald/protocol';
export { DEFAULT_LOG_RATE_LIMIT, type LogRateLimit, limitLogRate } from './log-limiter.js';
export type { AcceptedSocket } from './socket-seam.js';
