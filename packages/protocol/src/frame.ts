/**
 * Frames: `header [LF payload]`. The header is one line of JSON (an object with `type`); the payload,
 * when the message has one, is the rest of the frame, encoded by the negotiated codec. A router can
 * route a message by parsing its header alone and forward the payload bytes untouched.
 */
import { ProtocolError, VERBOSE_ERRORS } from './errors.js';
import type {
  AnyMessage,
  ClientMessage,
  ClientMessageType,
  RawPayload,
  ServerMessage,
  ServerMessageType,
} from './messages.js';
// The message header fast path, left out of browser builds (package.json `imports`, message-frame.ts).
import { readMessageFrame } from '#message-frame';
import { type Result, err, ok } from './result.js';

/** Line feed: separates the header from the payload. JSON.stringify never emits a raw one. */
const LF = 10;

/**
 * Field kinds, one letter each: `s` string, `i` request id (safe non-negative integer), `n` finite
 * number, `u` safe non-negative integer, `b` boolean, `p` peer {id, name}, `c` caller {id, name,
 * info?}, `m` a MemberWire, `M` MemberWire[], `t` MethodWire[] (methods), `S` string[], `P`
 * Position[] ([topic, epoch, offset] tuples); inside those, `o` a method entry {method, providers}
 * and `A` an array of peers. A trailing `?` makes the field optional.
 */
type FieldKind = 's' | 'i' | 'n' | 'u' | 'b' | 'p' | 'c' | 'm' | 'M' | 't' | 'S' | 'P' | 'o' | 'A';
type FieldSpec = FieldKind | `${FieldKind}?`;
interface MessageSpec {
  /** Each field's kind, by field name. */
  fields: Readonly<Record<string, FieldSpec>>;
  payload: boolean;
  /** `fields` read once, for the decoder's loop: no per-frame `Object.entries` or string slicing. */
  rules: readonly FieldRule[];
}
interface FieldRule {
  name: string;
  kind: FieldKind;
  optional: boolean;
}

/**
 * A message's fields from their compact form: `name:kind` words separated by spaces, where a bare
 * `name` is a required string (`'id:i topic replay:i?'`). The tables below stay short text in a
 * browser page. Marked pure: an app that never decodes one direction's messages drops that table.
 */
const spec = (text: string, payload = false): MessageSpec => {
  const fields: Record<string, FieldSpec> = {};
  const rules = text.split(' ').map((word) => {
    const [name, rule = 's'] = word.split(':') as [string, string?];
    fields[name] = rule as FieldSpec;
    return { name, kind: rule[0] as FieldKind, optional: rule.length > 1 };
  });
  return { fields, payload, rules };
};

/** Field rules of every client → router message. */
export const CLIENT_MESSAGE_SPECS: Readonly<Record<ClientMessageType, MessageSpec>> = {
  hello: /* @__PURE__ */ spec('name:s? info:s? token:s? resume:s?'),
  subscribe: /* @__PURE__ */ spec('id:i pattern rewind:u? positions:P? since:n?'),
  unsubscribe: /* @__PURE__ */ spec('id:i pattern'),
  publish: /* @__PURE__ */ spec('id:i? topic pid:s?', true),
  presence_watch: /* @__PURE__ */ spec('id:i topic by:s? count:b?'),
  presence_unwatch: /* @__PURE__ */ spec('id:i topic'),
  ping: /* @__PURE__ */ spec('id:i'),
  handle: /* @__PURE__ */ spec('id:i method'),
  unhandle: /* @__PURE__ */ spec('id:i method'),
  request: /* @__PURE__ */ spec('id:i method timeout:u?', true),
  cancel: /* @__PURE__ */ spec('id:i reason:s?'),
  response: /* @__PURE__ */ spec('id:i', true),
  response_error: /* @__PURE__ */ spec('id:i code message data:s? stack:s?'),
  list_methods: /* @__PURE__ */ spec('id:i'),
  refresh: /* @__PURE__ */ spec('id:i token'),
};

/** Field rules of every router → client message. */
export const SERVER_MESSAGE_SPECS: Readonly<Record<ServerMessageType, MessageSpec>> = {
  welcome: /* @__PURE__ */ spec(
    'version:u id name router:p maxPayload:u heartbeatMs:u heartbeatTimeoutMs:u errorStacks:b? resume:s? dedupeMs:u? user:s? expiresAt:n?',
  ),
  subscribed: /* @__PURE__ */ spec('id:i pattern at:n recovered:b? reason:s? gaps:S?'),
  unsubscribed: /* @__PURE__ */ spec('id:i pattern'),
  publish_ack: /* @__PURE__ */ spec('id:i topic epoch offset:u'),
  message: /* @__PURE__ */ spec('topic epoch offset:u at:n from:p replay:i?', true),
  presence_state: /* @__PURE__ */ spec('id:i topic members:M count:u? more:b?'),
  presence_join: /* @__PURE__ */ spec('topic member:m'),
  presence_leave: /* @__PURE__ */ spec('topic member:m reason'),
  presence_count: /* @__PURE__ */ spec('topic count:u'),
  presence_unwatched: /* @__PURE__ */ spec('id:i topic'),
  pong: /* @__PURE__ */ spec('id:i'),
  error: /* @__PURE__ */ spec('id:i? code message retryAfterMs:u? operation:s? subject:s?'),
  handled: /* @__PURE__ */ spec('id:i method'),
  unhandled: /* @__PURE__ */ spec('id:i method'),
  request: /* @__PURE__ */ spec('id:i method caller:c timeout:u', true),
  cancel: /* @__PURE__ */ spec('id:i reason'),
  response: /* @__PURE__ */ spec('id:i', true),
  response_error: /* @__PURE__ */ spec('id:i code message data:s? stack:s?'),
  methods: /* @__PURE__ */ spec('id:i methods:t'),
  refreshed: /* @__PURE__ */ spec('id:i expiresAt:n?'),
  revoked: /* @__PURE__ */ spec('operation subject reason'),
};

const encoder = /* @__PURE__ */ new TextEncoder();
// ignoreBOM keeps a leading BOM, so bytes and text refuse it alike (JSON.parse does).
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodes one message as a frame: a string, or bytes when the payload is bytes. */
export function encodeFrame(message: AnyMessage): RawPayload {
  const payload = (message as { payload?: RawPayload }).payload;
  if (!('payload' in message) || typeof payload === 'string') return encodeTextFrame(message as TextMessage);
  const { payload: _, ...header } = message as AnyMessage & { payload: Uint8Array };
  return joinBytes(encoder.encode(`${JSON.stringify(header)}\n`), payload as Uint8Array);
}

/** A message whose payload, if it has one, is text: what a client sends (its codec writes text). */
export type TextMessage = AnyMessage & { payload?: string };

/**
 * {@link encodeFrame} for a message whose payload is text, as a string: what the client uses, so
 * that a page carries no bytes path.
 */
export function encodeTextFrame(message: TextMessage): string {
  if (!('payload' in message)) return JSON.stringify(message);
  const { payload, ...header } = message;
  return `${JSON.stringify(header)}\n${payload}`;
}

/** Concatenates two byte arrays. */
export function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Decodes a frame sent by a client. Never throws. */
export function decodeClientFrame(input: RawPayload): Result<ClientMessage, ProtocolError> {
  return decodeFrame(input, CLIENT_MESSAGE_SPECS) as Result<ClientMessage, ProtocolError>;
}

/**
 * Decodes a frame sent by a router. Never throws. Outside browser builds, a `message` frame in the
 * router's own layout is read without parsing its header (message-frame.ts); every other frame,
 * and every frame the fast path does not take, goes through the general decoder.
 */
export function decodeServerFrame(input: RawPayload): Result<ServerMessage, ProtocolError> {
  return typeof input === 'string' ? decodeServerText(input) : (decodeFrame(input, SERVER_MESSAGE_SPECS) as Result<ServerMessage, ProtocolError>);
}

/** {@link decodeServerFrame} for a text frame (what the client reads: a router sends text). */
export function decodeServerText(input: string): Result<ServerMessage, ProtocolError> {
  if (readMessageFrame !== undefined) {
    const message = readMessageFrame(input);
    if (message !== undefined) return { ok: true, value: message };
  }
  return decodeText(input, SERVER_MESSAGE_SPECS) as Result<ServerMessage, ProtocolError>;
}

/** @internal {@link decodeServerFrame} without its fast path: what the differential test compares it with. */
export function decodeServerFrameGeneral(input: RawPayload): Result<ServerMessage, ProtocolError> {
  return decodeFrame(input, SERVER_MESSAGE_SPECS) as Result<ServerMessage, ProtocolError>;
}

/** A frame: its header is UTF-8 up to the first LF (bytes), or the text up to it. */
function decodeFrame(input: RawPayload, specs: Readonly<Record<string, MessageSpec>>): Result<AnyMessage, ProtocolError> {
  if (typeof input === 'string') return decodeText(input, specs);
  const lf = input.indexOf(LF);
  let headerText: string;
  try {
    headerText = decoder.decode(lf === -1 ? input : input.subarray(0, lf));
  } catch {
    return invalidFrame(VERBOSE_ERRORS ? 'the header is not valid UTF-8' : '');
  }
  return decodeHeader(headerText, lf === -1 ? undefined : input.subarray(lf + 1), specs);
}

function decodeText(input: string, specs: Readonly<Record<string, MessageSpec>>): Result<AnyMessage, ProtocolError> {
  const lf = input.indexOf('\n');
  return lf === -1 ? decodeHeader(input, undefined, specs) : decodeHeader(input.slice(0, lf), input.slice(lf + 1), specs);
}

/** The header line's fields, checked against the message type's spec, with the payload that followed it. */
function decodeHeader(
  headerText: string,
  payload: RawPayload | undefined,
  specs: Readonly<Record<string, MessageSpec>>,
): Result<AnyMessage, ProtocolError> {
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch {
    return invalidFrame(VERBOSE_ERRORS ? 'the header is not JSON: a frame is one line of JSON, then optionally LF and a payload' : '');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return invalidFrame(VERBOSE_ERRORS ? 'the header must be a JSON object' : '');
  }
  const fields = header as Record<string, unknown>;
  const type = fields.type;
  if (typeof type !== 'string') return invalidFrame(VERBOSE_ERRORS ? 'the header has no string "type"' : '');
  const id = isRequestId(fields.id) ? fields.id : undefined;
  const messageSpec = Object.hasOwn(specs, type) ? specs[type] : undefined;
  if (messageSpec === undefined) {
    return fail('PROTOCOL_UNKNOWN_TYPE', VERBOSE_ERRORS ? `unknown message type "${type.slice(0, 64)}"` : type.slice(0, 64), id);
  }
  const bad = badField(fields, messageSpec.rules);
  if (bad !== undefined) {
    const subject = `${type}.${bad.name}`;
    return fail('PROTOCOL_INVALID_MESSAGE', VERBOSE_ERRORS ? `${subject} ${fields[bad.name] === undefined ? 'is required' : `must be ${KIND_TEXT[bad.kind]}`}` : subject, id);
  }
  if (messageSpec.payload && payload === undefined) {
    return fail('PROTOCOL_INVALID_MESSAGE', VERBOSE_ERRORS ? `${type} needs a payload after the header line` : type, id);
  }
  if (!messageSpec.payload && payload !== undefined) {
    return fail('PROTOCOL_INVALID_MESSAGE', VERBOSE_ERRORS ? `${type} takes no payload` : type, id);
  }
  if (payload !== undefined) fields.payload = payload;
  // A header field named payload is not a payload. Deleting a property that is not there still
  // calls into V8's runtime: only when there is one.
  else if (fields.payload !== undefined) delete fields.payload;
  return ok(fields as unknown as AnyMessage);
}

function invalidFrame(message: string): Result<never, ProtocolError> {
  return err(new ProtocolError('PROTOCOL_INVALID_FRAME', message));
}

function fail(code: string, message: string, id: number | undefined): Result<never, ProtocolError> {
  return err(new ProtocolError(code, message, id === undefined ? {} : { id }));
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** What each field kind must be, for the error message (full messages only: VERBOSE_ERRORS). */
const KIND_TEXT: Readonly<Record<FieldKind, string>> = {
  s: 'a string',
  i: 'a non-negative safe integer',
  u: 'a non-negative safe integer',
  n: 'a finite number',
  b: 'a boolean',
  p: '{id: string, name: string}',
  c: '{id: string, name: string, info?: string}',
  t: 'an array of {method, providers}',
  S: 'an array of strings',
  P: 'an array of [topic, epoch, offset]',
  m: 'a member {id, name, info?, connectedAt}',
  M: 'an array of members',
  o: '{method, providers}',
  A: 'an array of {id, name}',
};

/** The first of `rules` that `fields` breaks (a required field missing, or one of another kind). */
function badField(fields: Record<string, unknown>, rules: readonly FieldRule[]): FieldRule | undefined {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const value = fields[rule.name];
    if (value === undefined ? !rule.optional : !fieldValid(value, rule.kind)) return rule;
  }
  return undefined;
}

/** The objects inside messages, by kind: a peer, a caller, a member, a method entry. */
const OBJECT_RULES: Readonly<Partial<Record<FieldKind, readonly FieldRule[]>>> = {
  p: /* @__PURE__ */ spec('id name').rules,
  c: /* @__PURE__ */ spec('id name info:s?').rules,
  m: /* @__PURE__ */ spec('id name info:s? connectedAt:n').rules,
  o: /* @__PURE__ */ spec('method providers:A').rules,
};

/** The kind of the items of each array kind. */
const ITEM_KIND: Readonly<Partial<Record<FieldKind, FieldKind>>> = { M: 'm', t: 'o', S: 's', A: 'p' };

/** Whether a present field's value is of its kind. */
function fieldValid(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 's':
      return typeof value === 'string';
    case 'i':
    case 'u':
      return isRequestId(value);
    case 'n':
      return typeof value === 'number' && Number.isFinite(value);
    case 'b':
      return typeof value === 'boolean';
    case 'P':
      return Array.isArray(value) && value.every(isPosition);
  }
  const item = ITEM_KIND[kind];
  if (item !== undefined) return Array.isArray(value) && value.every((entry) => fieldValid(entry, item));
  return typeof value === 'object' && value !== null && badField(value as Record<string, unknown>, OBJECT_RULES[kind]!) === undefined;
}

function isPosition(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string' &&
    isRequestId(value[2])
  );
}
