/**
 * Replays history to a subscriber: the last n messages of each topic for a `rewind`, and after a
 * reconnect, whatever each topic got past the subscriber's position (or, for topics it had not
 * seen yet, since its subscription began). The subscription is registered before history is read,
 * so nothing falls between replay and live delivery; the client drops what it gets twice.
 */
import { RecoveryReason, type SubscribeMsg, hasWildcard, matchPattern } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { Engine, HistoryPage } from './engine.js';
import type { Frames } from './frames.js';

export interface RecoveryResult {
  recovered?: boolean;
  reason?: string;
  gaps?: string[];
}

export async function replay(engine: Engine, frames: Frames, connection: Connection, request: SubscribeMsg): Promise<RecoveryResult> {
  const { pattern } = request;
  const recovering = request.positions !== undefined || request.since !== undefined;
  if (!recovering && request.rewind === undefined) return {};
  const positions = new Map<string, { epoch: string; offset: number }>();
  for (const [topic, epoch, offset] of request.positions ?? []) {
    if (matchPattern(pattern, topic)) positions.set(topic, { epoch, offset });
  }
  const topics = new Set(hasWildcard(pattern) ? await engine.topics(pattern, request.since) : [pattern]);
  for (const topic of positions.keys()) topics.add(topic);

  const gaps: string[] = [];
  let epochChanged = false;
  // The engine may have forgotten topics that had messages since then: they would leave no trace.
  if (request.since !== undefined && engine.remembersSince?.(request.since) === false) gaps.push(pattern);
  for (const topic of [...topics].sort()) {
    let page: HistoryPage;
    const position = positions.get(topic);
    if (!recovering) page = await engine.history(topic, { last: request.rewind ?? 0 });
    else if (position !== undefined) page = await engine.history(topic, { after: position.offset, epoch: position.epoch });
    else if (request.since !== undefined) page = await engine.history(topic, { since: request.since });
    else continue;
    if (recovering && !page.complete) {
      gaps.push(topic);
      if (position !== undefined && page.epoch !== position.epoch) {
        // Offsets restarted (the router restarted, or forgot the topic): whatever was lost
        // between the subscriber's position and the restart is gone, but every message of the
        // new epoch came after it, so the subscriber gets all of those that are still held.
        epochChanged = true;
        if (page.epoch !== undefined) page = await engine.history(topic, { last: Number.MAX_SAFE_INTEGER });
      }
    }
    for (const publication of page.messages) {
      if (connection.state !== 'open') return {};
      let frame: Uint8Array;
      try {
        frame = frames.message(publication, connection.codec, request.id);
      } catch {
        continue; // cannot be transcoded for this subscriber; live delivery drops it the same way
      }
      // A long replay waits for the socket whenever half the outbound limit is queued: it must
      // not trip the slow-consumer limit of a client that reads at full speed.
      if (connection.bufferedAmount > connection.maxBufferedBytes / 2) await connection.sendAndFlush(frame);
      else connection.send(frame);
    }
  }
  if (!recovering) return {};
  if (gaps.length === 0) return { recovered: true };
  return { recovered: false, reason: epochChanged ? RecoveryReason.EPOCH_CHANGED : RecoveryReason.HISTORY_EVICTED, gaps };
}
