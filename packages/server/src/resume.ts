/**
 * Session resumption (`hello.resume`, PROTOCOL.md §2): a reconnecting client keeps its id, so that
 * presence, dedupe of retried publishes and `router.clients()` see one client, not one per socket.
 *
 * The router cannot trust an id a client merely names (anyone could name another client's id and
 * take over its presence and its publish dedupe), so `welcome.resume` hands the client a token,
 * `<id>.<HMAC-SHA256(secret, id [+ user])>`, and `hello.resume` must bring it back. With
 * `authenticate` the verified user is part of the signed data (issue #12): a token minted for user
 * A does not verify for a connection authenticated as user B, which starts a session of its own. Every router holding the
 * same `resumeSecret` accepts it: in a cluster, give them all one secret, and a client whose router
 * died resumes on another. A token that does not verify is not an error: the client simply starts a
 * new session under a new id (`welcome.id` tells it).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CloseCode, ErrorCode, optionInvalid } from '@herald/protocol';

/** The ids a router hands out (ids.ts) and so the only ones a token may carry. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A token is an id, a dot and 43 base64url characters. */
const MAX_TOKEN_LENGTH = 64 + 1 + 43;
const MIN_SECRET_BYTES = 16;
/** SHA-256's block size: HMAC pads its key to it (RFC 2104). */
const BLOCK = 64;
/** What every token signs first. */
const DOMAIN = Buffer.from('herald.resume.v1\0');
/** Room for the signed id (and user) in the inner block's scratch buffer; longer data is joined apart. */
const DATA_ROOM = 256;

export class ResumeTokens {
  /**
   * HMAC-SHA256 (RFC 2104) computed from its padded keys, with two one-shot hashes: `(K ⊕ ipad)`
   * followed by the domain and room for the data, and `(K ⊕ opad)` followed by room for the inner
   * digest. The same MAC as `createHmac('sha256', key)` (a test checks it byte for byte, so routers
   * of both kinds accept each other's tokens), without an Hmac object and its key setup per token:
   * a welcome signs one, and every connect is welcomed.
   */
  readonly #inner: Buffer;
  readonly #outer: Buffer;
  /** The last view of `#inner` signed (its length is that of the last data signed). */
  #view: Buffer = Buffer.alloc(0);

  /** `secret`: shared by the routers of a cluster; default: random, so only this router accepts its tokens. */
  constructor(secret: string | Uint8Array | undefined) {
    const accepted = `a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`;
    if (secret !== undefined && typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
      throw optionInvalid('createRouter', 'resumeSecret', accepted, secret === null ? 'null' : `a ${typeof secret}`);
    }
    let key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    // A secret: the error says its length, never its bytes.
    if (key.length < MIN_SECRET_BYTES) throw optionInvalid('createRouter', 'resumeSecret', accepted, `${key.length} bytes`);
    if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
    this.#inner = Buffer.alloc(BLOCK + DOMAIN.length + DATA_ROOM, 0x36);
    this.#outer = Buffer.alloc(BLOCK + 32, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.#inner[i]! ^= key[i]!;
      this.#outer[i]! ^= key[i]!;
    }
    DOMAIN.copy(this.#inner, BLOCK);
  }

  /**
   * The last token verified: a resumed connection is welcomed with a token for the same id, which
   * is that very string (one HMAC per resume instead of two, in a reconnect storm).
   */
  #lastVerified: { id: string; user: string | undefined; token: string } | undefined;

  /** The token that lets the client of `id` (authenticated as `user`, if any) resume it. */
  issue(id: string, user: string | undefined): string {
    const last = this.#lastVerified;
    this.#lastVerified = undefined;
    if (last !== undefined && last.id === id && last.user === user) return last.token;
    return `${id}.${this.#mac(id, user)}`;
  }

  /**
   * The id a token proves for a connection of `user`, or undefined when it is not one of ours
   * (forged, another secret, garbage) or was minted for another user (or for none).
   */
  verify(token: string, user: string | undefined): string | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const dot = token.lastIndexOf('.');
    const id = token.slice(0, dot);
    if (dot <= 0 || !ID.test(id)) return undefined;
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(id, user));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    this.#lastVerified = { id, user, token };
    return id;
  }

  /**
   * An id has no NUL, so `id NUL u user` cannot be read two ways; without a user the data is the
   * id alone, as before, so the tokens of routers without `authenticate` stay valid.
   */
  #mac(id: string, user: string | undefined): string {
    const data = user === undefined ? id : `${id}\0u${user}`;
    const start = BLOCK + DOMAIN.length;
    const inner = this.#inner;
    let message: Buffer;
    if (data.length * 3 <= DATA_ROOM || Buffer.byteLength(data) <= DATA_ROOM) {
      const end = start + inner.write(data, start, 'utf8');
      // Every id the router hands out has the same length: one view of the scratch buffer for them
      // all, rather than a new Buffer object per token.
      message = this.#view.length === end ? this.#view : (this.#view = inner.subarray(0, end));
    } else message = Buffer.concat([inner.subarray(0, start), Buffer.from(data)]);
    // The inner digest as a 'binary' (latin1) string, one byte per character, written into the
    // outer block: a short string from the one-shot hash costs about half what a new Buffer does.
    this.#outer.write(hash('sha256', message, 'binary'), BLOCK, 'latin1');
    return hash('sha256', this.#outer, 'base64url');
  }
}

/** The parts of a connection a takeover touches. */
interface Session {
  id: string;
  state: string;
  socket: { once(event: 'close', listener: () => void): unknown; terminate(): void };
  close(closeCode: number, errorCode: string, explanation: string): void;
}

/** How long a session taken over may take to close before its socket is cut. */
const TAKEOVER_CLOSE_MS = 1000;

/**
 * Gives `connection` the resumed id at once when no connection of this router holds it (the
 * session was on a router that died, or closed here already: every resume of a reconnect storm),
 * so that the hello needs no wait. Returns false, changing nothing, when one holds it: then
 * {@link takeOver} closes that one first.
 */
export function resumeAtOnce<C extends Session>(id: string, connection: C, connections: Map<string, C>): boolean {
  if (id === connection.id) return true;
  if (connections.has(id)) return false;
  rekey(connection, id, connections);
  return true;
}

/** `connection` under `id` in `connections` from now on. */
function rekey<C extends Session>(connection: C, id: string, connections: Map<string, C>): void {
  connections.delete(connection.id);
  connection.id = id;
  connections.set(id, connection);
}

/**
 * Gives `connection` the resumed id. A connection of this router holding that id still (a socket
 * whose loss the router has not noticed yet) is closed with 4003 `SESSION_RESUMED`, and its engine
 * cleanup (unsubscribes, presence leaves) finishes before the new connection goes on, so that none
 * of it undoes what the new one does under the same id. Returns whether the id was resumed.
 */
export async function takeOver<C extends Session>(
  id: string | undefined,
  connection: C,
  connections: Map<string, C>,
  cleanupOf: (old: C) => Promise<void> | undefined,
): Promise<boolean> {
  if (id === undefined || id === connection.id) return false;
  const previous = connections.get(id);
  rekey(connection, id, connections);
  if (previous === undefined) return true;
  if (previous.state !== 'closed') {
    const closed = new Promise<void>((resolve) => previous.socket.once('close', resolve));
    previous.close(CloseCode.SESSION_RESUMED, ErrorCode.SESSION_RESUMED, 'the client resumed this session on another connection');
    const cut = setTimeout(() => previous.socket.terminate(), TAKEOVER_CLOSE_MS);
    await closed;
    clearTimeout(cut);
  }
  await cleanupOf(previous);
  return true;
}

/** Longest publish id (`publish.pid`) a client may send. */
export const MAX_PID_LENGTH = 64;

/** Why a publish id is refused (`PROTOCOL_INVALID_MESSAGE`), or undefined when it is fine or absent. */
export function pidProblem(pid: string | undefined): string | undefined {
  if (pid === undefined || (pid.length > 0 && pid.length <= MAX_PID_LENGTH)) return undefined;
  return `pid must be 1 to ${MAX_PID_LENGTH} characters`;
}
