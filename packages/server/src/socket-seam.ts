/**
 * What the router needs of a socket: the part of `ws`'s server-side WebSocket it uses. A socket
 * that is not `ws` (an in-memory one, for tests: `@herald/testkit`'s memory transport) is handed
 * to `router.acceptSocket()` with this surface. Events: `message` (data, isBinary), `pong`,
 * `close` (code, reason as a Buffer), `error`.
 */
export interface AcceptedSocket {
  /** `WebSocket.OPEN` (1) while open, then 2 (closing) and 3 (closed). */
  readonly readyState: number;
  /** Bytes queued and not yet sent (0 for a socket that hands frames over at once). */
  readonly bufferedAmount: number;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'pong', listener: () => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  send(data: string, options?: unknown, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
}
