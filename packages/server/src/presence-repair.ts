/**
 * Repairing presence views after a presence gap (`EngineListener.onPresenceGap`: the engine's event
 * connection was away, and the joins and leaves sent meanwhile are lost to this router). The
 * engine's members of the topic are read once, however many views and watches the topic has, and
 * each view becomes them: its watches are told exactly the difference, as ordinary joins and
 * leaves (a member gone leaves with reason `dropped`, as the client reports members missing from a
 * snapshot after a reconnect: why it left was lost with the event). Events that arrive during the
 * read are held and replayed over the members read, as when a view is seeded.
 */
import { LeaveReason } from '@herald/protocol';
import type { PresenceMember } from './engine.js';
import type { Logger } from './logger.js';
import type { PresenceView } from './presence-view.js';

/** Reads a topic's members from the engine. */
export type ReadMembers = (topic: string) => Promise<PresenceMember[]>;

/** What a member found gone by a repair leaves with. */
export const GAP_LEAVE_REASON: string = LeaveReason.DROPPED;

/**
 * Repairs `views` (all of one topic) with one read of its members. A view not yet seeded is only
 * marked `stale` (repaired once seeded). When the read fails, the views are retired (new watches
 * start fresh ones; the next gap repairs them) and the failure is logged.
 */
export async function repairViews<W>(topic: string, views: Iterable<PresenceView<W>>, read: ReadMembers, logger: Logger): Promise<void> {
  const started: [PresenceView<W>, number][] = [];
  for (const view of views) {
    const repair = view.startRepair();
    if (repair !== undefined) started.push([view, repair]);
  }
  if (started.length === 0) return;
  let members: PresenceMember[];
  try {
    members = await read(topic);
  } catch (error) {
    logger.log('warn', 'presence: reading the members after a presence gap failed; new watches of the topic start fresh views', { topic, error: String(error) });
    for (const [view, repair] of started) view.repairFailed(repair);
    return;
  }
  for (const [view, repair] of started) view.repaired(repair, members, GAP_LEAVE_REASON);
}
