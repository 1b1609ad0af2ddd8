/**
 * A WebSocket with only the standard browser surface, for testing the client as a browser runs it:
 *
 *   const client = await connect(router.url, { WebSocket: BrowserLikeWebSocket });
 *
 * It wraps `ws` but hides it: no `.on`, no `.terminate`, no handshake response. Text frames arrive
 * as `{ data: string }`, binary ones as `{ data: ArrayBuffer }` (`binaryType = 'arraybuffer'`), close
 * events carry `code`, `reason` and `wasClean`, and error events carry no detail, as in browsers.
 */
import type { WebSocketConstructor } from '@herald/client';
import WebSocket from 'ws';

/** What a browser's `message` event offers: `data` is a string for text frames. */
export interface BrowserMessageEvent {
  readonly type: 'message';
  readonly data: string | ArrayBuffer;
}

/** What a browser's `close` event offers. */
export interface BrowserCloseEvent {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export class BrowserLikeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly url: string;
  readonly binaryType = 'arraybuffer';
  // Handlers take what every browser event has in common with these: wider parameter types keep
  // the class assignable to the client's `WebSocketConstructor`.
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly #socket: WebSocket;

  constructor(url: string, protocols?: string | string[]) {
    this.url = url;
    this.#socket = new WebSocket(url, protocols);
    this.#socket.on('open', () => this.onopen?.({ type: 'open' }));
    this.#socket.on('message', (data, isBinary) => {
      const event: BrowserMessageEvent = { type: 'message', data: isBinary ? toArrayBuffer(data) : data.toString() };
      this.onmessage?.(event);
    });
    this.#socket.on('close', (code, reason) => {
      const event: BrowserCloseEvent = { type: 'close', code, reason: reason.toString(), wasClean: code !== 1006 };
      this.onclose?.(event);
    });
    // Browsers tell nothing about an error; a close event follows.
    this.#socket.on('error', () => this.onerror?.({ type: 'error' }));
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  /** The subprotocol the server selected; `''` until open. */
  get protocol(): string {
    return this.#socket.protocol;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(data: string): void {
    this.#socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }
}

function toArrayBuffer(data: WebSocket.RawData): ArrayBuffer {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return copy.buffer;
}

/**
 * A `ws` WebSocket (for the client's public `WebSocket` option) that records every frame the client
 * sends, and in `offers` (when given) the subprotocols each socket offered: a hello carried in the
 * upgrade request is an offer (`herald.v1.hello.*`), not a frame.
 */
export function recordingWebSocket(sent: string[], offers?: string[][]): WebSocketConstructor {
  const Base = WebSocket as unknown as WebSocketConstructor;
  return class RecordingWebSocket extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      offers?.push(protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols]);
    }
    override send(data: string): void {
      sent.push(data);
      super.send(data);
    }
  };
}
