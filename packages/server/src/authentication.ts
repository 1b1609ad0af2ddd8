/**
 * Who a connection is: the router's `authenticate` hook turns a hello's token (or the upgrade
 * request's cookies and headers) into an `Identity`, whose permissions every operation is checked
 * against. Without the hook, every connection gets the router's `defaultPermissions`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CompiledPermissions, type Permissions } from './permissions.js';
import { withoutHelloEntry } from './upgrade-hello.js';

/** Who a connection is, as `authenticate` returns it. */
export interface Identity {
  /** The verified user (a JWT's `sub`): shown as `user` to others, used by `disconnectUser`. */
  user: string;
  /** How others see the connection. Default: `user`. The hello's own `name` is not used. */
  name?: string;
  /** Shown in presence and to providers. Default: none (the hello's own `info` is not used). */
  info?: unknown;
  permissions: Permissions;
  /** When the credentials expire, in milliseconds since the Unix epoch; the client refreshes before. */
  expiresAt?: number;
}

/** What `authenticate` learns: the hello's fields and the WebSocket upgrade request. */
export interface AuthContext {
  /** Why it is asked: a new connection's `hello`, or an in-band `refresh`. */
  reason: 'hello' | 'refresh';
  /** The hello's (or refresh's) token, as the client sent it. */
  token: string | undefined;
  /** The name the hello asked for. */
  name: string | undefined;
  /** The hello's info, decoded. */
  info: unknown;
  /** The upgrade request's headers, without `cookie` (read cookies through `cookies`). */
  headers: IncomingHttpHeaders;
  /**
   * The upgrade request's cookies. Reading them on a router without `allowedOrigins` throws: a
   * page on any site can open a WebSocket that carries the user's cookies (cross-site WebSocket
   * hijacking), so cookie authentication needs the Origin check.
   */
  readonly cookies: Readonly<Record<string, string>>;
  /** The upgrade request's `Origin` header; undefined for non-browser clients. */
  origin: string | undefined;
  /** The remote IP address. */
  address: string;
  /** The request URL (path and query). */
  url: string;
}

/** Decides who a connection is; throws (or rejects) to refuse it (close 4100, or `TOKEN_INVALID` for a refresh). */
export type Authenticate = (ctx: AuthContext) => Identity | Promise<Identity>;

/** What a connection keeps of its upgrade request, for `authenticate` on refresh. */
export interface UpgradeInfo {
  headers: IncomingHttpHeaders;
  url: string;
}

/** The parts of an upgrade request `authenticate` may see. */
export function upgradeInfo(request: IncomingMessage): UpgradeInfo {
  return { headers: request.headers, url: request.url ?? '/' };
}

/** What the router's hook needs to build a context. */
export interface ContextSource {
  reason: AuthContext['reason'];
  token: string | undefined;
  name: string | undefined;
  info: unknown;
  address: string;
  upgrade: UpgradeInfo | undefined;
  /** Whether the router checks Origin (then reading cookies is safe). */
  checksOrigin: boolean;
}

/** The context handed to `authenticate`. */
export function authContext(source: ContextSource): AuthContext {
  const headers = { ...source.upgrade?.headers };
  const offers = headers['sec-websocket-protocol'];
  if (offers !== undefined) headers['sec-websocket-protocol'] = withoutHelloEntry(offers);
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  let cookies: Record<string, string> | undefined;
  return {
    reason: source.reason,
    token: source.token,
    name: source.name,
    info: source.info,
    headers,
    origin,
    address: source.address,
    url: source.upgrade?.url ?? '/',
    get cookies() {
      if (!source.checksOrigin) {
        throw new TypeError(
          'createRouter: authenticate read cookies on a router without allowedOrigins; set allowedOrigins (cross-site WebSocket hijacking)',
        );
      }
      return (cookies ??= parseCookies(cookieHeader));
    },
  };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (!(name in cookies)) cookies[name] = value;
  }
  return cookies;
}

/** An identity checked and compiled: what a connection keeps. */
export interface VerifiedIdentity {
  user: string;
  name: string;
  info: unknown;
  permissions: CompiledPermissions;
  expiresAt: number | undefined;
}

/** Checks what `authenticate` returned; throws a TypeError naming the problem (a bug in the hook). */
export function verifyIdentity(identity: unknown, maxNameLength: number): VerifiedIdentity {
  if (typeof identity !== 'object' || identity === null) throw new TypeError('authenticate must return an Identity object');
  const { user, name, info, permissions, expiresAt } = identity as Partial<Identity>;
  if (typeof user !== 'string' || user.length === 0) throw new TypeError('Identity.user must be a non-empty string');
  if (typeof permissions !== 'object' || permissions === null || typeof permissions.allow !== 'object' || permissions.allow === null) {
    throw new TypeError('Identity.permissions must be { allow, deny? }');
  }
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    throw new TypeError('Identity.expiresAt must be milliseconds since the Unix epoch');
  }
  const shown = name ?? user;
  const characters = typeof shown === 'string' ? [...shown].length : 0;
  if (characters === 0 || characters > maxNameLength) throw new TypeError(`Identity.name must be 1 to ${maxNameLength} characters`);
  return { user, name: shown, info, permissions: new CompiledPermissions(permissions, { user, name: shown }), expiresAt };
}
