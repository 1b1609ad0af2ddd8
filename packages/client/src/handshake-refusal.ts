/**
 * Node's `ws` exposes the HTTP response of a refused handshake and the cause of a failed
 * connection; browsers hide both. Browser builds resolve `#handshake-refusal` to
 * handshake-refusal.browser.ts (package.json `imports`), which reads nothing: a page never has
 * `ws`, so it carries none of this.
 */
import { ConnectionError, VERBOSE_ERRORS } from '@herald/protocol';
import type { SocketLike } from './socket.js';

interface NodeWebSocket {
  on(event: 'unexpected-response', listener: (request: unknown, response: NodeResponse) => void): void;
  terminate(): void;
}
interface NodeResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  resume(): void;
}

/** What a failed connection attempt left to tell, for its error. */
export interface AttemptDiagnosis {
  /** The error of a refused handshake (HTTP status, `X-Herald-Error` code). */
  refusal?: ConnectionError | undefined;
  /** What the socket's error event said, for the message of `CONNECTION_FAILED`. */
  failure?: string | undefined;
}

/**
 * When the socket is `ws`, records into `diagnosis` a refused handshake (as the attempt's error:
 * status, `X-Herald-Error` code; retryable from 500 up) before the socket fails, and what its
 * error events say.
 */
export function diagnoseAttempt(socket: SocketLike, url: string, diagnosis: AttemptDiagnosis): void {
  socket.onerror = (event) => {
    diagnosis.failure = describeSocketError(event);
  };
  const node = socket as unknown as Partial<NodeWebSocket>;
  if (typeof node.on !== 'function' || typeof node.terminate !== 'function') return;
  node.on('unexpected-response', (_request, response) => {
    const header = response.headers['x-herald-error'];
    const status = response.statusCode ?? 0;
    const code = typeof header === 'string' ? header : undefined;
    const detail = `HTTP ${status}${code === undefined ? '' : `, ${code}`}`;
    diagnosis.refusal = new ConnectionError(code ?? 'CONNECTION_FAILED', VERBOSE_ERRORS ? `the router at ${url} refused the handshake (${detail})` : detail, {
      retryable: status >= 500,
    });
    response.resume();
    node.terminate!();
  });
}

/**
 * Drops a socket the link no longer trusts: `ws` terminates it (no closing handshake to wait
 * for); any other WebSocket closes.
 */
export function dropSocket(socket: SocketLike): void {
  const node = socket as unknown as Partial<NodeWebSocket>;
  if (typeof node.terminate === 'function') node.terminate();
  else socket.close();
}

function describeSocketError(event: unknown): string | undefined {
  const detail = (event as { error?: unknown; message?: unknown } | null) ?? {};
  if (detail.error instanceof Error) return detail.error.message;
  return typeof detail.message === 'string' && detail.message !== '' ? detail.message : undefined;
}
