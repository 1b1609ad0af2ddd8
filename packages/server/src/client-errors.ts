/**
 * How the hub answers a client's operation that failed: a bad message (counted towards
 * `maxProtocolErrors`), or an engine that failed under it (`ENGINE_UNAVAILABLE` with its retry
 * hint, else `INTERNAL_ERROR`, also told to the router's `error` event).
 */
import { CloseCode, ErrorCode, HeraldError, isHeraldError } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';

/** Answers a bad message with a coded error; past `maxProtocolErrors`, closes the connection. */
export function protocolError(hub: Hub, connection: Connection, code: string, message: string, id?: number): void {
  connection.protocolErrors++;
  hub.logger.log('debug', 'protocol error', { id: connection.id, name: connection.name, code, message });
  if (connection.protocolErrors > hub.options.maxProtocolErrors) {
    hub.logger.log('warn', 'closing a client that sent too many bad messages', { id: connection.id, name: connection.name, code });
    connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.PROTOCOL_TOO_MANY_ERRORS, `more than ${hub.options.maxProtocolErrors} protocol errors`);
    return;
  }
  connection.sendError(code, message, id);
}

/** The engine failed to do `operation` for the client: tells it (and the `error` event) with a code. */
export function internalError(hub: Hub, connection: Connection, operation: string, cause: unknown, id: number | undefined): void {
  if (isHeraldError(cause, ErrorCode.ENGINE_UNAVAILABLE)) {
    // Redis is unreachable: nothing was done; the client may retry after the hint.
    const retryAfterMs = (cause as { retryAfterMs?: unknown }).retryAfterMs;
    return connection.sendError(cause.code, cause.message, id, typeof retryAfterMs === 'number' ? retryAfterMs : undefined);
  }
  const error = new HeraldError(ErrorCode.INTERNAL_ERROR, `the router's engine failed to ${operation}`, { cause, retryable: true });
  hub.logger.log('error', `engine ${operation} failed`, { id: connection.id, error: String(cause) });
  hub.events.error(error, connection.state === 'open' ? connection.snapshot() : undefined);
  connection.sendError(error.code, error.message, id);
}

/** An engine call nobody waits on the outcome of: a failure is logged, never thrown. */
export function engineCall(logger: Logger, promise: Promise<unknown>, operation: string): Promise<void> {
  return promise.then(
    () => undefined,
    (cause: unknown) => logger.log('error', `engine ${operation} failed`, { error: String(cause) }),
  );
}
