import { type Codec, LeaveReason, clampCloseReason, encodeFrame } from '@herald/protocol';
import type { PeerRef, ServerMessage } from '@herald/protocol';
import type { UpgradeInfo } from './authentication.js';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { Quota } from './connection-limits.js';
import type { EncodedValue, PresenceMember } from './engine.js';
import { type SharedFrame, textFramePayload, writeFrame, writeShared } from './frame-once.js';
import type { CompiledPermissions } from './permissions.js';

/** A connected client as the router shows it: `router.clients()`, events, `router.presence()`. */
export interface ClientInfo {
  id: string;
  name: string;
  /** The verified user, on a router with `authenticate`. */
  user?: string;
  /** The info the client connected with, decoded. */
  info: unknown;
  /** The remote IP address. */
  address: string;
  connectedAt: Date;
  /** Its subscriptions (topics and patterns), in the order it made them. */
  subscriptions: string[];
}

/** ws's options for every frame the router sends: text, never binary (one object, not one per send). */
const TEXT = { binary: false } as const;

/**
 * Frames sent to one socket in one tick go out in one write: the first send of a tick corks the
 * socket, and every socket corked is uncorked once, after the current tick's work. A publish to N
 * subscribers is still N writes, but a burst of k publishes is N writes instead of k × N.
 * ws keeps its net.Socket in `_socket`; without one (another WebSocket implementation) nothing is
 * corked.
 */
const corked = new Set<Duplex>();
let uncorkScheduled = false;

function corkForThisTick(socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  if (raw === undefined || corked.has(raw)) return;
  raw.cork();
  corked.add(raw);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    process.nextTick(uncorkAll);
  }
}

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const raw of corked) raw.uncork();
  corked.clear();
}

/** The TCP socket under a `ws` socket (its `_socket`); undefined for a socket without one (in memory). */
export function wireOf(socket: WebSocket): { bytesRead?: number; bytesWritten?: number } | undefined {
  return (socket as unknown as { _socket?: { bytesRead?: number; bytesWritten?: number } | null })._socket ?? undefined;
}

/** Shared empty sets until a connection subscribes or watches; never written to. */
const NO_WATCHES: Set<string> = new Set();
export const NO_PATTERNS: Set<string> = new Set();

/** One WebSocket connection to the router, from upgrade to close. */
export class Connection {
  /** Random at accept; a client that resumes its session (`hello.resume`) gets its old id back. */
  id: string;
  readonly socket: WebSocket;
  readonly codec: Codec;
  readonly address: string;
  readonly connectedAt = Date.now();
  /** `hello`: waiting for the client's hello; `open`: welcomed; `closed`: gone. */
  state: 'hello' | 'open' | 'closed' = 'hello';
  name = '';
  info: EncodedValue | undefined;
  /** The verified user (routers with `authenticate`). */
  user: string | undefined;
  /** What this connection may do: its identity's permissions, or the router's defaults. */
  permissions!: CompiledPermissions;
  /** When its credentials expire (ms since the Unix epoch), and the timer that closes it then. */
  expiresAt: number | undefined;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The upgrade request, kept for `authenticate` on refresh (routers with `authenticate` only). */
  upgrade: UpgradeInfo | undefined;
  /** Subscriptions, in the order they were made. */
  patterns: Set<string> = NO_PATTERNS;
  /**
   * When each subscription began (its first `subscribed.at`): a repeated subscribe is confirmed
   * with it, since that is the `at` a later `since` must count from (issue 11). Allocated on first use.
   */
  subscribedAt: Map<string, number> | undefined;
  /** The length of all `patterns` together (bounded by `maxPatternBytes`). */
  patternBytes = 0;
  /** Its rate limits and counts, from its first message after the welcome on (see connection-limits.ts). */
  quota: Quota | undefined;
  /** Topics whose presence this connection watches (allocated on the first watch: most never do). */
  watching: Set<string> = NO_WATCHES;
  protocolErrors = 0;
  /** Set when the router closed the connection itself; its presence leave reason is then `dropped`. */
  closedByRouter = false;
  helloTimer: ReturnType<typeof setTimeout> | undefined;
  #decodedInfo: { value: unknown } | undefined;
  /** Operations waiting for the one under way (allocated only when one has to wait). */
  #queue: Array<() => Promise<void> | void> | undefined;
  #running = false;

  /**
   * Runs `operation` after every operation queued before it on this connection has finished: the
   * router handles a connection's frames in order, and one that waits on the engine (a subscribe)
   * holds back the frames behind it. Operations that do not wait run at once, without a Promise.
   */
  serial(operation: () => Promise<void> | void): void {
    if (this.#running) (this.#queue ??= []).push(operation);
    else this.#drain(operation);
  }

  #drain(first: (() => Promise<void> | void) | undefined): void {
    this.#running = true;
    for (let next = first; next !== undefined; next = this.#queue?.shift()) {
      let pending: Promise<void> | void;
      try {
        pending = next();
      } catch {
        continue; // handlers report their own errors; a throw must not stall the queue
      }
      if (pending !== undefined) {
        pending.catch(() => undefined).then(() => this.#drain(this.#queue?.shift()));
        return;
      }
    }
    this.#running = false;
  }

  /** Heartbeat: whether a frame (or, on a socket without a wire, a pong) came since the last tick. */
  heard = false;
  /** Heartbeat: the TCP socket's bytes read at the last tick. */
  #bytesReadAtTick = 0;

  /**
   * Heartbeat: whether anything came since the last tick, and a new count from now: a frame, or
   * on a `ws` socket any bytes on its TCP socket (its pongs: the router needs no `pong` listener
   * per socket, which would grow every socket's listener table past its first size).
   */
  takeHeard(): boolean {
    let heard = this.heard;
    this.heard = false;
    const read = wireOf(this.socket)?.bytesRead;
    if (typeof read === 'number' && read !== this.#bytesReadAtTick) {
      this.#bytesReadAtTick = read;
      heard = true;
    }
    return heard;
  }
  /** Heartbeat: whole intervals without a word, in ms, counted from the first tick after the last one. */
  silentMs = 0;
  readonly #maxBufferedBytes: number;
  readonly #onSlow: (connection: Connection) => void;

  constructor(id: string, socket: WebSocket, codec: Codec, address: string, maxBufferedBytes: number, onSlow: (connection: Connection) => void) {
    this.id = id;
    this.socket = socket;
    this.codec = codec;
    this.address = address;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onSlow = onSlow;
  }

  /** Bytes queued for this client and not yet taken by the network. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get maxBufferedBytes(): number {
    return this.#maxBufferedBytes;
  }

  /**
   * Sends a frame if the socket is still open; frames to a closing socket are dropped. A client
   * whose outbound buffer passes `maxBufferedBytes` reads too slowly: it is told so (close 4200)
   * and gets nothing more, so that it cannot hold the router's memory or slow the others.
   */
  send(frame: string | Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.closedByRouter) return;
    corkForThisTick(this.socket);
    this.socket.send(frame, TEXT);
    if (this.socket.bufferedAmount > this.#maxBufferedBytes) this.#onSlow(this);
  }

  /**
   * As `send`, without the cork, for a whole WebSocket frame the router built (the welcome's
   * `frameBytes()`, frame-once.ts's `textFrame()`) that is alone in its tick: written at once, where
   * corking would only add the uncork's scheduling and a buffered write, and as one buffer, where
   * `ws` would write its header and the payload apart.
   */
  sendAlone(frame: Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.closedByRouter) return;
    if (!writeFrame(this.socket, frame)) this.socket.send(textFramePayload(frame), TEXT);
    if (this.socket.bufferedAmount > this.#maxBufferedBytes) this.#onSlow(this);
  }

  /** As `send`, for a delivery framed once for many sockets (frame-once.ts): same bytes, no framing here. */
  sendShared(frame: SharedFrame): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.closedByRouter) return;
    corkForThisTick(this.socket);
    if (!writeShared(this.socket, frame)) this.socket.send(frame.payload, TEXT);
    if (this.socket.bufferedAmount > this.#maxBufferedBytes) this.#onSlow(this);
  }

  /** Sends a frame and resolves once the socket has taken it (for long replays). */
  sendAndFlush(frame: string | Uint8Array): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN || this.closedByRouter) return Promise.resolve();
    return new Promise((resolve) => this.socket.send(frame, TEXT, () => resolve()));
  }

  sendMessage(message: ServerMessage): void {
    this.send(encodeFrame(message));
  }

  sendError(code: string, message: string, id?: number, retryAfterMs?: number): void {
    const error: Extract<ServerMessage, { type: 'error' }> = id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message };
    if (retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
    this.sendMessage(error);
  }

  /** Closes with a code and a reason `CODE: explanation` (clamped to the 123-byte limit). */
  close(closeCode: number, errorCode: string, explanation: string): void {
    if (this.socket.readyState >= WebSocket.CLOSING) return;
    this.closedByRouter = true;
    this.socket.close(closeCode, clampCloseReason(`${errorCode}: ${explanation}`));
  }

  /** Bytes read and written on this connection's TCP socket so far (ws keeps it in `_socket`). */
  wireBytes(): { read: number; written: number } {
    const raw = wireOf(this.socket);
    return { read: raw?.bytesRead ?? 0, written: raw?.bytesWritten ?? 0 };
  }

  /** The presence leave reason if the connection ended with `code`. */
  leaveReason(code: number): LeaveReason {
    return this.closedByRouter || code === 1006 ? LeaveReason.DROPPED : LeaveReason.CLOSED;
  }

  member(): PresenceMember {
    const member: PresenceMember = { id: this.id, name: this.name, connectedAt: this.connectedAt };
    if (this.user !== undefined) member.user = this.user;
    if (this.info !== undefined) member.info = this.info;
    return member;
  }

  /** Who this connection is, as publisher or caller. */
  peer(): PeerRef {
    return this.user === undefined ? { id: this.id, name: this.name } : { id: this.id, name: this.name, user: this.user };
  }

  snapshot(): ClientInfo {
    return {
      id: this.id,
      name: this.name,
      ...(this.user !== undefined && { user: this.user }),
      info: this.decodedInfo(),
      address: this.address,
      connectedAt: new Date(this.connectedAt),
      subscriptions: [...this.patterns],
    };
  }

  decodedInfo(): unknown {
    if (this.info === undefined) return undefined;
    if (this.#decodedInfo === undefined) {
      const decoded = this.codec.decode(this.info.text);
      this.#decodedInfo = { value: decoded.ok ? decoded.value : undefined };
    }
    return this.#decodedInfo.value;
  }
}
