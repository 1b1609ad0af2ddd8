/**
 * `router.disconnectUser` across the cluster (issue #12): the node that is asked closes its own
 * connections of the user and announces it on the events channel (`disconnect_user LF json`);
 * every other node closes its connections of that user too. The announcing node ignores its own.
 */
const DISCONNECT_USER = 'disconnect_user\n';

interface Announcement {
  node: string;
  user: string;
  reason: string;
}

/** The events-channel message that asks every other node to disconnect `user`. */
export function encodeDisconnectUser(node: string, user: string, reason: string): string {
  return DISCONNECT_USER + JSON.stringify({ node, user, reason } satisfies Announcement);
}

/**
 * The announcement in an events-channel message; undefined when the message is another kind of
 * event, or a malformed one (an older or foreign writer: ignored, not fatal).
 */
export function decodeDisconnectUser(event: string): Announcement | undefined {
  if (!event.startsWith(DISCONNECT_USER)) return undefined;
  try {
    const value = JSON.parse(event.slice(DISCONNECT_USER.length)) as Partial<Announcement> | null;
    if (typeof value?.node !== 'string' || typeof value.user !== 'string' || typeof value.reason !== 'string') return undefined;
    return { node: value.node, user: value.user, reason: value.reason };
  } catch {
    return undefined;
  }
}
