/** Browser builds: the page's own `WebSocket` (see default-websocket.ts). */
import type { WebSocketConstructor } from './socket.js';

/** The global `WebSocket`. */
export const defaultWebSocket = globalThis.WebSocket as unknown as WebSocketConstructor;
