/**
 * The router's side of identity and permissions: runs `authenticate` on hello, answers
 * `PERMISSION_DENIED`, and closes connections whose credentials expired or were revoked.
 * The hub calls in here at each operation; see authentication.ts and permissions.ts.
 */
import { CloseCode, ErrorCode, type HelloMsg, isHeraldError } from '@herald/protocol';
import { type Authenticate, type VerifiedIdentity, authContext, verifyIdentity } from './authentication.js';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';
import type { CompiledPermissions, Operation } from './permissions.js';

/** The access settings of a router; see `RouterOptions`. */
export interface AccessOptions {
  authenticate: Authenticate | undefined;
  defaultPermissions: CompiledPermissions;
  /** Whether upgrades are checked against `allowedOrigins`. */
  checksOrigin: boolean;
  tokenExpiryGraceMs: number;
  maxNameLength: number;
}

/** setTimeout's longest delay; later expiries are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Access {
  constructor(
    readonly options: AccessOptions,
    readonly logger: Logger,
  ) {}

  /** Sets up a new connection's permissions (the defaults until `authenticate` says otherwise). */
  accepted(connection: Connection): void {
    connection.permissions = this.options.defaultPermissions;
  }

  /**
   * Runs `authenticate` for a hello (when the router has one) and applies the identity. Resolves
   * false when the connection was refused and closed (4100 AUTH_INVALID, 4101 TOKEN_EXPIRED).
   */
  async admit(connection: Connection, hello: HelloMsg): Promise<boolean> {
    const { authenticate } = this.options;
    if (authenticate === undefined) return true;
    let identity: VerifiedIdentity;
    try {
      const info = hello.info === undefined ? undefined : connection.codec.decode(hello.info);
      identity = await this.#verify(authenticate, connection, 'hello', hello.token, hello.name, info?.ok === true ? info.value : undefined);
    } catch (error) {
      this.logger.log(error instanceof TypeError ? 'error' : 'info', 'authentication refused', { id: connection.id, address: connection.address, error: String(error) });
      if (isHeraldError(error, ErrorCode.TOKEN_EXPIRED)) connection.close(CloseCode.TOKEN_EXPIRED, ErrorCode.TOKEN_EXPIRED, 'the token has expired');
      else connection.close(CloseCode.AUTH_INVALID, ErrorCode.AUTH_INVALID, 'the credentials were refused');
      return false;
    }
    if (connection.state !== 'hello') return false; // closed (or timed out) while authenticating
    if (identity.expiresAt !== undefined && identity.expiresAt + this.options.tokenExpiryGraceMs <= Date.now()) {
      connection.close(CloseCode.TOKEN_EXPIRED, ErrorCode.TOKEN_EXPIRED, 'the token has expired');
      return false;
    }
    try {
      this.#apply(connection, identity);
      connection.name = identity.name;
      connection.info = identity.info === undefined ? undefined : { codec: connection.codec.name, text: connection.codec.encode(identity.info) };
    } catch (error) {
      this.logger.log('error', 'authenticate returned an info the codec cannot encode', { id: connection.id, error: String(error) });
      connection.close(CloseCode.AUTH_INVALID, ErrorCode.AUTH_INVALID, 'the identity could not be encoded');
      return false;
    }
    return true;
  }

  /**
   * Whether `operation` on `subject` is allowed; when not, answers `PERMISSION_DENIED` (naming
   * both) to request `id`. The connection stays.
   */
  allowed(connection: Connection, operation: Operation, subject: string, id: number | undefined): boolean {
    if (connection.permissions.allows(operation, subject)) return true;
    const who = connection.user === undefined ? 'this client' : `user ${JSON.stringify(connection.user)}`;
    this.logger.log('debug', 'permission denied', { id: connection.id, user: connection.user, operation, subject });
    connection.sendMessage({
      type: 'error',
      ...(id !== undefined && { id }),
      code: ErrorCode.PERMISSION_DENIED,
      message: `${who} may not ${operation} ${JSON.stringify(subject)}`,
      operation,
      subject,
    });
    return false;
  }

  /** Checks a refresh token; resolves the new identity, or rejects (the caller answers `TOKEN_INVALID`). */
  async refresh(connection: Connection, token: string): Promise<VerifiedIdentity> {
    const { authenticate } = this.options;
    if (authenticate === undefined) throw new Error('this router does not authenticate');
    const identity = await this.#verify(authenticate, connection, 'refresh', token, connection.name, connection.decodedInfo());
    if (identity.user !== connection.user) throw new Error('a refresh token must be for the same user');
    if (identity.expiresAt !== undefined && identity.expiresAt <= Date.now()) throw new Error('the token has expired');
    return identity;
  }

  /** Applies a refreshed identity: permissions swap at once, the expiry moves. */
  refreshed(connection: Connection, identity: VerifiedIdentity): void {
    this.#apply(connection, identity);
  }

  /** The connection closed: its expiry timer goes. */
  closed(connection: Connection): void {
    clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
    connection.upgrade = undefined;
  }

  /** The welcomed connections of `user`, closed with 4102 AUTH_REVOKED. Returns how many. */
  disconnectUser(connections: Iterable<Connection>, user: string, reason: string): number {
    let count = 0;
    for (const connection of connections) {
      if (connection.user !== user || connection.state === 'closed') continue;
      connection.close(CloseCode.AUTH_REVOKED, ErrorCode.AUTH_REVOKED, reason);
      count++;
    }
    if (count > 0) this.logger.log('info', 'user disconnected', { user, connections: count, reason });
    return count;
  }

  async #verify(
    authenticate: Authenticate,
    connection: Connection,
    reason: 'hello' | 'refresh',
    token: string | undefined,
    name: string | undefined,
    info: unknown,
  ): Promise<VerifiedIdentity> {
    const ctx = authContext({
      reason,
      token,
      name,
      info,
      address: connection.address,
      upgrade: connection.upgrade,
      checksOrigin: this.options.checksOrigin,
    });
    return verifyIdentity(await authenticate(ctx), this.options.maxNameLength);
  }

  #apply(connection: Connection, identity: VerifiedIdentity): void {
    connection.user = identity.user;
    connection.permissions = identity.permissions;
    connection.expiresAt = identity.expiresAt;
    this.#armExpiry(connection);
  }

  /** Past its expiry and the grace, a connection is closed with 4101 TOKEN_EXPIRED. */
  #armExpiry(connection: Connection): void {
    clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
    if (connection.expiresAt === undefined) return;
    const due = connection.expiresAt + this.options.tokenExpiryGraceMs - Date.now();
    connection.expiryTimer = setTimeout(() => {
      if (due > MAX_TIMER_MS) return this.#armExpiry(connection);
      connection.expiryTimer = undefined;
      this.logger.log('info', 'closing a connection whose token expired', { id: connection.id, user: connection.user });
      connection.close(CloseCode.TOKEN_EXPIRED, ErrorCode.TOKEN_EXPIRED, 'the token expired and was not refreshed');
    }, Math.max(0, Math.min(due, MAX_TIMER_MS)));
  }
}
