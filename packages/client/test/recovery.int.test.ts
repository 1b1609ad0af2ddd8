/**
 * History and recovery against a real router (PROTOCOL.md §8 "History and recovery"): a subscriber
 * cut off while 10,000 messages are published gets all of them after the reconnect, in order, once
 * (handler and iterator); per topic under a wildcard, with a topic born during the outage; past the
 * history's reach it says `recovered: false` (`history_evicted`) and gets what is left; `rewind`;
 * overlapping subscriptions on one client each get each message once across a recovery.
 */
import { Log, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Client,
  CloseCode,
  type ConnectOptions,
  type DefaultSchema,
  type Delivery,
  type MessageMeta,
  type Recovery,
  type Subscription,
  connect,
} from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

// ---- helpers ----

type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

interface Received {
  data: unknown;
  topic: string;
  offset: number;
  replayed: boolean;
}

/** A handler that logs each delivery. */
function receiver(): { log: Log<Received>; handler: (data: unknown, meta: MessageMeta) => void } {
  const log = new Log<Received>();
  return { log, handler: (data, meta) => log.push({ data, topic: meta.topic, offset: meta.offset, replayed: meta.replayed }) };
}

/** The first `n` items of a subscription's async iterator (taken now, read as they come, never returned). */
async function take<T>(subscription: Subscription<T>, n: number): Promise<Array<Delivery<T>>> {
  const iterator = subscription[Symbol.asyncIterator]();
  const items: Array<Delivery<T>> = [];
  while (items.length < n) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`the iterator ended after ${items.length} of ${n} items`);
    items.push(next.value);
  }
  return items;
}

/** The subscription's next `recovery` event. */
function recovery(subscription: Subscription<unknown>): Promise<Recovery> {
  return new Promise((resolve) => subscription.once('recovery', resolve));
}

/** A client whose reconnect waits exactly 500 ms (random 0.5 × 1000 ms), held by fake timers. */
const HELD: ConnectOptions = { random: () => 0.5, reconnect: { minDelayMs: 1000, maxDelayMs: 1000 } };

/** Cuts `client` as a network would and waits for `reconnecting`; fake timers hold its reconnect. */
async function cut(router: Router, client: Client): Promise<void> {
  const down = new Promise((resolve) => {
    const off = client.on('statechange', (change) => {
      if (change.to !== 'reconnecting') return;
      off();
      resolve(change);
    });
  });
  expect(router.disconnect(client.id, { terminate: true })).toBe(true);
  expect(await down).toStrictEqual({ from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL });
}

/** Publishes `values` to topics in order, awaiting the acks a chunk at a time; returns the acks' offsets. */
async function publishAll(publisher: Client, items: ReadonlyArray<[topic: string, data: unknown]>, chunk = 1000): Promise<number[]> {
  const offsets: number[] = [];
  for (let start = 0; start < items.length; start += chunk) {
    const acks = await Promise.all(items.slice(start, start + chunk).map(([topic, data]) => publisher.publish(topic, data)));
    offsets.push(...acks.map((ack) => ack.offset));
  }
  return offsets;
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

// ---- tests ----

describe('recovery within the history window', () => {
  it('a subscriber cut off while 10,000 messages are published gets all of them after it reconnects, in order, once (handler and iterator)', async () => {
    await using router = await startRouter({ history: { limit: 20_000, ttlMs: 60_000 } });
    await using subscriber = await connect(router.url, HELD);
    await using publisher = await connect(router.url);
    const { log, handler } = receiver();
    const sub = await subscriber.subscribe('recovery.topic', handler, { bufferSize: 20_000 });
    const total = 3 + 10_000;
    const iterated = take(sub, total);

    expect(await publishAll(publisher, range(0, 3).map((n) => ['recovery.topic', n]))).toStrictEqual([1, 2, 3]);
    await log.until(3);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    const offsets = await publishAll(publisher, range(3, 10_000).map((n) => ['recovery.topic', n]));
    expect(offsets).toStrictEqual(range(4, 10_000));
    expect(log.values).toHaveLength(3);

    const recovered = recovery(sub);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recovered).toStrictEqual({ recovered: true, gaps: [] });
    const received = await log.until(total);
    expect(received.map((r) => r.data)).toStrictEqual(range(0, total));
    expect(received.map((r) => r.offset)).toStrictEqual(range(1, total));
    expect(received.filter((r) => r.replayed).map((r) => r.data)).toStrictEqual(range(3, 10_000));
    const items = await iterated;
    expect(items.map((item) => item.data)).toStrictEqual(range(0, total));
    expect(items.map((item) => item.meta.offset)).toStrictEqual(range(1, total));

    // Live delivery goes on after the recovery, nothing delivered twice.
    await publisher.publish('recovery.topic', total);
    await log.until(total + 1);
    await subscriber.ping();
    expect(log.values).toHaveLength(total + 1);
    expect(log.values[total]).toStrictEqual({ data: total, topic: 'recovery.topic', offset: total + 1, replayed: false });
  });

  it('a wildcard subscription recovers each topic, including one first published during the outage', async () => {
    await using router = await startRouter({ history: { limit: 20_000, ttlMs: 60_000 } });
    await using subscriber = await connect(router.url, HELD);
    await using publisher = await connect(router.url);
    const { log, handler } = receiver();
    const sub = await subscriber.subscribe('multi.*', handler, { bufferSize: 20_000 });
    const before: Array<[string, unknown]> = [
      ['multi.a', 'a0'],
      ['multi.b', 'b0'],
      ['multi.a', 'a1'],
    ];
    await publishAll(publisher, before);
    await log.until(before.length);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    const during: Array<[string, unknown]> = [];
    const counts: Record<string, number> = { 'multi.a': 2, 'multi.b': 1, 'multi.c': 0 };
    for (let round = 0; round < 1_000; round++) {
      for (const topic of ['multi.a', 'multi.b', 'multi.c'] as const) {
        if (topic === 'multi.b' && round % 2 === 1) continue; // uneven rates per topic
        during.push([topic, `${topic.slice(-1)}${counts[topic]!++}`]);
      }
    }
    await publishAll(publisher, during);
    const total = before.length + during.length;
    const iterated = take(sub, during.length);

    const recovered = recovery(sub);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recovered).toStrictEqual({ recovered: true, gaps: [] });
    await log.until(total);
    for (const topic of ['multi.a', 'multi.b', 'multi.c']) {
      const letter = topic.slice(-1);
      const got = log.values.filter((r) => r.topic === topic);
      expect(got.map((r) => r.data), topic).toStrictEqual(range(0, counts[topic]!).map((n) => `${letter}${n}`));
      expect(got.map((r) => r.offset), topic).toStrictEqual(range(1, counts[topic]!));
      const iteratedTopic = (await iterated).filter((item) => item.meta.topic === topic).map((item) => item.data);
      expect(iteratedTopic, topic).toStrictEqual(got.map((r) => r.data).filter((data) => !before.some(([, d]) => d === data)));
    }
    await subscriber.ping();
    expect(log.values).toHaveLength(total);
  });

  it('two subscriptions with overlapping patterns on one client each get each message once across a recovery', async () => {
    await using router = await startRouter({ history: { limit: 1_000, ttlMs: 60_000 } });
    await using subscriber = await connect(router.url, HELD);
    await using publisher = await connect(router.url);
    const star = receiver();
    const deep = receiver();
    const exact = receiver();
    const subStar = await subscriber.subscribe('ov.*', star.handler);
    const subDeep = await subscriber.subscribe('ov.>', deep.handler);
    const subExact = await subscriber.subscribe('ov.a', exact.handler);
    await publishAll(publisher, [
      ['ov.a', 'a0'],
      ['ov.b.deep', 'd0'],
    ]);
    await Promise.all([star.log.until(1), deep.log.until(2), exact.log.until(1)]);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    const during: Array<[string, unknown]> = [];
    for (let i = 1; i <= 100; i++) during.push(['ov.a', `a${i}`], ['ov.b', `b${i - 1}`], ['ov.b.deep', `d${i}`]);
    await publishAll(publisher, during);
    const recoveries = Promise.all([recovery(subStar), recovery(subDeep), recovery(subExact)]);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recoveries).toStrictEqual(Array(3).fill({ recovered: true, gaps: [] }));

    // Live ones after the recovery too.
    await publishAll(publisher, [
      ['ov.a', 'a101'],
      ['ov.b', 'b100'],
      ['ov.b.deep', 'd101'],
    ]);
    await Promise.all([star.log.until(1 + 101 + 101), deep.log.until(2 + 303), exact.log.until(102)]);
    await subscriber.ping();

    const sequence = (log: Log<Received>, topic: string): unknown[] => log.values.filter((r) => r.topic === topic).map((r) => r.data);
    const a = range(0, 102).map((n) => `a${n}`);
    const b = range(0, 101).map((n) => `b${n}`);
    const d = range(0, 102).map((n) => `d${n}`);
    expect([sequence(star.log, 'ov.a'), sequence(star.log, 'ov.b'), sequence(star.log, 'ov.b.deep')]).toStrictEqual([a, b, []]);
    expect([sequence(deep.log, 'ov.a'), sequence(deep.log, 'ov.b'), sequence(deep.log, 'ov.b.deep')]).toStrictEqual([a, b, d]);
    expect([sequence(exact.log, 'ov.a'), sequence(exact.log, 'ov.b')]).toStrictEqual([a, []]);
    expect([star.log.values.length, deep.log.values.length, exact.log.values.length]).toStrictEqual([a.length + b.length, a.length + b.length + d.length, a.length]);
  });

  it('two subscriptions with the same pattern on one client each get each message once across a recovery', async () => {
    await using router = await startRouter({ history: { limit: 1_000, ttlMs: 60_000 } });
    await using subscriber = await connect(router.url, HELD);
    await using publisher = await connect(router.url);
    const one = receiver();
    const two = receiver();
    const subOne = await subscriber.subscribe('same.topic', one.handler);
    const subTwo = await subscriber.subscribe('same.topic', two.handler);
    await publisher.publish('same.topic', 0);
    await Promise.all([one.log.until(1), two.log.until(1)]);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    await publishAll(publisher, range(1, 50).map((n) => ['same.topic', n]));
    const recoveries = Promise.all([recovery(subOne), recovery(subTwo)]);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recoveries).toStrictEqual([
      { recovered: true, gaps: [] },
      { recovered: true, gaps: [] },
    ]);
    await publisher.publish('same.topic', 51);
    await Promise.all([one.log.until(52), two.log.until(52)]);
    await subscriber.ping();
    expect(one.log.values.map((r) => r.data)).toStrictEqual(range(0, 52));
    expect(two.log.values.map((r) => r.data)).toStrictEqual(range(0, 52));
  });
});

describe('past the history’s reach', () => {
  it('history limit 100, 500 published while cut off: recovery { recovered: false, history_evicted, gaps: [topic] } and the last 100', async () => {
    await using router = await startRouter({ history: { limit: 100, ttlMs: 60_000 } });
    await using subscriber = await connect(router.url, HELD);
    await using publisher = await connect(router.url);
    const { log, handler } = receiver();
    const sub = await subscriber.subscribe('evict.topic', handler);
    await publisher.publish('evict.topic', 0);
    await log.until(1);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    expect(await publishAll(publisher, range(1, 500).map((n) => ['evict.topic', n]))).toStrictEqual(range(2, 500));
    const recovered = recovery(sub);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recovered).toStrictEqual({ recovered: false, reason: 'history_evicted', gaps: ['evict.topic'] });
    await log.until(101);
    await subscriber.ping();
    expect(log.values.map((r) => r.data)).toStrictEqual([0, ...range(401, 100)]);
    expect(log.values.map((r) => r.offset)).toStrictEqual([1, ...range(402, 100)]);
    expect(log.values.slice(1).every((r) => r.replayed)).toBe(true);

    // It goes on live from there, and a later recovery is complete again.
    await publisher.publish('evict.topic', 501);
    await log.until(102);
    expect(log.values[101]).toStrictEqual({ data: 501, topic: 'evict.topic', offset: 502, replayed: false });
    await cut(router, subscriber);
    await publishAll(publisher, range(502, 10).map((n) => ['evict.topic', n]));
    const again = recovery(sub);
    await vi.advanceTimersByTimeAsync(500);
    expect(await again).toStrictEqual({ recovered: true, gaps: [] });
    await log.until(112);
    expect(log.values.slice(102).map((r) => r.data)).toStrictEqual(range(502, 10));
  });
});

describe('rewind', () => {
  it('rewind: 5 delivers the last 5 before subscribe() resolves (replayed: true), then live ones (replayed: false)', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    await using subscriber = await connect(router.url);
    await publishAll(publisher, range(0, 20).map((n) => ['rewind.topic', n]));
    const { log, handler } = receiver();
    await subscriber.subscribe('rewind.topic', handler, { rewind: 5 });
    expect(log.values).toStrictEqual(range(15, 5).map((n) => ({ data: n, topic: 'rewind.topic', offset: n + 1, replayed: true })));

    await publisher.publish('rewind.topic', 20);
    await publisher.publish('rewind.topic', 21);
    await log.until(7);
    expect(log.values.slice(5)).toStrictEqual([
      { data: 20, topic: 'rewind.topic', offset: 21, replayed: false },
      { data: 21, topic: 'rewind.topic', offset: 22, replayed: false },
    ]);
  });

  it('rewind on a wildcard gives the last n of each matching topic; more than the history holds gives all of it', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    await using subscriber = await connect(router.url);
    await publishAll(publisher, [...range(0, 10).map((n): [string, unknown] => ['rwm.a', n]), ...range(0, 3).map((n): [string, unknown] => ['rwm.b', n]), ['other.x', 0]]);
    const { log, handler } = receiver();
    await subscriber.subscribe('rwm.*', handler, { rewind: 5 });
    expect(log.values.filter((r) => r.topic === 'rwm.a').map((r) => r.data)).toStrictEqual(range(5, 5));
    expect(log.values.filter((r) => r.topic === 'rwm.b').map((r) => r.data)).toStrictEqual(range(0, 3));
    expect(log.values).toHaveLength(8);
    expect(log.values.every((r) => r.replayed)).toBe(true);

    const all = receiver();
    await subscriber.subscribe('rwm.b', all.handler, { rewind: 1_000 });
    expect(all.log.values.map((r) => r.data)).toStrictEqual(range(0, 3));
  });

  it('a rewound subscription is not rewound again by a recovery: it gets only what it missed', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url);
    await using subscriber = await connect(router.url, HELD);
    await publishAll(publisher, range(0, 10).map((n) => ['rewound.topic', n]));
    const { log, handler } = receiver();
    const sub = await subscriber.subscribe('rewound.topic', handler, { rewind: 3 });
    expect(log.values.map((r) => r.data)).toStrictEqual([7, 8, 9]);

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await cut(router, subscriber);
    await publishAll(publisher, range(10, 2).map((n) => ['rewound.topic', n]));
    const recovered = recovery(sub);
    await vi.advanceTimersByTimeAsync(500);
    expect(await recovered).toStrictEqual({ recovered: true, gaps: [] });
    await log.until(5);
    await subscriber.ping();
    expect(log.values.map((r) => [r.data, r.replayed])).toStrictEqual([
      [7, true],
      [8, true],
      [9, true],
      [10, true],
      [11, true],
    ]);
  });
});
