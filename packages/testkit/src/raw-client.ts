/**
 * A raw WebSocket test client that queues every frame, so nothing is missed between awaits
 * (after graphql-ws's tclient). It speaks frames, not the client SDK: for protocol tests.
 */
import { type ServerMessage, decodeServerFrame, helloSubprotocol } from '@herald/protocol';
import { expect } from 'vitest';
import WebSocket from 'ws';

export interface RawClientOptions {
  /** Subprotocols to offer. Default `herald.v1.superjson`; `[]` offers none. */
  protocols?: string[];
  /** Extra headers of the upgrade request (`origin`, `cookie`...). */
  headers?: Record<string, string>;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export class RawClient {
  readonly socket: WebSocket;
  readonly closed: Promise<CloseInfo>;
  readonly #frames: string[] = [];
  #waiter: (() => void) | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.#frames.push(data.toString());
      this.#waiter?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#waiter?.();
      });
    });
    socket.on('error', () => {});
  }

  /** Opens a socket (no hello sent). Rejects if the handshake fails. */
  static async open(url: string, options: RawClientOptions = {}): Promise<RawClient> {
    const socket = new WebSocket(url, options.protocols ?? ['herald.v1.superjson'], options.headers === undefined ? {} : { headers: options.headers });
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Opens a socket and completes the hello/welcome handshake. */
  static async welcomed(url: string, hello: Record<string, unknown> = {}, options: RawClientOptions = {}): Promise<RawClient> {
    const client = await RawClient.open(url, options);
    client.send({ type: 'hello', ...hello });
    const welcome = await client.next();
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    client.welcome = welcome;
    return client;
  }

  /**
   * Opens a socket whose upgrade request carries `hello` (a `herald.v1.hello.*` subprotocol entry
   * after the offered ones, PROTOCOL.md §2); sends no frame. Await `next()` for the welcome.
   */
  static async openWithHello(url: string, hello: Record<string, unknown> = {}, options: RawClientOptions = {}): Promise<RawClient> {
    const entry = helloSubprotocol(JSON.stringify({ type: 'hello', ...hello }));
    if (entry === undefined) throw new Error('the hello does not fit in a subprotocol entry');
    return RawClient.open(url, { ...options, protocols: [...(options.protocols ?? ['herald.v1.superjson']), entry] });
  }

  /** Opens a socket, completes the handshake, subscribes (request id 1) and checks the confirmation. */
  static async subscribed(url: string, pattern: string, hello: Record<string, unknown> = {}, options: RawClientOptions = {}): Promise<RawClient> {
    const client = await RawClient.welcomed(url, hello, options);
    client.send({ type: 'subscribe', id: 1, pattern });
    expect(await client.next()).toEqual({ type: 'subscribed', id: 1, pattern, at: expect.any(Number) });
    return client;
  }

  welcome: Extract<ServerMessage, { type: 'welcome' }> | undefined;

  /** Sends a message object as a header line, optionally followed by a payload. */
  send(header: Record<string, unknown>, payload?: string): void {
    this.sendRaw(payload === undefined ? JSON.stringify(header) : `${JSON.stringify(header)}\n${payload}`);
  }

  sendRaw(frame: string | Buffer, binary = false): void {
    this.socket.send(frame, { binary });
  }

  /** The next frame, as text. Rejects if the socket closes first. */
  async nextRaw(): Promise<string> {
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) return frame;
      if (this.socket.readyState >= WebSocket.CLOSING) {
        const info = await this.closed;
        throw new Error(`socket closed (${info.code} ${info.reason}) while waiting for a frame`);
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  /** The next frame, decoded; throws on a frame the protocol decoder refuses. */
  async next(): Promise<ServerMessage> {
    const decoded = decodeServerFrame(await this.nextRaw());
    if (!decoded.ok) throw decoded.error;
    return decoded.value;
  }

  /** Skips frames until one of `type` arrives. */
  async nextOf<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    for (;;) {
      const message = await this.next();
      if (message.type === type) return message as Extract<ServerMessage, { type: T }>;
    }
  }

  /** Every frame until the socket closes, then how it closed. */
  async untilClosed(): Promise<{ frames: ServerMessage[]; close: CloseInfo }> {
    const frames: ServerMessage[] = [];
    for (;;) {
      try {
        frames.push(await this.next());
      } catch {
        return { frames, close: await this.closed };
      }
    }
  }

  /** How many frames are queued unread. */
  get queued(): number {
    return this.#frames.length;
  }

  /**
   * Sends a ping, awaits its pong, and returns the frames that arrived before it. The router
   * answers a ping at once, so this proves that every delivery routed before the ping was sent;
   * replies to requests still awaiting the engine (subscribe, presence_watch) may come later.
   */
  async drain(): Promise<ServerMessage[]> {
    const id = 2 ** 31 + Math.floor(Math.random() * 1e6);
    this.send({ type: 'ping', id });
    const before: ServerMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (message.type === 'pong' && message.id === id) return before;
      before.push(message);
    }
  }

  /** Closes with a close frame. */
  async close(code = 1000): Promise<CloseInfo> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close(code);
    return this.closed;
  }

  /** Destroys the TCP socket without a close frame: what a killed process or a cut cable looks like. */
  async destroy(): Promise<CloseInfo> {
    this.socket.terminate();
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.terminate();
    await this.closed;
  }
}
