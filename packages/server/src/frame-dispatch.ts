/**
 * Frames from clients: decoded, checked against the connection's state and limits, and each
 * message type handed to its handler (the exhaustive switch of {@link dispatch}).
 */
import { type ClientMessage, CloseCode, ErrorCode, type HeraldError, type ProtocolError, assertNever, decodeClientFrame, isTopic } from '@herald/protocol';
import { protocolError } from './client-errors.js';
import { onPublish } from './client-publish.js';
import type { Connection } from './connection.js';
import { refuseOverLimit } from './connection-limits.js';
import { bytesToText } from './frames.js';
import { firstFrameRefusalCode } from './hello.js';
import { MAX_HELLO_FRAME } from './hello-handshake.js';
import type { Hub } from './hub.js';
import { onSubscribe, onUnsubscribe, onUnwatch, onWatch } from './subscribe-path.js';
import { onRefresh } from './token-refresh.js';

/** A frame from a client (ws's `message` event, run in the connection's order). */
export function onFrame(hub: Hub, connection: Connection, data: Buffer, isBinary: boolean): Promise<void> | void {
  if (connection.state === 'closed') return;
  if (isBinary) {
    const message = 'herald.v1 uses text frames only';
    if (connection.state === 'hello') connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_INVALID_FRAME, message);
    else protocolError(hub, connection, ErrorCode.PROTOCOL_INVALID_FRAME, message);
    return;
  }
  const decoded = decodeClientFrame(data);
  if (!decoded.ok) {
    rejectFrame(hub, connection, decoded.error, data);
    return;
  }
  const message = decoded.value;
  if (connection.state === 'hello') {
    if (data.length > MAX_HELLO_FRAME) return connection.close(CloseCode.MESSAGE_TOO_BIG, ErrorCode.HELLO_INVALID, `frames before the welcome are at most ${MAX_HELLO_FRAME} bytes`);
    if (message.type === 'hello') return hub.handshake.onHello(connection, message);
    connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED, 'the first message must be hello');
    return;
  }
  if (refuseOverLimit(connection, message, data.length, hub.options.limits)) return hub.observer?.rateLimited(message.type);
  return dispatch(hub, connection, message);
}

function dispatch(hub: Hub, connection: Connection, message: ClientMessage): Promise<void> | void {
  switch (message.type) {
    case 'hello':
      connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_HELLO_REQUIRED, 'hello was already received');
      return;
    case 'subscribe':
      return onSubscribe(hub, connection, message);
    case 'unsubscribe':
      return onUnsubscribe(hub, connection, message.id, message.pattern);
    case 'publish':
      onPublish(hub, connection, message.topic, message.payload as Uint8Array, message.id, message.pid);
      return;
    case 'presence_watch':
      return onWatch(hub, connection, message.id, message.topic, message.by, message.count === true);
    case 'presence_unwatch':
      return onUnwatch(hub, connection, message.id, message.topic);
    case 'ping':
      connection.sendMessage({ type: 'pong', id: message.id });
      return;
    case 'handle': {
      if (isTopic(message.method) && !hub.access.allowed(connection, 'handle', message.method, message.id)) return;
      const problem = hub.requests.providers.provide(connection, message.method);
      if (problem === undefined) connection.sendMessage({ type: 'handled', id: message.id, method: message.method });
      else if (problem.code === ErrorCode.HANDLER_LIMIT) connection.sendError(problem.code, problem.message, message.id);
      else protocolError(hub, connection, problem.code, problem.message, message.id);
      return;
    }
    case 'unhandle':
      hub.requests.providers.unprovide(connection, message.method);
      connection.sendMessage({ type: 'unhandled', id: message.id, method: message.method });
      return;
    case 'request': {
      if (isTopic(message.method) && !hub.access.allowed(connection, 'call', message.method, message.id)) return;
      const payload = bytesToText(message.payload as Uint8Array);
      const refuse = (error: HeraldError): void => connection.sendError(error.code, error.message, message.id);
      hub.contracts.request(connection, message.method, payload, () => onRequest(hub, connection, message, payload), refuse);
      return;
    }
    case 'cancel':
      hub.requests.cancel(connection, message.id, message.reason);
      return;
    case 'response':
      hub.requests.respond(connection, message.id, bytesToText(message.payload as Uint8Array));
      return;
    case 'response_error':
      hub.requests.respondError(connection, message.id, message);
      return;
    case 'refresh':
      return onRefresh(hub, connection, message.id, message.token);
    case 'list_methods':
      connection.sendMessage({
        type: 'methods',
        id: message.id,
        methods: hub.requests.providers.methods().filter(({ method }) => connection.permissions.allows('call', method)),
      });
      return;
    default:
      assertNever(message);
  }
}

function rejectFrame(hub: Hub, connection: Connection, error: ProtocolError, data: Buffer): void {
  if (connection.state === 'hello') {
    connection.close(CloseCode.PROTOCOL_VIOLATION, firstFrameRefusalCode(data, error), error.message);
    return;
  }
  protocolError(hub, connection, error.code, error.message, error.id);
}

function onRequest(hub: Hub, connection: Connection, message: Extract<ClientMessage, { type: 'request' }>, payload: string): void {
  if (connection.state === 'closed') return;
  const refusal = hub.requests.request(connection, message.id, message.method, message.timeout, payload);
  if (refusal === undefined) return;
  hub.observer?.requestRefused(refusal.code);
  if (PROTOCOL_REFUSALS.has(refusal.code)) protocolError(hub, connection, refusal.code, refusal.message, message.id);
  else connection.sendError(refusal.code, refusal.message, message.id);
}

/** Refusals of a request that are the caller's fault: they count towards `maxProtocolErrors`. */
const PROTOCOL_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.METHOD_INVALID,
  ErrorCode.PAYLOAD_INVALID,
  ErrorCode.PROTOCOL_INVALID_MESSAGE,
]);
