/**
 * The router's side of heartbeats: every interval, each connection that was silent for the timeout
 * is dropped, and the others get a WebSocket ping (browsers and ws answer it without the app).
 *
 * The work is spread over the interval: it is cut into S slices (see {@link heartbeatSlices}), and
 * each connection belongs to one slice, given when it joins (the next slice, in turn, holding no
 * more than its share of the connections then). A slice is visited once per interval by its own
 * timer (the slices' first visits one slice length apart), so a connection's visits are exactly one
 * interval apart. A tick visits one slice: it handles at most ceil(N / S) connections, N the most
 * connections the router held at once (a slice grows only when a connection joins it, while it
 * holds no more than floor(connections / S)). 10,000 connections and the default 10 s interval
 * (200 slices of 50 ms) make 50 per tick, where one tick used to take them all. Slices are no
 * shorter than 50 ms because each wake-up costs CPU of its own (an empty 25 ms timer took 28 ms of
 * CPU per 10 s on the 2-core dev VM, a 100 ms one 9 ms).
 *
 * Silence is counted in whole intervals from the first visit after the last word (any frame or
 * pong: on a `ws` socket, any bytes read from its TCP socket; joining counts as a word). A
 * connection's first visit comes within one interval of its joining, then one every interval, so a
 * client is cut between the timeout and the timeout plus one interval after its last word, never
 * before.
 */
import type { Connection } from './connection.js';

/** The shortest slice, in ms: the heartbeat's timers fire at most once per this. */
export const MIN_SLICE_MS = 50;
/** The most slices an interval is cut into. */
export const MAX_SLICES = 200;
/** How many slice lengths are tried, from the shortest allowed up. */
const SLICE_SEARCH = 1000;

/**
 * How many slices (S) an interval of `intervalMs` is cut into: intervalMs / the shortest whole
 * number of ms that divides it, is at least {@link MIN_SLICE_MS} and makes at most
 * {@link MAX_SLICES} slices (so that S slices make exactly one interval; 10 s makes 200 slices of
 * 50 ms). 1 (one tick per interval with every connection in it, as before) when the interval is
 * under 100 ms or no length among the 1000 tried from the shortest allowed divides it.
 */
export function heartbeatSlices(intervalMs: number): number {
  if (!Number.isInteger(intervalMs)) return 1;
  const shortest = Math.max(MIN_SLICE_MS, Math.ceil(intervalMs / MAX_SLICES));
  for (let slice = shortest; slice < shortest + SLICE_SEARCH && slice < intervalMs; slice++) {
    if (intervalMs % slice === 0) return intervalMs / slice;
  }
  return 1;
}

/** What a {@link ConnectionMap} tells the heartbeat watching it. */
interface MapWatcher {
  joined(connection: Connection): void;
  left(connection: Connection): void;
}

/**
 * The router's connections by id: a Map that tells the heartbeat who joins and who leaves, so that
 * the heartbeat never has to walk all of them. A connection deleted and set again under another id
 * in the same turn (a resumed session) keeps its place in the heartbeat.
 */
export class ConnectionMap extends Map<string, Connection> {
  #watcher: MapWatcher | undefined;

  override set(id: string, connection: Connection): this {
    const previous = super.get(id);
    super.set(id, connection);
    if (previous !== connection) {
      if (previous !== undefined) this.#watcher?.left(previous);
      this.#watcher?.joined(connection);
    }
    return this;
  }

  override delete(id: string): boolean {
    const connection = super.get(id);
    if (connection === undefined) return false;
    super.delete(id);
    this.#watcher?.left(connection);
    return true;
  }

  override clear(): void {
    const connections = [...super.values()];
    super.clear();
    for (const connection of connections) this.#watcher?.left(connection);
  }

  /** Starts telling `watcher` of joins and leaves (one watcher at a time); returns the stop. */
  watch(watcher: MapWatcher): () => void {
    this.#watcher = watcher;
    return () => {
      if (this.#watcher === watcher) this.#watcher = undefined;
    };
  }
}

/** A connection's place in the heartbeat. */
interface Entry {
  readonly connection: Connection;
  readonly slice: number;
  /** Out of the map: dropped from its slice at its next visit (unless it comes back first). */
  gone: boolean;
  /** Not visited yet: its joining counts as a word. */
  fresh: boolean;
}

/**
 * Starts the heartbeat over `connections`; returns the function that stops it (its timers, and all
 * it holds). Its timers are unref'd: they never keep the process alive.
 */
export function startHeartbeat(
  connections: ConnectionMap,
  intervalMs: number,
  timeoutMs: number,
  onSilent: (connection: Connection) => void,
): () => void {
  if (intervalMs <= 0) return () => {};
  const sliceCount = heartbeatSlices(intervalMs);
  const slices: Entry[][] = Array.from({ length: sliceCount }, () => []);
  /** Connections in the map per slice (not counting the gone ones still listed). */
  const live = new Array<number>(sliceCount).fill(0);
  const entries = new Map<Connection, Entry>();
  let liveTotal = 0;
  /** Where the search for a slice for the next connection starts: the last slice of the round at first, visited a whole interval from now. */
  let place = sliceCount - 1;

  const joined = (connection: Connection): void => {
    const entry = entries.get(connection);
    if (entry !== undefined) {
      if (entry.gone) {
        entry.gone = false;
        live[entry.slice]!++;
        liveTotal++;
      }
      return;
    }
    // A slice holding no more than its share: there is one (pigeonhole), and it stays within ceil(N / S).
    const share = Math.floor(liveTotal / sliceCount);
    while (live[place]! > share) place = (place + 1) % sliceCount;
    const added: Entry = { connection, slice: place, gone: false, fresh: true };
    entries.set(connection, added);
    slices[place]!.push(added);
    live[place]!++;
    liveTotal++;
    place = (place + 1) % sliceCount;
  };

  const left = (connection: Connection): void => {
    const entry = entries.get(connection);
    if (entry === undefined || entry.gone) return;
    entry.gone = true;
    live[entry.slice]!--;
    liveTotal--;
  };

  /** Visits slice `index`: cuts its silent connections and pings the others. */
  const visit = (index: number): void => {
    const slice = slices[index]!;
    // Backwards, so that a gone entry is replaced by one already visited; one joining during the
    // visit (pushed at the end) waits for the next round.
    for (let i = slice.length - 1; i >= 0; i--) {
      const entry = slice[i]!;
      if (entry.gone) {
        slice[i] = slice[slice.length - 1]!;
        slice.pop();
        entries.delete(entry.connection);
        continue;
      }
      const connection = entry.connection;
      if (connection.takeHeard() || entry.fresh) connection.silentMs = 0;
      else connection.silentMs += intervalMs;
      entry.fresh = false;
      if (connection.silentMs >= timeoutMs) onSilent(connection);
      else connection.socket.ping();
    }
  };

  for (const connection of connections.values()) joined(connection);
  const unwatch = connections.watch({ joined, left });
  // Slice k is visited first at (k + 1) slices from now, then by a timer of its own every interval:
  // one timer for all of them would drift by its lateness at every slice (Node reschedules an
  // interval from when its callback ran), one per slice drifts as little as one per interval did.
  const timers: Array<ReturnType<typeof setInterval>> = [];
  let started = 0;
  const first = setInterval(() => {
    const index = started++;
    visit(index);
    const timer = setInterval(() => visit(index), intervalMs);
    timer.unref?.();
    timers.push(timer);
    if (started === sliceCount) clearInterval(first);
  }, intervalMs / sliceCount);
  first.unref?.();
  return () => {
    clearInterval(first);
    for (const timer of timers) clearInterval(timer);
    timers.length = 0;
    unwatch();
    entries.clear();
    for (const slice of slices) slice.length = 0;
  };
}
