/**
 * Repairing presence views after a presence gap (`EngineListener.onPresenceGap`: the engine's event
 * connection was away, and the joins and leaves sent meanwhile are lost to this router). The
 * engine's members of the topic are read once, however many views and watches the topic has, and
 * each view becomes them: its watches are told exactly the difference, as ordinary joins and
 * leaves (a member gone leaves with reason `dropped`, as the client reports members missing from a
 * snapshot after a reconnect: why it left was lost with the event). Events that arrive during the
 * read are held and replayed over the members read, as when a view is seeded.
 *
 * A read that fails leaves the views `outdated`: it is retried for the topic (one timer per topic,
 * however many views and watches) after a backoff of `repairRetryDelay`, doubling from 1 s to 30 s,
 * for as long as the topic is watched, and the watches are told the difference when one succeeds.
 * A watch that starts while its view waits for a repair waits for it (presence-watchers.ts,
 * `repaired`), so that its snapshot is never the outdated view.
 */
import { LeaveReason } from '@herald/protocol';
import type { PresenceMember } from './engine.js';
import type { Logger } from './logger.js';
import type { PresenceView } from './presence-view.js';

/** Reads a topic's members from the engine. */
export type ReadMembers = (topic: string) => Promise<PresenceMember[]>;

/** What a member found gone by a repair leaves with. */
export const GAP_LEAVE_REASON: string = LeaveReason.DROPPED;

/** The first retry of a failed repair comes within this many ms (at least half of it). */
export const REPAIR_RETRY_MIN_MS = 1000;
/** Retries of a failed repair come at least this often (within this many ms, at least half of it). */
export const REPAIR_RETRY_MAX_MS = 30_000;

/**
 * The wait (ms) before retry `failures` (1 after the first failed read) of a topic's repair: the
 * ceiling doubles from `REPAIR_RETRY_MIN_MS` to `REPAIR_RETRY_MAX_MS`, and the wait is drawn in its
 * upper half, so that the routers that lost the same Redis do not all read again at once.
 */
export function repairRetryDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(REPAIR_RETRY_MAX_MS, REPAIR_RETRY_MIN_MS * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A topic whose repair reads now or waits for its retry. */
interface TopicRepair {
  /** The read in flight (the latest: a gap's read supersedes an earlier one). */
  read: Promise<void> | undefined;
  /** Reads that failed in a row. */
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const ignore = (): void => undefined;

/** The repairs of the presence views of a router, one read (and at most one retry timer) per topic. */
export class PresenceRepairs<W> {
  readonly #topics = new Map<string, TopicRepair>();
  readonly #views: (topic: string) => Iterable<PresenceView<W>>;
  readonly #read: ReadMembers;
  readonly #logger: Logger;
  readonly #live: () => boolean;

  /**
   * `views`: a topic's open views. `live`: whether the engine reports itself available (a retry
   * that comes while it does not waits for the next one: the gap reported when it is back
   * repairs the views anyway).
   */
  constructor(views: (topic: string) => Iterable<PresenceView<W>>, read: ReadMembers, logger: Logger, live: () => boolean) {
    this.#views = views;
    this.#read = read;
    this.#logger = logger;
    this.#live = live;
  }

  /**
   * Presence events of `topic` may have been lost: its views are repaired with a new read (which
   * supersedes one in flight, as that may have been read before the loss). Resolves when the read
   * answered; a failure is logged and retried, never thrown.
   */
  repair(topic: string): Promise<void> {
    return this.#start(topic).catch(ignore);
  }

  /**
   * Resolves once `view` is repaired: it joins the topic's read in flight, or reads now (instead
   * of waiting for the retry). When a read it joined fails, it reads once on its own; when that
   * fails too, it rejects with the read's error (the view stays outdated, its retry goes on).
   */
  async repaired(view: PresenceView<W>): Promise<void> {
    let failures = 0;
    while (view.needsRepair) {
      const joined = this.#topics.get(view.topic)?.read;
      try {
        await (joined ?? this.#start(view.topic));
      } catch (error) {
        if (joined === undefined || ++failures > 1) throw error;
      }
    }
  }

  /** The topic has no views left: its retry (if any) is dropped. */
  forget(topic: string): void {
    const state = this.#topics.get(topic);
    if (state === undefined) return;
    clearTimeout(state.timer);
    this.#topics.delete(topic);
  }

  /** Reads the members and repairs every view of the topic that is seeded (see `startRepair`). */
  #start(topic: string): Promise<void> {
    let state = this.#topics.get(topic);
    if (state === undefined) this.#topics.set(topic, (state = { read: undefined, failures: 0, timer: undefined }));
    clearTimeout(state.timer);
    state.timer = undefined;
    const started: [PresenceView<W>, number][] = [];
    for (const view of this.#views(topic)) {
      const repair = view.startRepair();
      if (repair !== undefined) started.push([view, repair]);
    }
    if (started.length === 0) {
      if (state.read === undefined) this.#topics.delete(topic);
      return Promise.resolve();
    }
    const owner = state;
    const read: Promise<void> = this.#read(topic).then(
      (members) => {
        for (const [view, repair] of started) view.repaired(repair, members, GAP_LEAVE_REASON);
        if (owner.read !== read) return; // superseded: the later read settles the topic
        owner.read = undefined;
        owner.failures = 0;
        if (this.#topics.get(topic) === owner && owner.timer === undefined) this.#topics.delete(topic);
      },
      (error: unknown) => {
        for (const [view, repair] of started) view.repairFailed(repair);
        if (owner.read === read) {
          owner.read = undefined;
          owner.failures++;
          if (this.#topics.get(topic) === owner) {
            // One line per failed read (at most one per topic per wait), none for a wait skipped.
            this.#logger.log('warn', 'presence: reading the members to repair the watches failed; retrying', { topic, failures: owner.failures, error: String(error) });
            this.#retry(topic, owner);
          }
        }
        throw error;
      },
    );
    read.catch(ignore); // a failure is logged; callers that wait see it
    state.read = read;
    return read;
  }

  /** Schedules the topic's next read, while one of its views is outdated. */
  #retry(topic: string, state: TopicRepair): void {
    if (![...this.#views(topic)].some((view) => view.outdated && !view.closed)) {
      this.#topics.delete(topic);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (this.#live()) void this.#start(topic).catch(ignore);
      else {
        state.failures++;
        this.#retry(topic, state);
      }
    }, repairRetryDelay(state.failures));
    state.timer.unref?.(); // never what keeps a process alive; the topic's last watch drops it anyway
  }
}
