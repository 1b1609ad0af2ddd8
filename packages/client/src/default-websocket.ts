/**
 * The WebSocket `connect` uses when the options name none: `ws` in Node (through isomorphic-ws),
 * the global `WebSocket` elsewhere. Browser builds resolve `#default-websocket` to
 * default-websocket.browser.ts (package.json `imports`), which takes the global directly: a page
 * then carries neither isomorphic-ws's lookup nor the bundler's CommonJS wrapper around it.
 */
import IsomorphicWebSocket from 'isomorphic-ws';
import type { WebSocketConstructor } from './socket.js';

/** `ws` in Node; the global `WebSocket` in browsers, Deno and Bun. */
export const defaultWebSocket = IsomorphicWebSocket as unknown as WebSocketConstructor;
