/**
 * From a connection's `hello` to its `welcome` (PROTOCOL.md §2): the hello's checks, the session
 * resume (at once, or by taking over a session still open), `authenticate`, the hello timeout,
 * and the welcome itself. The hub makes one {@link Handshake}; its frames before the welcome come here.
 */
import { type ClientMessage, CloseCode, ErrorCode, type HelloMsg, type ProtocolError, type Result } from '@herald/protocol';
import type { default as WebSocket } from 'ws';
import type { AddressLimits } from './address-limits.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';
import { type ResumeTokens, resumeAtOnce, takeOver } from './resume.js';
import type { WelcomeFrames } from './welcome.js';

/** Largest frame accepted before the welcome (a hello with a long name and the largest info fits). */
export const MAX_HELLO_FRAME = 16 * 1024;

type Hello = Extract<ClientMessage, { type: 'hello' }>;

/** The hub's hello handling: owns the resume tokens and the welcome's fixed part. */
export class Handshake {
  readonly #hub: Hub;
  readonly #resume: ResumeTokens;
  /** The welcome's fixed part, serialised once (welcome.ts). */
  readonly #welcomes: WelcomeFrames;
  readonly #addresses: AddressLimits;
  /** Resolves once a closed connection's engine cleanup is done (for a session taken over). */
  readonly #cleanupOf: WeakMap<Connection, Promise<void>>;

  constructor(hub: Hub, resume: ResumeTokens, welcomes: WelcomeFrames, addresses: AddressLimits, cleanupOf: WeakMap<Connection, Promise<void>>) {
    this.#hub = hub;
    this.#resume = resume;
    this.#welcomes = welcomes;
    this.#addresses = addresses;
    this.#cleanupOf = cleanupOf;
  }

  /** A hello from the upgrade request runs as a first frame would: a frame that follows waits for it. */
  onUpgradeHello(connection: Connection, hello: Result<HelloMsg, ProtocolError>): void {
    connection.heard = true;
    if (!hello.ok) return connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.HELLO_INVALID, hello.error.message);
    // Nothing runs yet on a connection just accepted: run it now, without a closure, and queue
    // what follows behind it only when it waits (`authenticate`, a takeover). A throw is dropped,
    // as Connection.serial drops it.
    let pending: Promise<void> | void;
    try {
      pending = this.onHello(connection, hello.value);
    } catch {
      return;
    }
    if (pending !== undefined) connection.serial(() => pending);
  }

  /**
   * `helloTimeoutMs` bounds the time from the upgrade to the welcome. Without a hello it closes
   * 4002; once a valid hello came (its name is set) and only `authenticate` (or a session takeover)
   * is pending, 1013 `AUTH_TIMEOUT`: a client must not take that for a router that ignored the
   * hello in its upgrade (PROTOCOL.md §2). One function for every connection (a setTimeout argument).
   */
  readonly helloTimeout = (connection: Connection): void =>
    connection.name === ''
      ? connection.close(CloseCode.HELLO_TIMEOUT, ErrorCode.PROTOCOL_HELLO_REQUIRED, `no hello within ${this.#hub.options.helloTimeoutMs} ms`)
      : connection.close(CloseCode.TRY_AGAIN_LATER, ErrorCode.AUTH_TIMEOUT, `the hello was not answered within ${this.#hub.options.helloTimeoutMs} ms`);

  /**
   * A hello without `authenticate` is welcomed in the same tick, without a Promise (inside the
   * upgrade's cork: the welcome leaves with the 101), unless it resumes a session still open on
   * this router. A reconnect storm's resumes (their sessions were on a router that died) are not.
   */
  onHello(connection: Connection, hello: Hello): Promise<void> | void {
    const name = hello.name ?? connection.id;
    const { maxNameLength, maxInfoBytes } = this.#hub.options;
    // Counted in code points, as topics are; a string has at least as many UTF-16 units as code
    // points, so only a long one needs counting.
    const characters = name.length <= maxNameLength ? name.length : countCodePoints(name);
    let problem: string | undefined;
    if (characters === 0 || characters > maxNameLength) problem = `name must be 1 to ${maxNameLength} characters`;
    else if (hello.info !== undefined) {
      if (Buffer.byteLength(hello.info) > maxInfoBytes) problem = `info must encode to at most ${maxInfoBytes} bytes`;
      else problem = connection.codec.check(hello.info)?.message;
    }
    if (problem !== undefined) {
      connection.close(CloseCode.PROTOCOL_VIOLATION, ErrorCode.HELLO_INVALID, problem);
      return;
    }
    connection.name = name;
    if (hello.info !== undefined) connection.info = { codec: connection.codec.name, text: hello.info };
    if (this.#hub.options.access.authenticate === undefined && (hello.resume === undefined || this.#resumeAtOnce(connection, hello))) return this.#welcome(connection);
    return this.#admitHello(connection, hello);
  }

  /** A resume without `authenticate` that takes nothing over: done here, or false for #admitHello. */
  #resumeAtOnce(connection: Connection, hello: Hello): boolean {
    const id = this.#resume.verify(hello.resume!, undefined);
    if (id !== undefined) {
      if (!resumeAtOnce(id, connection, this.#hub.connections)) return false;
      this.#hub.logger.log('debug', 'session resumed', { id });
    }
    if (hello.name === undefined) connection.name = connection.id;
    return true;
  }

  async #admitHello(connection: Connection, hello: Hello): Promise<void> {
    const hub = this.#hub;
    // With `authenticate`, the identity's name and info replace the hello's; it runs before a
    // resume, so that a session still open is resumed only by the user it belongs to.
    if (!(await hub.access.admit(connection, hello)) || connection.state !== 'hello') return;
    if (hello.resume !== undefined) {
      let id = this.#resume.verify(hello.resume, connection.user);
      const previous = id === undefined ? undefined : hub.connections.get(id);
      if (previous !== undefined && previous.user !== connection.user) id = undefined; // another user's session
      const resumed = await takeOver(id, connection, hub.connections, (old) => this.#cleanupOf.get(old));
      if (resumed) hub.logger.log('debug', 'session resumed', { id: connection.id });
      if (hello.name === undefined && connection.user === undefined) connection.name = connection.id;
      if (connection.state !== 'hello') return; // it closed (or timed out) while the old one went
    }
    this.#welcome(connection);
  }

  #welcome(connection: Connection): void {
    const hub = this.#hub;
    clearTimeout(connection.helloTimer);
    connection.helloTimer = undefined;
    connection.state = 'open';
    this.#addresses.welcomed(connection.address);
    allowFrames(connection.socket, hub.options.maxPayload);
    // Alone in its tick: written at once, which costs less than a cork and an uncork.
    connection.sendAlone(this.#welcomes.frameBytes({
      id: connection.id,
      name: connection.name,
      resume: this.#resume.issue(connection.id, connection.user),
      dedupeMs: hub.engine.dedupeMs,
      user: connection.user,
      expiresAt: connection.expiresAt,
    }));
    hub.logger.log('info', 'client connected', {
      id: connection.id,
      name: connection.name,
      user: connection.user,
      address: connection.address,
      codec: connection.codec.name,
      online: hub.connections.size,
    });
    if (hub.events.listens('connect')) hub.events.connect(connection.snapshot());
  }
}

/** The Unicode code points of `text` (what a name's length limit counts). */
function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Sets the largest frame the socket's receiver takes: before the welcome a socket may not make the
 * router buffer a 1 MiB frame. ws keeps its receiver and limit in private fields; without them (another
 * WebSocket implementation) the check in onFrame (frame-dispatch.ts) still closes the connection after the frame.
 */
export function allowFrames(socket: WebSocket, maxPayload: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver != null && typeof receiver._maxPayload === 'number') receiver._maxPayload = maxPayload;
}
