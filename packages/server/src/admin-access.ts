/**
 * Who may use the admin page's API: the bearer `admin.token`, or, on a router with `authenticate`,
 * a bearer credential (e.g. a JWT) that `authenticate` accepts as an identity whose permissions
 * allow `call` on `herald.admin` (`{ allow: { 'herald.admin': ['call'] } }`; `herald token --allow
 * 'herald.admin:call'`). An identity allowed everything (`>`: `*`) is an admin too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Authenticate, authContext, upgradeInfo } from './authentication.js';
import { CompiledPermissions } from './permissions.js';

/** The method an identity must be allowed to `call` to use the admin page. */
export const ADMIN_PERMISSION_SUBJECT = 'herald.admin';

/** Decides whether a request's bearer credential may use the admin API. */
export type AdminAccess = (request: IncomingMessage) => Promise<boolean>;

/** The admin page's check: the static token (when set), else the router's `authenticate`. */
export function adminAccess(token: string | undefined, authenticate: Authenticate | undefined): AdminAccess {
  const digest = token === undefined ? undefined : createHash('sha256').update(token).digest();
  return async (request) => {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return false;
    const bearer = header.slice(7);
    if (digest !== undefined && timingSafeEqual(createHash('sha256').update(bearer).digest(), digest)) return true;
    if (authenticate === undefined || bearer === '') return false;
    try {
      const identity = await authenticate(
        authContext({ reason: 'hello', token: bearer, name: undefined, info: undefined, address: request.socket.remoteAddress ?? '', upgrade: upgradeInfo(request), checksOrigin: false }),
      );
      if (typeof identity?.user !== 'string' || identity.user === '') return false;
      if (identity.expiresAt !== undefined && identity.expiresAt <= Date.now()) return false;
      return new CompiledPermissions(identity.permissions, { user: identity.user, name: identity.name }).allows('call', ADMIN_PERMISSION_SUBJECT);
    } catch {
      return false;
    }
  };
}
