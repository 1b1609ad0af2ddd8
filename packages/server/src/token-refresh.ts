/**
 * In-band `refresh` (PROTOCOL.md, "Authentication"): the new token's permissions apply at once,
 * and what they no longer allow (watches, handled methods, subscriptions) ends with `revoked`.
 */
import { ErrorCode, LeaveReason } from '@herald/protocol';
import { internalError } from './client-errors.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';

/** In-band refresh: permissions swap at once; what they no longer allow ends with `revoked`. */
export async function onRefresh(hub: Hub, connection: Connection, id: number, token: string): Promise<void> {
  let identity;
  try {
    identity = await hub.access.refresh(connection, token);
  } catch (error) {
    hub.logger.log('info', 'refresh refused', { id: connection.id, user: connection.user, error: String(error) });
    return connection.sendError(ErrorCode.TOKEN_INVALID, 'the refresh token was refused', id);
  }
  if (connection.state !== 'open') return;
  hub.access.refreshed(connection, identity);
  connection.sendMessage({ type: 'refreshed', id, ...(identity.expiresAt !== undefined && { expiresAt: identity.expiresAt }) });
  const revoke = (operation: string, subject: string): void =>
    connection.sendMessage({ type: 'revoked', operation, subject, reason: 'permission_revoked' });
  for (const topic of [...connection.watching]) {
    if (connection.permissions.allows('watch', topic)) continue;
    hub.watchers.remove(connection, topic);
    revoke('watch', topic);
  }
  for (const method of hub.requests.providers.providedBy(connection)) {
    if (connection.permissions.allows('handle', method)) continue;
    hub.requests.providers.unprovide(connection, method);
    revoke('handle', method);
  }
  for (const pattern of [...connection.patterns]) {
    const subscribes = connection.permissions.allows('subscribe', pattern);
    if (subscribes && connection.permissions.allows('presence', pattern)) continue;
    if (!subscribes) connection.patterns.delete(pattern);
    try {
      if (!subscribes) await hub.engine.unsubscribe(connection.id, pattern);
      await hub.engine.leave(pattern, connection.id, LeaveReason.UNSUBSCRIBED);
    } catch (cause) {
      internalError(hub, connection, 'unsubscribe', cause, undefined);
    }
    if (subscribes || connection.state !== 'open') continue;
    revoke('subscribe', pattern);
    hub.events.unsubscribe(connection.snapshot(), pattern);
  }
}
