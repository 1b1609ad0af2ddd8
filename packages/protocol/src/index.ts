export { toBase64, fromBase64 } from './base64.js';
export { CloseCode, isAuthClose, isRetryableClose, clampCloseReason } from './close-codes.js';
export {
  type Codec,
  type DecodeLimits,
  DEFAULT_MAX_ANNOTATIONS,
  DEFAULT_MAX_DEPTH,
  selectCodec,
  subprotocolFor,
  transcode,
} from './codec.js';
export {
  type Contract,
  type ContractDefinition,
  MAX_NAMED_ISSUES,
  type MethodContract,
  type Refusal,
  type SchemaOf,
  type SchemaOfDefinition,
  ValidationError,
  type ValidationIssue,
  type ValidationOutcome,
  defineContract,
  describeIssues,
} from './contract.js';
export { Emitter, type EventMap } from './emitter.js';
export {
  ConnectionError,
  ErrorCode,
  HeraldError,
  type HeraldErrorOptions,
  ProtocolError,
  RemoteError,
  SubscriptionError,
  TimeoutError,
  VERBOSE_ERRORS,
  type WireError,
  isHeraldError,
} from './errors.js';
export { type HandlerFailure, handlerFailure } from './handler-failure.js';
export {
  CLIENT_MESSAGE_SPECS,
  SERVER_MESSAGE_SPECS,
  decodeClientFrame,
  decodeServerFrame,
  decodeServerText,
  encodeFrame,
  encodeTextFrame,
  joinBytes,
  type TextMessage,
} from './frame.js';
export { HELLO_SUBPROTOCOL_PREFIX, MAX_HELLO_SUBPROTOCOL, decodeHelloSubprotocol, helloSubprotocol } from './hello-subprotocol.js';
export { createJsonCodec, jsonCodec } from './json-codec.js';
export type { MessageMeta } from './message-meta.js';
export { MAX_TIMER_MS, type OptionRange, type OptionSpec, type OptionTable, checkOptions, inOptionRange, optionInvalid } from './option-ranges.js';
export { type OptionPair, checkOptionPairs } from './option-pairs.js';
export * from './messages.js';
export { FORBIDDEN_KEYS, isPlainJson, jsonTreeProblem } from './payload-guard.js';
export { type Result, err, ok } from './result.js';
export type {
  Covered,
  DefaultSchema,
  EntriesFor,
  HeraldSchema,
  KnownMethod,
  ParamsOf,
  PatternsOverlap,
  PublishData,
  ResultOf,
  Segments,
  SubscribeData,
} from './schema.js';
export {
  DEFAULT_MAX_BIGINT_LENGTH,
  DEFAULT_MAX_WORK_PER_BYTE,
  type SuperjsonCodecOptions,
  createSuperjsonCodec,
  superjsonCodec,
} from './superjson-codec.js';
export { type GuardReport, type SuperjsonGuardLimits, guardSuperjsonEnvelope } from './superjson-guard.js';
export { BINARY_TYPE_NAMES, type SuperjsonRegistry, registerBinaryTypes } from './superjson-interop.js';
export {
  MAX_TOPIC_LENGTH,
  SINGLE_WILDCARD,
  TAIL_WILDCARD,
  assertPattern,
  assertTopic,
  exceedsCodePoints,
  hasWildcard,
  isPattern,
  isTopic,
  matchPattern,
  methodProblem,
  patternProblem,
  topicProblem,
} from './topic.js';
