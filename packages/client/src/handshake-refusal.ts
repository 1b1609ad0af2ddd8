/**
 * Node's `ws` exposes the HTTP response of a refused handshake; browsers hide it. Browser builds
 * resolve `#handshake-refusal` to handshake-refusal.browser.ts (package.json `imports`), which
 * does nothing: a page never has `ws`, so it carries none of this.
 */
import type { HandshakeRefusal, SocketLike } from './socket.js';

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
