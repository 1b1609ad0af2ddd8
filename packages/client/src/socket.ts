/**
 * The slice of the WebSocket API the client uses: the standard browser interface, which Node's `ws`
 * also implements. Any implementation with this shape can be passed as `connect(url, { WebSocket })`.
 */
export interface SocketCloseEvent {
  code: number;
  reason: string;
}

/**
 * An event handler property. Checked bivariantly (the "bivariance hack"), so that the browser's own
 * `WebSocket`, whose handlers take `Event`, `MessageEvent` and `CloseEvent`, fits this interface.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface SocketLike {
  readonly readyState: number;
  /** The subprotocol the server selected. */
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<SocketCloseEvent> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket constructor: the global `WebSocket` in browsers, `ws` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

/** `WebSocket.OPEN`. */
export const OPEN = 1;
