/**
 * The WebSocket `connect` uses when the options name none: `ws` in Node (through isomorphic-ws),
 * the global `WebSocket` elsewhere. Browser builds resolve `#default-websocket` to
 * default-websocket.browser.ts (package.json `imports`), which takes the global directly: a page
 * then carries neither isomorphic-ws's lookup nor the bundler's CommonJS wrapper around it.
 */
import IsomorphicWebSocket from 'isomorphic-ws';
import type { WebSocketConstructor } from './socket.js';

/** An event handler property: the link assigns its handlers, and null to drop one. */
type Handler = ((event: unknown) => void) | null;

/** Text or binary data as `ws` hands it to its listeners (a Buffer: `toString()` decodes UTF-8). */
interface WsData {
  toString(): string;
}

/** The part of `ws`'s WebSocket (an EventEmitter) that {@link NodeWebSocket} uses. */
interface WsSocket {
  on(event: 'open', listener: (this: NodeWebSocket) => void): this;
  on(event: 'message', listener: (this: NodeWebSocket, data: WsData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (this: NodeWebSocket, code: number, reason: WsData) => void): this;
  on(event: 'error', listener: (this: NodeWebSocket, error: Error) => void): this;
}

const Ws = IsomorphicWebSocket as unknown as new (url: string, protocols: string | string[] | undefined, options: { perMessageDeflate: boolean }) => WsSocket;

// The listeners of every socket: functions of the module (`ws` calls them with the socket as
// `this`), so that a socket costs no closures. The events carry what the link reads (socket.ts).
function opened(this: NodeWebSocket): void {
  this.onopen?.({ type: 'open', target: this });
}
function received(this: NodeWebSocket, data: WsData, isBinary: boolean): void {
  this.onmessage?.({ type: 'message', target: this, data: isBinary ? data : data.toString() });
}
function closed(this: NodeWebSocket, code: number, reason: WsData): void {
  this.onclose?.({ type: 'close', target: this, code, reason: reason.toString() });
}
function failed(this: NodeWebSocket, error: Error): void {
  this.onerror?.({ type: 'error', target: this, error, message: error.message });
}

/**
 * `ws`, as the link uses it, for less CPU per connect (issue 16):
 * - Without the permessage-deflate offer. A Herald router never accepts the extension (it runs
 *   `ws` with `perMessageDeflate: false`), so offering it only cost each connect: `ws` built a
 *   deflate offer, wrote its header and read the answer's.
 * - `onopen`, `onmessage`, `onclose` and `onerror` are plain properties, read by one listener per
 *   event added when the socket is made. `ws`'s own are accessors that wrap each handler in a new
 *   listener (and each event in a new Event object): about 4 µs per connect for the link's four.
 * A WebSocket passed as `connect(url, { WebSocket })` is used as it is.
 */
class NodeWebSocket extends Ws {
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;

  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
    this.on('open', opened);
    this.on('message', received);
    this.on('close', closed);
    this.on('error', failed);
  }
}

/** `ws` in Node (see {@link NodeWebSocket}); the global `WebSocket` in browsers, Deno and Bun. */
export const defaultWebSocket = NodeWebSocket as unknown as WebSocketConstructor;
