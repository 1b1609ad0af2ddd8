import { ROUTER_PATH } from './topics.js';

/**
 * The router's WebSocket URL on the server `base` came from: `http://host:port/...` becomes
 * `ws://host:port/herald` (`https` becomes `wss`).
 */
export function routerUrl(base: string): string {
  const url = new URL(ROUTER_PATH, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
