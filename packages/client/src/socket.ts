/**
 * The slice of the WebSocket API the client uses: the standard browser interface, which Node's `ws`
 * also implements. Any implementation with this shape can be passed as `connect(url, { WebSocket })`.
 */
import IsomorphicWebSocket from 'isomorphic-ws';

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

export const defaultWebSocket = IsomorphicWebSocket as unknown as WebSocketConstructor;

/** `WebSocket.OPEN`. */
export const OPEN = 1;

/** What Node's `ws` tells about a refused handshake (HTTP status and Herald's error header). */
export interface HandshakeRefusal {
  status: number;
  code: string | undefined;
}

interface NodeWebSocket {
  on(event: 'unexpected-response', listener: (request: unknown, response: NodeResponse) => void): void;
  terminate(): void;
}
interface NodeResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  resume(): void;
}

/**
 * In Node, `ws` exposes the HTTP response of a refused handshake; browsers hide it. When the
 * socket is `ws`, report the refusal (status, `X-Herald-Error` code) before the socket fails.
 */
export function onHandshakeRefusal(socket: SocketLike, report: (refusal: HandshakeRefusal) => void): void {
  const node = socket as unknown as Partial<NodeWebSocket>;
  if (typeof node.on !== 'function' || typeof node.terminate !== 'function') return;
  node.on('unexpected-response', (_request, response) => {
    const header = response.headers['x-herald-error'];
    report({ status: response.statusCode ?? 0, code: typeof header === 'string' ? header : undefined });
    response.resume();
    node.terminate!();
  });
}
