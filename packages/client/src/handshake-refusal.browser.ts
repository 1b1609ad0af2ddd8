/**
 * Browser builds: a browser's WebSocket hides a refused handshake's response and the cause of a
 * failure (its error event carries neither; see handshake-refusal.ts), so there is nothing to read.
 */
import type { AttemptDiagnosis } from './handshake-refusal.js';
import type { SocketLike } from './socket.js';

export type { AttemptDiagnosis } from './handshake-refusal.js';

/** Closes the socket: a browser's WebSocket cannot drop a connection without its closing handshake. */
export function dropSocket(socket: SocketLike): void {
  socket.close();
}

/** Reads nothing in browsers. */
export function diagnoseAttempt(_socket: SocketLike, _url: string, _diagnosis: AttemptDiagnosis): void {}
