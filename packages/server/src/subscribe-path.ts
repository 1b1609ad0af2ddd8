/**
 * A client's subscriptions and presence watches: `subscribe` (checks, engine subscribe and
 * presence join, then the replay of history) and `unsubscribe`, `presence_watch` and
 * `presence_unwatch` (PROTOCOL.md, "Subscriptions" and "Presence").
 */
import { ErrorCode, type SubscribeMsg, patternProblem } from '@herald/protocol';
import { engineCall, internalError, protocolError } from './client-errors.js';
import { type Connection, NO_PATTERNS } from './connection.js';
import { patternRefusal } from './connection-limits.js';
import type { PresenceMember } from './engine.js';
import type { Hub } from './hub.js';
import { replay } from './replay.js';

/** `subscribe`: registered with the engine first, replayed second (nothing falls in between). */
export async function onSubscribe(hub: Hub, connection: Connection, request: SubscribeMsg): Promise<void> {
  const { id, pattern } = request;
  const problem = patternProblem(pattern);
  if (problem !== undefined) return protocolError(hub, connection, ErrorCode.PATTERN_INVALID, problem, id);
  if (connection.state !== 'open') return;
  if (!hub.access.allowed(connection, 'subscribe', pattern, id)) return;
  const replays = request.rewind !== undefined || request.positions !== undefined || request.since !== undefined;
  if (replays && !hub.access.allowed(connection, 'history', pattern, id)) return;
  const limited = patternRefusal(connection, pattern, true);
  if (limited !== undefined) return connection.sendError(ErrorCode.PATTERN_LIMIT, limited, id);
  const fresh = !connection.patterns.has(pattern);
  if (fresh && connection.patterns.size >= hub.options.maxSubscriptions) {
    return connection.sendError(ErrorCode.SUBSCRIPTION_LIMIT, `at most ${hub.options.maxSubscriptions} subscriptions per connection`, id);
  }
  if (fresh) {
    if (connection.patterns === NO_PATTERNS) connection.patterns = new Set();
    connection.patterns.add(pattern);
    connection.patternBytes += pattern.length;
    let subscribed = false;
    try {
      await hub.engine.subscribe(connection.id, pattern);
      subscribed = true;
      // Being a member is an operation of its own: without it, the subscription is silent.
      if (connection.permissions.allows('presence', pattern)) await hub.engine.join(pattern, connection.member());
    } catch (cause) {
      connection.patterns.delete(pattern);
      connection.patternBytes -= pattern.length;
      // Leave nothing half made: a subscription without its presence would deliver unseen.
      if (subscribed) await engineCall(hub.logger, hub.engine.unsubscribe(connection.id, pattern), 'unsubscribe');
      return internalError(hub, connection, 'subscribe', cause, id);
    }
  }
  // Registered first, replayed second: nothing falls between history and live delivery.
  let recovery;
  try {
    recovery = await replay(hub.engine, hub.frames, connection, request);
  } catch (cause) {
    return internalError(hub, connection, 'read history', cause, id);
  }
  if (connection.state !== 'open') return;
  const at = (fresh ? undefined : connection.subscribedAt?.get(pattern)) ?? Date.now();
  if (fresh) (connection.subscribedAt ??= new Map()).set(pattern, at);
  connection.sendMessage({ type: 'subscribed', id, pattern, at, ...recovery });
  if (fresh && hub.events.listens('subscribe')) hub.events.subscribe(connection.snapshot(), pattern);
}

/** `unsubscribe`: answered `unsubscribed` even for a pattern the client did not hold. */
export async function onUnsubscribe(hub: Hub, connection: Connection, id: number, pattern: string): Promise<void> {
  if (!connection.patterns.delete(pattern)) return connection.sendMessage({ type: 'unsubscribed', id, pattern });
  connection.subscribedAt?.delete(pattern);
  connection.patternBytes -= pattern.length;
  try {
    await hub.engine.unsubscribe(connection.id, pattern);
    await hub.engine.leave(pattern, connection.id, 'unsubscribed');
  } catch (cause) {
    return internalError(hub, connection, 'unsubscribe', cause, id);
  }
  if (connection.state !== 'open') return;
  connection.sendMessage({ type: 'unsubscribed', id, pattern });
  if (hub.events.listens('unsubscribe')) hub.events.unsubscribe(connection.snapshot(), pattern);
}

/** `presence_watch`: starts the watch, then sends its snapshot of the members. */
export async function onWatch(hub: Hub, connection: Connection, id: number, topic: string, by: string | undefined, countOnly: boolean): Promise<void> {
  const problem = patternProblem(topic);
  if (problem !== undefined) return protocolError(hub, connection, ErrorCode.PATTERN_INVALID, problem, id);
  if (by !== undefined && by !== 'user' && by !== 'connection') {
    return protocolError(hub, connection, ErrorCode.PROTOCOL_INVALID_MESSAGE, 'presence_watch.by must be "user" or "connection"', id);
  }
  if (!hub.access.allowed(connection, 'watch', topic, id)) return;
  const limited = patternRefusal(connection, topic, false);
  if (limited !== undefined) return connection.sendError(ErrorCode.PATTERN_LIMIT, limited, id);
  if (!connection.watching.has(topic) && connection.watching.size >= hub.options.maxSubscriptions) {
    return connection.sendError(ErrorCode.SUBSCRIPTION_LIMIT, `at most ${hub.options.maxSubscriptions} presence watches per connection`, id);
  }
  const byUser = (by ?? hub.options.presenceBy) === 'user' ? { graceMs: hub.options.presenceGraceMs } : undefined;
  const watch = hub.watchers.start(connection, topic, byUser, countOnly);
  // A view already seeded and up to date is the snapshot (presence-view.ts, `current`): no read of
  // the engine's members, which a seeded view would not use. A view waiting for a repair (a presence
  // gap's read in flight, or one that failed) is the snapshot once repaired: the watch waits for
  // the repair (or reads it now), never taking the outdated view. Otherwise the members are read:
  // to seed the view, or, while the engine is away, so that the watch fails as the read does.
  let members: PresenceMember[] = [];
  const { view } = watch;
  if (!view.current(hub.engine.available !== false)) {
    try {
      if (view.seeded && view.needsRepair) await hub.watchers.repaired(view);
      else members = await hub.engine.members(topic);
    } catch (cause) {
      hub.watchers.remove(connection, topic);
      return internalError(hub, connection, 'presence', cause, id);
    }
  }
  return hub.watchers.snapshot(watch, id, members);
}

/** `presence_unwatch`. */
export function onUnwatch(hub: Hub, connection: Connection, id: number, topic: string): void {
  hub.watchers.remove(connection, topic);
  connection.sendMessage({ type: 'presence_unwatched', id, topic });
}
