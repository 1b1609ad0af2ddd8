/**
 * MemoryEngine history, unit level (no sockets): trimming by count and age with an injected clock,
 * compaction, per-topic epochs, history rules by pattern, `topics()`, and the idle sweep.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineListener, HistoryRule, Publication, StampedPublication } from './engine.js';
import { DEFAULT_HISTORY, MemoryEngine } from './memory-engine.js';

const listener: EngineListener = { onPublication: () => {}, onPresence: () => {} };
const encoder = new TextEncoder();
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const offsets = (messages: StampedPublication[]): number[] => messages.map((m) => m.offset);

/** An engine aged by a hand clock; `publish` stamps publications with the same clock. */
async function clocked(history: HistoryRule | readonly HistoryRule[] | false, start = 1_000_000) {
  const clock = { now: start };
  const engine = new MemoryEngine({ history, now: () => clock.now });
  await engine.start(listener);
  const publish = (topic: string, payload = '{"json":null}') => {
    const publication: Publication = { topic, codec: 'superjson', payload: encoder.encode(payload), from: { id: 'p', name: 'P' }, at: clock.now };
    return engine.publish(publication);
  };
  return {
    clock,
    engine,
    publish,
    async publishN(topic: string, count: number) {
      let stamp = await publish(topic);
      for (let i = 1; i < count; i++) stamp = await publish(topic);
      return stamp;
    },
    [Symbol.asyncDispose]: () => engine.close(),
  };
}

describe('MemoryEngine history: count', () => {
  it('keeps the last `limit` messages and says when a position is older than that', async () => {
    await using e = await clocked({ limit: 3, ttlMs: 60_000 });
    const { epoch } = await e.publishN('t', 5);
    expect(offsets((await e.engine.history('t', { last: 10 })).messages)).toEqual([3, 4, 5]);
    expect(offsets((await e.engine.history('t', { last: 2 })).messages)).toEqual([4, 5]);
    expect(await e.engine.history('t', { after: 0, epoch })).toMatchObject({ epoch, complete: false });
    expect(offsets((await e.engine.history('t', { after: 0, epoch })).messages)).toEqual([3, 4, 5]);
    expect(offsets((await e.engine.history('t', { after: 1, epoch })).messages)).toEqual([3, 4, 5]);
    expect((await e.engine.history('t', { after: 1, epoch })).complete).toBe(false);
    expect(await e.engine.history('t', { after: 2, epoch })).toMatchObject({ complete: true });
    expect(offsets((await e.engine.history('t', { after: 2, epoch })).messages)).toEqual([3, 4, 5]);
    expect(await e.engine.history('t', { after: 5, epoch })).toEqual({ epoch, messages: [], complete: true });
  });

  it('keeps offsets contiguous through compaction: 1,000 publishes with limit 10', async () => {
    await using e = await clocked({ limit: 10, ttlMs: 60_000 });
    let epoch = '';
    for (let n = 1; n <= 1000; n++) {
      const stamp = await e.publish('c');
      epoch = stamp.epoch;
      expect(stamp.offset).toBe(n);
      const held = range(Math.max(1, n - 9), n);
      expect(offsets((await e.engine.history('c', { last: 10 })).messages)).toEqual(held);
      for (const after of [n - 11, n - 10, n - 5, n - 1, n]) {
        if (after < 0) continue;
        const page = await e.engine.history('c', { after, epoch });
        expect(offsets(page.messages)).toEqual(held.filter((offset) => offset > after));
        expect(page.complete).toBe(after >= n - 10);
      }
    }
    // The messages themselves, not only their offsets, are the ones published.
    const last = (await e.engine.history('c', { last: 1 })).messages[0]!;
    expect(last).toMatchObject({ topic: 'c', epoch, offset: 1000, codec: 'superjson', from: { id: 'p', name: 'P' } });
  });

  it('keeps the last 100 for 5 minutes by default', async () => {
    expect(DEFAULT_HISTORY).toEqual({ limit: 100, ttlMs: 300_000 });
    const clock = { now: 0 };
    const engine = new MemoryEngine({ now: () => clock.now });
    await engine.start(listener);
    await using _engine = { [Symbol.asyncDispose]: () => engine.close() };
    for (let i = 0; i < 150; i++) await engine.publish({ topic: 'd', codec: 'superjson', payload: encoder.encode('1'), from: { id: 'p', name: 'P' }, at: 0 });
    expect(offsets((await engine.history('d', { last: 1000 })).messages)).toEqual(range(51, 150));
    clock.now = 300_000;
    expect((await engine.history('d', { last: 1000 })).messages).toHaveLength(100);
    clock.now = 300_001;
    expect((await engine.history('d', { last: 1000 })).messages).toEqual([]);
  });
});

describe('MemoryEngine history: age (injected clock)', () => {
  it('drops messages older than ttlMs, from every kind of query', async () => {
    await using e = await clocked({ limit: 100, ttlMs: 1000 });
    const { epoch } = await e.publishN('a', 3); // at 1_000_000
    e.clock.now += 500;
    await e.publishN('a', 2); // at 1_000_500
    e.clock.now = 1_001_000; // offsets 1-3 are exactly ttlMs old: still held
    expect(offsets((await e.engine.history('a', { last: 10 })).messages)).toEqual([1, 2, 3, 4, 5]);
    e.clock.now = 1_001_001;
    expect(offsets((await e.engine.history('a', { last: 10 })).messages)).toEqual([4, 5]);
    expect(await e.engine.history('a', { after: 1, epoch })).toMatchObject({ complete: false });
    expect(await e.engine.history('a', { after: 3, epoch })).toMatchObject({ complete: true });
    const since = await e.engine.history('a', { since: 1_000_000 });
    expect(offsets(since.messages)).toEqual([4, 5]);
    expect(since.complete).toBe(false);
    expect(await e.engine.history('a', { since: 1_000_001 })).toMatchObject({ complete: true });
    e.clock.now = 1_001_501;
    expect((await e.engine.history('a', { last: 10 })).messages).toEqual([]);
    expect(await e.engine.history('a', { after: 5, epoch })).toEqual({ epoch, messages: [], complete: true });
    expect(await e.engine.history('a', { after: 4, epoch })).toEqual({ epoch, messages: [], complete: false });
    // Offsets go on where they were: eviction is not a new epoch.
    expect(await e.publish('a')).toEqual({ epoch, offset: 6 });
  });
});

describe('MemoryEngine epochs', () => {
  it('gives each topic its own epoch, and each engine new ones', async () => {
    await using first = await clocked(DEFAULT_HISTORY);
    await using second = await clocked(DEFAULT_HISTORY);
    const a = await first.publish('x');
    const b = await first.publish('y');
    const c = await second.publish('x');
    expect(new Set([a.epoch, b.epoch, c.epoch]).size).toBe(3);
    expect([a.offset, b.offset, c.offset]).toEqual([1, 1, 1]);
    expect((await first.publish('x')).epoch).toBe(a.epoch);
  });
});

describe('MemoryEngine history rules', () => {
  it('keeps nothing with history: false, and says what is missed', async () => {
    await using e = await clocked(false);
    const { epoch } = await e.publishN('n', 4);
    expect(await e.engine.history('n', { last: 10 })).toEqual({ epoch, messages: [], complete: true });
    expect(await e.engine.history('n', { after: 2, epoch })).toEqual({ epoch, messages: [], complete: false });
    expect(await e.engine.history('n', { after: 4, epoch })).toEqual({ epoch, messages: [], complete: true });
    expect(await e.engine.topics('n')).toEqual([]);
    expect(await e.engine.topics('>')).toEqual([]);
  });

  it('applies the first rule whose pattern matches; topics no rule matches keep nothing', async () => {
    await using e = await clocked([
      { pattern: 'a.b', limit: 2, ttlMs: 60_000 },
      { pattern: 'a.>', limit: 5, ttlMs: 60_000 },
      { pattern: 'short.*', limit: 100, ttlMs: 10 },
    ]);
    for (const topic of ['a.b', 'a.c', 'a.b.c', 'short.x', 'z']) await e.publishN(topic, 8);
    e.clock.now += 11;
    const held = async (topic: string) => offsets((await e.engine.history(topic, { last: 100 })).messages);
    expect(await held('a.b')).toEqual([7, 8]);
    expect(await held('a.c')).toEqual([4, 5, 6, 7, 8]);
    expect(await held('a.b.c')).toEqual([4, 5, 6, 7, 8]);
    expect(await held('short.x')).toEqual([]);
    expect(await held('z')).toEqual([]);
  });

  it('applies a rule without a pattern to every topic', async () => {
    await using e = await clocked([{ pattern: 'few.>', limit: 1, ttlMs: 60_000 }, { limit: 3, ttlMs: 60_000 }]);
    await e.publishN('few.a', 5);
    await e.publishN('other', 5);
    expect(offsets((await e.engine.history('few.a', { last: 10 })).messages)).toEqual([5]);
    expect(offsets((await e.engine.history('other', { last: 10 })).messages)).toEqual([3, 4, 5]);
  });
});

describe('MemoryEngine.topics', () => {
  it('lists only the matching topics that hold messages', async () => {
    await using e = await clocked([
      { pattern: 'kept.>', limit: 10, ttlMs: 1000 },
      { pattern: 'gone.>', limit: 0, ttlMs: 1000 },
    ]);
    for (const topic of ['kept.a', 'kept.b.c', 'gone.a']) await e.publish(topic);
    expect((await e.engine.topics('>')).sort()).toEqual(['kept.a', 'kept.b.c']);
    expect((await e.engine.topics('kept.*')).sort()).toEqual(['kept.a']);
    expect(await e.engine.topics('kept.a')).toEqual(['kept.a']);
    expect(await e.engine.topics('gone.a')).toEqual([]);
    expect(await e.engine.topics('never.>')).toEqual([]);
  });

  it('does not list topics whose messages all expired (history() returns none for them)', async () => {
    await using e = await clocked({ limit: 10, ttlMs: 1000 });
    for (const topic of ['kept.a', 'kept.b']) await e.publish(topic);
    e.clock.now += 500;
    await e.publish('kept.b');
    e.clock.now += 501; // kept.a: 1001 ms old, nothing held; kept.b: its second message is held
    expect(await e.engine.topics('kept.*')).toEqual(['kept.b']);
    expect(await e.engine.topics('kept.a')).toEqual([]);
    expect((await e.engine.history('kept.a', { last: 10 })).messages).toEqual([]);
  });
});

describe('MemoryEngine idle sweep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const HOUR = 60 * 60_000;

  /** An engine whose sweep interval is fake (it starts with the engine). */
  async function swept(history: HistoryRule | false) {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    return clocked(history, 0);
  }

  /** Lets the sweep run once, at the clock's current time. */
  function sweep(): void {
    vi.advanceTimersByTime(60_000);
  }

  it('forgets a topic with nothing held after an hour without publish; it gets a new epoch', async () => {
    await using e = await swept({ limit: 10, ttlMs: 1000 });
    const { epoch } = await e.publishN('idle', 3); // at 0; expired from 1001 on
    e.clock.now = HOUR - 1;
    sweep();
    expect(await e.engine.history('idle', { after: 3, epoch })).toEqual({ epoch, messages: [], complete: true });
    e.clock.now = HOUR + 1;
    sweep();
    expect(await e.engine.history('idle', { after: 3, epoch })).toEqual({ epoch: undefined, messages: [], complete: false });
    const again = await e.publish('idle');
    expect(again.offset).toBe(1);
    expect(again.epoch).not.toBe(epoch);
  });

  it('forgets an idle topic that keeps no history too', async () => {
    await using e = await swept(false);
    const { epoch } = await e.publishN('quiet', 2);
    e.clock.now = HOUR + 1;
    sweep();
    expect((await e.engine.history('quiet', { after: 2, epoch })).epoch).toBeUndefined();
    expect((await e.publish('quiet')).epoch).not.toBe(epoch);
  });

  it('keeps a topic that still holds messages, or saw a publish within the hour', async () => {
    await using e = await swept({ limit: 10, ttlMs: 2 * HOUR });
    const held = await e.publish('held'); // at 0, kept for two hours
    e.clock.now = HOUR - 10;
    const recent = await e.publish('recent');
    e.clock.now = HOUR + 1;
    sweep();
    expect((await e.engine.history('held', { after: 0, epoch: held.epoch })).messages).toHaveLength(1);
    expect((await e.publish('held')).epoch).toBe(held.epoch);
    expect((await e.publish('recent')).epoch).toBe(recent.epoch);
  });
});

describe('MemoryEngine exactly-once publish: bounded memory', () => {
  async function deduping(options: { dedupeMs?: number; maxDedupe?: number }) {
    const clock = { now: 1_000_000 };
    const engine = new MemoryEngine({ ...options, now: () => clock.now });
    await engine.start(listener);
    const publish = (pid: string) =>
      engine.publish({ topic: 't', codec: 'superjson', payload: encoder.encode('{"json":1}'), from: { id: 'p', name: 'P' }, at: clock.now, pid });
    return { clock, engine, publish, [Symbol.asyncDispose]: () => engine.close() };
  }

  it('defaults to a 120 s window', async () => {
    await using e = await deduping({});
    expect(e.engine.dedupeMs).toBe(120_000);
  });

  it('remembers a pid for dedupeMs, then publishes it again', async () => {
    await using e = await deduping({ dedupeMs: 1000 });
    const first = await e.publish('a');
    e.clock.now += 999;
    expect(await e.publish('a')).toEqual(first);
    e.clock.now += 1;
    expect((await e.publish('a')).offset).toBe(2);
  });

  it('remembers at most maxDedupe pids: the oldest go first', async () => {
    await using e = await deduping({ maxDedupe: 3 });
    for (const pid of ['a', 'b', 'c', 'd']) await e.publish(pid);
    expect((await e.publish('a')).offset).toBe(5); // forgotten: published again
    expect((await e.publish('d')).offset).toBe(4); // remembered
  });
});
