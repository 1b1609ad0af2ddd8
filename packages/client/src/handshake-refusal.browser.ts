/**
 * Browser builds: a browser's WebSocket hides a refused handshake's response (see
 * handshake-refusal.ts), so there is nothing to read.
 */
import type { HandshakeRefusal, SocketLike } from './socket.js';

/** Does nothing in browsers. */
export function onHandshakeRefusal(_socket: SocketLike, _report: (refusal: HandshakeRefusal) => void): void {}
