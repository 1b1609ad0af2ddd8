import { afterEach, describe, expect, it, vi } from 'vitest';
import { HistoryReads, type HistoryReadsOptions, type SharedRead } from './history-reads.js';

afterEach(() => {
  vi.useRealTimers();
});

interface Call {
  topic: string;
  mode: string;
  arg: number;
  resolve(read: SharedRead<string>): void;
  reject(error: unknown): void;
}

/** HistoryReads over a fetch the test answers by hand (each call recorded). */
function reads(options: Partial<HistoryReadsOptions> = {}) {
  const calls: Call[] = [];
  const shared = new HistoryReads<string>({ ttlMs: 1000, maxEntries: 100, maxBytes: 1_000_000, ...options }, (topic, mode, arg) =>
    new Promise((resolve, reject) => calls.push({ topic, mode, arg, resolve, reject })),
  );
  return { shared, calls };
}

describe('HistoryReads', () => {
  it('N concurrent identical reads make one fetch, and every caller gets its result', async () => {
    const { shared, calls } = reads();
    const waiting = Array.from({ length: 50 }, () => shared.read('t', 'after', 1, true));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ topic: 't', mode: 'after', arg: 1 });
    calls[0]!.resolve({ value: 'page of t after 1', bytes: 10 });
    expect(await Promise.all(waiting)).toEqual(Array(50).fill({ value: 'page of t after 1', bytes: 10 }));
    expect(shared.counters).toEqual({ made: 1, shared: 49 });
    // Done and still valid: shared without a fetch.
    expect(await shared.read('t', 'after', 1, true)).toEqual({ value: 'page of t after 1', bytes: 10 });
    expect(calls).toHaveLength(1);
  });

  it('reads that differ in topic, mode or argument are not shared', () => {
    const { shared, calls } = reads();
    void shared.read('t', 'after', 1, true);
    void shared.read('t', 'after', 2, true);
    void shared.read('t', 'last', 1, true);
    void shared.read('u', 'after', 1, true);
    expect(calls.map((c) => [c.topic, c.mode, c.arg])).toEqual([
      ['t', 'after', 1],
      ['t', 'after', 2],
      ['t', 'last', 1],
      ['u', 'after', 1],
    ]);
  });

  it('an error reaches every waiter, and the next read fetches again', async () => {
    const { shared, calls } = reads();
    const waiting = Array.from({ length: 5 }, () => shared.read('t', 'after', 1, true));
    const failure = new Error('WRONGTYPE');
    calls[0]!.reject(failure);
    const outcomes = await Promise.allSettled(waiting);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value))).toEqual(Array(5).fill(failure));
    expect(shared.size).toBe(0);
    const again = shared.read('t', 'after', 1, true);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve({ value: 'fine', bytes: 1 });
    expect((await again).value).toBe('fine');
  });

  it('a read not vouched for (shareable false) is never shared', () => {
    const { shared, calls } = reads();
    void shared.read('t', 'after', 1, false);
    void shared.read('t', 'after', 1, false);
    expect(calls).toHaveLength(2);
    expect(shared.size).toBe(0);
  });

  it('invalidate(topic) ends the sharing of that topic\'s reads (in flight or done), and only of that topic', async () => {
    const { shared, calls } = reads();
    void shared.read('t', 'after', 1, true);
    void shared.read('t', 'last', 5, true);
    void shared.read('u', 'after', 1, true);
    shared.invalidate('t');
    void shared.read('t', 'after', 1, true); // in flight, but invalidated: a new fetch
    void shared.read('u', 'after', 1, true); // still shared
    expect(calls.map((c) => c.topic)).toEqual(['t', 't', 'u', 't']);
    calls[3]!.resolve({ value: 'new', bytes: 1 });
    await Promise.resolve();
    shared.invalidate('t');
    void shared.read('t', 'after', 1, true); // done, but invalidated: a new fetch
    expect(calls).toHaveLength(5);
  });

  it('clear() ends every sharing', () => {
    const { shared, calls } = reads();
    void shared.read('t', 'after', 1, true);
    void shared.read('u', 'after', 1, true);
    shared.clear();
    expect(shared.size).toBe(0);
    void shared.read('t', 'after', 1, true);
    void shared.read('u', 'after', 1, true);
    expect(calls).toHaveLength(4);
  });

  it('a read is shared for ttlMs after it was issued, then dropped, also with no read to notice', async () => {
    vi.useFakeTimers();
    const { shared, calls } = reads({ ttlMs: 1000 });
    void shared.read('t', 'after', 1, true);
    calls[0]!.resolve({ value: 'v', bytes: 7 });
    await vi.advanceTimersByTimeAsync(999);
    void shared.read('t', 'after', 1, true);
    expect(calls).toHaveLength(1);
    expect(shared.bytes).toBe(7);
    await vi.advanceTimersByTimeAsync(1);
    expect(shared.size).toBe(0); // the timer dropped it (its memory with it)
    expect(shared.bytes).toBe(0);
    void shared.read('t', 'after', 1, true);
    expect(calls).toHaveLength(2);
  });

  it('holds at most maxEntries reads (the oldest go) and maxBytes of payload (a larger read is not kept)', async () => {
    const { shared, calls } = reads({ maxEntries: 2, maxBytes: 100 });
    void shared.read('a', 'after', 1, true);
    void shared.read('b', 'after', 1, true);
    void shared.read('c', 'after', 1, true);
    expect(shared.size).toBe(2);
    void shared.read('a', 'after', 1, true); // 'a' was dropped for 'c'
    expect(calls.map((c) => c.topic)).toEqual(['a', 'b', 'c', 'a']);

    const big = reads({ maxBytes: 100 });
    const first = big.shared.read('t', 'all', 0, true);
    const second = big.shared.read('t', 'all', 0, true); // in flight: shared
    big.calls[0]!.resolve({ value: 'large', bytes: 101 });
    expect([(await first).value, (await second).value]).toEqual(['large', 'large']);
    expect(big.shared.size).toBe(0);
    expect(big.shared.bytes).toBe(0);
    void big.shared.read('t', 'all', 0, true);
    expect(big.calls).toHaveLength(2);
  });
});
