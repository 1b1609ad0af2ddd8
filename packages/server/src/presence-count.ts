/**
 * The number of members of a topic's presence without the member list (issue #12: watching a big
 * topic must work; a dashboard often needs only "how many").
 */
import type { PresenceMember } from './engine.js';

/**
 * How many members `members` (the engine's, one per subscribed connection) make when counted
 * `by` user (a user's connections are one member; a connection without a `user` is its own) or
 * by connection. A user in its leave grace with no connection left is not counted.
 */
export function countMembers(members: readonly PresenceMember[], by: 'user' | 'connection'): number {
  if (by === 'connection') return members.length;
  const seen = new Set<string>();
  for (const member of members) seen.add(member.user === undefined ? `c:${member.id}` : `u:${member.user}`);
  return seen.size;
}
