/**
 * The router's side of heartbeats: every interval, each connection that was silent for the timeout
 * is dropped, and the others get a WebSocket ping (browsers and ws answer it without the app).
 * Silence is counted in whole intervals from the first tick after the last word (any frame or
 * pong: on a `ws` socket, any bytes read from its TCP socket), so a client is cut between the
 * timeout and the timeout plus one interval, never before.
 */
import type { Connection } from './connection.js';

/** Starts the heartbeat over `connections`; returns the function that stops it. */
export function startHeartbeat(
  connections: ReadonlyMap<string, Connection>,
  intervalMs: number,
  timeoutMs: number,
  onSilent: (connection: Connection) => void,
): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    for (const connection of connections.values()) {
      if (connection.takeHeard()) connection.silentMs = 0;
      else connection.silentMs += intervalMs;
      if (connection.silentMs >= timeoutMs) onSilent(connection);
      else connection.socket.ping();
    }
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
