/**
 * The in-memory engine's bounds (issue #12, PROTOCOL.md "Limits"): topics held under `maxTopics`
 * and `maxTopicBytes` with the least recently published forgotten first, recovery honest after
 * that, a history never holding more than its limit, and pattern lookups and the idle sweep that
 * read only the topics they need. Memory is the engine's own accounting (`router.stats().engine`),
 * work is its `lookups` counter: never wall time.
 */
import { type DefaultSchema, type SubscribedMsg, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryEngine, type TopicStats } from '../src/index.js';

type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

afterEach(() => {
  vi.useRealTimers();
});

function engineStats(router: Router): TopicStats {
  const stats = router.stats().engine;
  if (stats === undefined) throw new Error('the in-memory engine keeps stats');
  return stats;
}

/** Publishes fire-and-forget frames, then one with an ack: the router handles a connection's frames in order. */
async function flood(raw: RawClient, topics: Iterable<string>, payload = superjsonCodec.encode(1)): Promise<void> {
  for (const topic of topics) raw.send({ type: 'publish', topic }, payload);
  raw.send({ type: 'publish', id: 1, topic: 'flood.done' }, payload);
  await raw.nextOf('publish_ack');
}

async function subscribe(raw: RawClient, message: Record<string, unknown>): Promise<{ replayed: number; subscribed: SubscribedMsg }> {
  raw.send({ type: 'subscribe', ...message });
  let replayed = 0;
  for (;;) {
    const frame = await raw.next();
    if (frame.type === 'message') replayed++;
    else if (frame.type === 'subscribed') return { replayed, subscribed: frame };
    else throw new Error(`unexpected ${JSON.stringify(frame)}`);
  }
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}.${i}`);

describe('topics held by the in-memory engine', () => {
  it('one client publishing to 3,000 distinct topics leaves at most maxTopics held', async () => {
    await using router = await startRouter({ maxTopics: 1000 });
    await using raw = await RawClient.welcomed(router.url, { name: 'attacker' });
    await flood(raw, names('t', 3000));
    const stats = engineStats(router);
    expect(stats.topics).toBe(1000);
    expect(stats.evictions).toBe(2001); // 3,001 topics with flood.done
  });

  it('keeps the bytes held under maxTopicBytes, by the engine accounting', async () => {
    const budget = 256 * 1024;
    await using router = await startRouter({ maxTopicBytes: budget });
    await using raw = await RawClient.welcomed(router.url, { name: 'attacker' });
    await flood(raw, names('big', 2000), superjsonCodec.encode('x'.repeat(1000)));
    const stats = engineStats(router);
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    expect(stats.evictions).toBeGreaterThan(1500);
    expect(stats.topics).toBeLessThan(256);
  });

  it('a single topic larger than the budget drops its oldest messages, and says so on recovery', async () => {
    const budget = 64 * 1024;
    await using router = await startRouter({ maxTopicBytes: budget, history: { limit: 1000, ttlMs: 60_000 } });
    let epoch = '';
    for (let i = 0; i < 200; i++) ({ epoch } = await router.publish('one', 'y'.repeat(1000)));
    const stats = engineStats(router);
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    expect(stats).toMatchObject({ topics: 1, evictions: 0 });
    expect(stats.messages).toBeLessThan(64);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    const { replayed, subscribed } = await subscribe(sub, { id: 1, pattern: 'one', positions: [['one', epoch, 0]] });
    expect(replayed).toBe(stats.messages);
    expect(subscribed).toMatchObject({ recovered: false, reason: 'history_evicted', gaps: ['one'] });
  });

  it('recovery stays honest after a topic is evicted: a wildcard and a literal report gaps', async () => {
    await using router = await startRouter({ maxTopics: 2 });
    await using pub = await RawClient.welcomed(router.url, { name: 'pub' });
    const since = Date.now() - 1;
    pub.send({ type: 'publish', id: 1, topic: 'a.1' }, superjsonCodec.encode('lost'));
    const { epoch } = await pub.nextOf('publish_ack');
    await flood(pub, ['b.1', 'b.2']); // a.1 is the least recently published: forgotten
    expect(engineStats(router).evictions).toBeGreaterThan(0);
    await using sub = await RawClient.welcomed(router.url, { name: 'back' });
    const wildcard = await subscribe(sub, { id: 1, pattern: 'a.*', positions: [], since });
    expect(wildcard).toEqual({ replayed: 0, subscribed: expect.objectContaining({ recovered: false, gaps: ['a.*'] }) });
    const literal = await subscribe(sub, { id: 2, pattern: 'a.1', positions: [['a.1', epoch, 0]], since });
    expect(literal.subscribed).toMatchObject({ recovered: false });
  });

  it('a topic holds at most its history limit in payloads, by the accounting', async () => {
    await using router = await startRouter({ history: { limit: 10, ttlMs: 60_000 } });
    const text = 'z'.repeat(1000);
    for (let i = 0; i < 10; i++) await router.publish('h', text);
    const atLimit = engineStats(router);
    expect(atLimit).toMatchObject({ topics: 1, messages: 10 });
    // 190 more: far past the point where the array is compacted (half of it evicted).
    for (let i = 0; i < 190; i++) {
      await router.publish('h', text);
      expect(engineStats(router)).toMatchObject({ messages: 10, bytes: atLimit.bytes });
    }
  });
});

describe('work that does not grow with the topics held', () => {
  it('a wildcard rewind reads only the topics its pattern matches', async () => {
    await using router = await startRouter();
    for (const topic of names('noise', 2000)) await router.publish(topic, 1);
    for (const topic of names('room', 3)) await router.publish(topic, 2);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    const before = engineStats(router).lookups;
    const { replayed } = await subscribe(sub, { id: 1, pattern: 'room.*', rewind: 1 });
    expect(replayed).toBe(3);
    expect(engineStats(router).lookups - before).toBe(3);
    const tail = await subscribe(sub, { id: 2, pattern: 'room.>', rewind: 1 });
    expect(tail.replayed).toBe(3);
    expect(engineStats(router).lookups - before).toBe(6);
  });

  it('the idle sweep reads only the topics idle for an hour, not every topic', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { now: 1_000_000_000 };
    const engine = new MemoryEngine({ now: () => clock.now, history: { limit: 1, ttlMs: 1000 } });
    await using router = await startRouter({ engine, heartbeatIntervalMs: 0 }); // the fake minute must not trip heartbeats
    const publication = (topic: string) => ({ topic, codec: 'superjson', payload: superjsonCodec.encode(1) as never, from: { id: 'p', name: 'p' }, at: clock.now });
    for (const topic of names('old', 50)) await engine.publish(publication(topic));
    clock.now += 2 * 3_600_000;
    for (const topic of names('fresh', 1000)) await engine.publish(publication(topic));
    const before = engine.stats().lookups;
    vi.advanceTimersByTime(60_000);
    expect(engine.stats().lookups - before).toBe(50);
    expect(engine.stats().topics).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(engine.stats().lookups - before).toBe(50); // the fresh ones are not read at all
    expect(router.stats().engine?.topics).toBe(1000);
  });
});
