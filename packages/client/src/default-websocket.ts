/**
 * The WebSocket `connect` uses when the options name none: `ws` in Node (through isomorphic-ws),
 * the global `WebSocket` elsewhere. Browser builds resolve `#default-websocket` to
 * default-websocket.browser.ts (package.json `imports`), which takes the global directly: a page
 * then carries neither isomorphic-ws's lookup nor the bundler's CommonJS wrapper around it.
 */
import IsomorphicWebSocket from 'isomorphic-ws';
import type { WebSocketConstructor } from './socket.js';

/**
 * `ws` without the permessage-deflate offer. A Herald router never accepts the extension (it runs
 * `ws` with `perMessageDeflate: false`: payloads are small and a deflate context per connection
 * costs memory), so offering it only costs each connect: `ws` builds a deflate offer, writes its
 * header and reads the answer's, about 5 µs of client CPU per connect (issue 16). A WebSocket
 * passed as `connect(url, { WebSocket })` is used as it is.
 */
class NodeWebSocket extends IsomorphicWebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** `ws` in Node (without the permessage-deflate offer); the global `WebSocket` in browsers, Deno and Bun. */
export const defaultWebSocket = NodeWebSocket as unknown as WebSocketConstructor;
