/**
 * The heartbeat's sweep in slices, over in-memory connections (a socket that records its pings) and
 * fake interval timers, one ms at a time: how much a tick handles, one ping per interval, the cut
 * window, joins and leaves in the middle of a sweep, stop(). The router's side over real sockets
 * is in test/heartbeat.int.test.ts.
 */
import { superjsonCodec } from '@herald/protocol';
import fc from 'fast-check';
import type WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection } from './connection.js';
import { ConnectionMap, heartbeatSlices, MAX_SLICES, MIN_SLICE_MS, startHeartbeat } from './heartbeat.js';

/** What happened to one connection, in fake ms. */
interface Life {
  readonly connection: Connection;
  readonly joinedAt: number;
  lastWord: number;
  pings: number[];
  cutAt?: number;
  leftAt?: number;
}

/** A heartbeat over a ConnectionMap of in-memory connections; the hub's onSilent deletes the connection. */
class Bench {
  readonly map = new ConnectionMap();
  readonly lives: Life[] = [];
  now = 0;
  /** Connections handled (pinged or cut) per fake ms. */
  readonly handled = new Map<number, number>();
  /** The most connections in the map at once. */
  peak = 0;
  readonly stop: () => void;
  #ids = 0;

  constructor(
    readonly intervalMs: number,
    readonly timeoutMs: number,
  ) {
    this.stop = startHeartbeat(this.map, intervalMs, timeoutMs, (connection) => {
      this.#handle();
      this.#life(connection).cutAt = this.now;
      this.map.delete(connection.id);
    });
  }

  join(): Life {
    const socket = { ping: () => {
      this.#handle();
      life.pings.push(this.now);
    } };
    const connection = new Connection(`c${this.#ids++}`, socket as unknown as WebSocket, superjsonCodec, '127.0.0.1', 1 << 20, () => {});
    const life: Life = { connection, joinedAt: this.now, lastWord: this.now, pings: [] };
    this.lives.push(life);
    this.map.set(connection.id, connection);
    this.peak = Math.max(this.peak, this.map.size);
    return life;
  }

  heard(life: Life): void {
    life.connection.heard = true;
    life.lastWord = this.now;
  }

  leave(life: Life): void {
    this.map.delete(life.connection.id);
    life.leftAt = this.now;
  }

  /** A resumed session: the same connection under a new id (resume.ts's rekey). */
  rekey(life: Life): void {
    this.map.delete(life.connection.id);
    life.connection.id = `c${this.#ids++}`;
    this.map.set(life.connection.id, life.connection);
  }

  advance(ms: number): void {
    for (let i = 0; i < ms; i++) {
      this.now++;
      vi.advanceTimersByTime(1);
    }
  }

  get live(): Life[] {
    return this.lives.filter((life) => life.leftAt === undefined && life.cutAt === undefined);
  }

  /** ceil(N / S), N the most connections held at once. */
  get bound(): number {
    return Math.ceil(this.peak / heartbeatSlices(this.intervalMs));
  }

  get mostHandledInATick(): number {
    return Math.max(0, ...this.handled.values());
  }

  #handle(): void {
    this.handled.set(this.now, (this.handled.get(this.now) ?? 0) + 1);
  }

  #life(connection: Connection): Life {
    return this.lives.find((life) => life.connection === connection)!;
  }
}

/**
 * The rules for one connection, until `end`: pings exactly one interval apart, the first within an
 * interval of joining, none missing before it left or was cut; a cut between the timeout and the
 * timeout plus one interval after its last word, and one for every connection that stayed silent
 * that long.
 */
function expectRules(bench: Bench, life: Life, end: number): void {
  const { intervalMs: interval, timeoutMs: timeout } = bench;
  const until = life.cutAt ?? life.leftAt ?? end;
  const visits = life.cutAt === undefined ? life.pings : [...life.pings, life.cutAt];
  if (visits.length > 0) {
    expect(visits[0]).toBeGreaterThan(life.joinedAt);
    expect(visits[0]).toBeLessThanOrEqual(life.joinedAt + interval);
  } else {
    expect(until).toBeLessThan(life.joinedAt + interval);
  }
  for (let i = 1; i < visits.length; i++) expect(visits[i]! - visits[i - 1]!).toBe(interval);
  if (visits.length > 0) expect(visits.at(-1)! + interval).toBeGreaterThan(until);
  if (life.cutAt !== undefined) {
    expect(life.cutAt - life.lastWord).toBeGreaterThanOrEqual(timeout);
    expect(life.cutAt - life.lastWord).toBeLessThanOrEqual(timeout + interval);
  } else if (life.leftAt === undefined) {
    expect(end - life.lastWord).toBeLessThan(timeout + interval);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('heartbeatSlices', () => {
  it('cuts an interval into whole slices of at least 50 ms, at most 200 of them, or keeps it whole', () => {
    expect(heartbeatSlices(10_000)).toBe(200);
    expect(heartbeatSlices(1000)).toBe(20);
    expect(heartbeatSlices(100)).toBe(2);
    expect(heartbeatSlices(99)).toBe(1);
    expect(heartbeatSlices(60_000)).toBe(200); // 300 ms slices: no more than 200
    expect(heartbeatSlices(1234)).toBe(2); // 617 ms slices: the only divisor from 50 ms up
    expect(heartbeatSlices(10_007)).toBe(1); // prime
    expect(heartbeatSlices(50)).toBe(1);
    expect(heartbeatSlices(2 ** 31 - 1)).toBe(1);
    for (const interval of [10, 50, 100, 999, 1000, 1234, 4096, 10_000, 30_000, 86_400_000, 2 ** 31 - 2]) {
      const slices = heartbeatSlices(interval);
      expect(slices).toBeLessThanOrEqual(MAX_SLICES);
      expect(interval % slices).toBe(0);
      if (slices > 1) expect(interval / slices).toBeGreaterThanOrEqual(MIN_SLICE_MS);
    }
  });
});

describe('heartbeat in slices', () => {
  const INTERVAL = 1000; // 20 slices of 50 ms
  const SLICES = 20;
  const TIMEOUT = 3000;

  it('handles at most ceil(N / S) connections per tick and pings each exactly once per interval', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    for (let i = 0; i < 2000; i++) bench.join();
    for (let ms = 0; ms < 5 * INTERVAL; ms++) {
      bench.advance(1);
      for (const life of bench.live) bench.heard(life); // every client answers
    }
    expect(bench.mostHandledInATick).toBe(2000 / SLICES);
    expect(bench.handled.size).toBe(5 * SLICES); // every tick had its share
    for (const life of bench.lives) {
      expect(life.pings).toHaveLength(5);
      expectRules(bench, life, bench.now);
    }
    bench.stop();
  });

  it('keeps the bound and the rules through joins and leaves in the middle of a sweep', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    for (let i = 0; i < 1000; i++) bench.join();
    bench.advance(INTERVAL / 2 + 3);
    // Half of the first ones leave, 1500 join in the middle of the sweep, then more leave.
    for (const life of bench.lives.filter((_, i) => i % 2 === 0)) bench.leave(life);
    for (let i = 0; i < 1500; i++) {
      bench.join();
      if (i % 100 === 0) bench.advance(7);
    }
    for (const life of bench.live.filter((_, i) => i % 3 === 0)) bench.leave(life);
    for (let ms = 0; ms < 4 * INTERVAL; ms++) {
      bench.advance(1);
      if (ms % 250 === 0) for (const life of bench.live) bench.heard(life);
    }
    expect(bench.peak).toBe(2000);
    expect(bench.mostHandledInATick).toBeLessThanOrEqual(bench.bound);
    for (const life of bench.lives) expectRules(bench, life, bench.now);
    // One that left never hears from the heartbeat again: no ping, no cut.
    const left = bench.lives.filter((life) => life.leftAt !== undefined);
    expect(left.length).toBeGreaterThan(0);
    for (const life of left) {
      expect(life.cutAt).toBeUndefined();
      expect(life.pings.every((at) => at <= life.leftAt!)).toBe(true);
    }
  });

  it('pings one that joins in the middle of a sweep within one interval, then once per interval', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    for (let i = 0; i < 300; i++) bench.join();
    bench.advance(437);
    const late = bench.join();
    for (let ms = 0; ms < 3 * INTERVAL; ms++) {
      bench.advance(1);
      bench.heard(late);
    }
    expect(late.pings).toHaveLength(3);
    expect(late.pings[0]).toBeLessThanOrEqual(437 + INTERVAL);
    expectRules(bench, late, bench.now);
  });

  it('cuts a silent connection between the timeout and the timeout plus one interval after its last word', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    const lives = Array.from({ length: 200 }, () => bench.join());
    // Each speaks a last time at its own moment of the first 2 intervals, then falls silent.
    for (let ms = 1; ms <= 2 * INTERVAL; ms++) {
      bench.advance(1);
      for (const [i, life] of lives.entries()) if (ms <= i * 10) bench.heard(life);
    }
    bench.advance(TIMEOUT + 2 * INTERVAL);
    for (const life of lives) {
      expect(life.cutAt).toBeDefined();
      expectRules(bench, life, bench.now);
    }
    // Cut at their own phases, not all at once.
    expect(bench.mostHandledInATick).toBeLessThanOrEqual(bench.bound);
  });

  it('does not cut a connection the router hears from, however late in its interval', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    const life = bench.join();
    // A word 1 ms before each of its visits.
    for (let round = 0; round < 8; round++) {
      bench.advance(INTERVAL - 1);
      bench.heard(life);
      bench.advance(1);
    }
    expect(life.cutAt).toBeUndefined();
    expect(life.pings).toHaveLength(8);
  });

  it('keeps the phase of a resumed session (the same connection under a new id)', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    const lives = Array.from({ length: 50 }, () => bench.join());
    bench.advance(1500);
    for (const life of lives) bench.rekey(life);
    bench.advance(2 * INTERVAL);
    for (const life of lives) {
      expect(life.pings).toHaveLength(3);
      expectRules(bench, life, bench.now);
    }
  });

  it('stop() clears every timer and stops pinging', () => {
    const bench = new Bench(INTERVAL, TIMEOUT);
    const life = bench.join();
    bench.advance(2 * INTERVAL + 5);
    expect(life.pings).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(SLICES); // one interval timer per slice once the first round is done
    bench.stop();
    expect(vi.getTimerCount()).toBe(0);
    bench.advance(3 * INTERVAL);
    expect(life.pings).toHaveLength(2);
    expect(life.cutAt).toBeUndefined();
    // Joins after the stop are not watched.
    const after = bench.join();
    bench.advance(2 * INTERVAL);
    expect(after.pings).toEqual([]);
  });

  it('does nothing with an interval of 0', () => {
    const bench = new Bench(0, TIMEOUT);
    bench.join();
    expect(vi.getTimerCount()).toBe(0);
    bench.stop();
  });

  it('holds the rules for any schedule of joins, leaves, words and resumes (property)', () => {
    const interval = 500; // 10 slices of 50 ms
    const timeout = 1500;
    const horizon = 4000;
    const event = fc.record({
      at: fc.integer({ min: 0, max: horizon }),
      kind: fc.constantFrom('join', 'join', 'leave', 'heard', 'heard', 'heard', 'rekey'),
      who: fc.integer({ min: 0, max: 24 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 150 }), (events) => {
        vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
        const bench = new Bench(interval, timeout);
        const current = new Map<number, Life>();
        const sorted = [...events].sort((a, b) => a.at - b.at);
        const end = horizon + timeout + 2 * interval;
        let next = 0;
        for (let ms = 0; ms <= end; ms++) {
          if (ms > 0) bench.advance(1);
          for (; next < sorted.length && sorted[next]!.at === ms; next++) {
            const { kind, who } = sorted[next]!;
            const life = current.get(who);
            const alive = life !== undefined && life.leftAt === undefined && life.cutAt === undefined;
            if (kind === 'join' && !alive) current.set(who, bench.join());
            else if (kind === 'leave' && alive) bench.leave(life);
            else if (kind === 'heard' && alive) bench.heard(life);
            else if (kind === 'rekey' && alive) bench.rekey(life);
          }
        }
        for (const life of bench.lives) expectRules(bench, life, bench.now);
        expect(bench.mostHandledInATick).toBeLessThanOrEqual(bench.bound);
        bench.stop();
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('heartbeat timers', () => {
  it('never keep the process alive', async () => {
    vi.useRealTimers();
    const timers: NodeJS.Timeout[] = [];
    const realSetInterval = globalThis.setInterval;
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void, ms: number) => {
      const timer = realSetInterval(callback, ms);
      timers.push(timer);
      return timer;
    }) as typeof setInterval);
    const map = new ConnectionMap();
    let pinged: () => void = () => {};
    const pings = new Promise<void>((resolve) => (pinged = resolve));
    const socket = { ping: () => pinged() };
    map.set('c', new Connection('c', socket as unknown as WebSocket, superjsonCodec, '127.0.0.1', 1 << 20, () => {}));
    const stop = startHeartbeat(map, 100, 300, () => {}); // 2 slices
    await pings; // the first round started: its slice has a timer of its own now
    spy.mockRestore();
    expect(timers.length).toBeGreaterThanOrEqual(2);
    expect(timers.map((timer) => timer.hasRef())).toEqual(timers.map(() => false));
    stop();
  });
});
