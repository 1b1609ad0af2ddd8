/**
 * History and recovery (PROTOCOL.md sections 6 and 8): `rewind`, `positions` and `since` on
 * `subscribe`; replayed `message` frames carry `replay: <subscribe id>` and come before
 * `subscribed`, which says `recovered` (and why not) after a recovery request.
 */
import { connect, type Recovery } from '@herald/client';
import { type DefaultSchema, type MessageMsg, type PublishAckMsg, type SubscribedMsg, superjsonCodec } from '@herald/protocol';
import { type Deferred, EngineWrapper, RawClient, deferred, nextEvent, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HistoryPage, type HistoryQuery, MemoryEngine, type MemoryEngineOptions, type Publication, type Stamp } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let nextId = 1000;

/** Publishes with an id and awaits the ack (the publisher subscribes to nothing). */
async function publish(raw: RawClient, topic: string, value: unknown): Promise<PublishAckMsg> {
  const id = nextId++;
  raw.send({ type: 'publish', id, topic }, superjsonCodec.encode(value));
  const ack = await raw.next();
  if (ack.type !== 'publish_ack' || ack.id !== id) throw new Error(`expected publish_ack ${id}, got ${JSON.stringify(ack)}`);
  return ack;
}

/** Publishes `count` values `${topic}#n` and returns the topic's epoch. */
async function publishMany(raw: RawClient, topic: string, count: number): Promise<string> {
  let epoch = '';
  for (let i = 0; i < count; i++) epoch = (await publish(raw, topic, `${topic}#${i + 1}`)).epoch;
  return epoch;
}

const value = (message: MessageMsg): unknown => {
  const decoded = superjsonCodec.decode(message.payload as string);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
};

/** The frames before the `subscribed` reply to subscribe `id`, and that reply. */
async function untilSubscribed(raw: RawClient, id: number): Promise<{ messages: MessageMsg[]; subscribed: SubscribedMsg }> {
  const messages: MessageMsg[] = [];
  for (;;) {
    const frame = await raw.next();
    if (frame.type === 'subscribed' && frame.id === id) return { messages, subscribed: frame };
    if (frame.type !== 'message') throw new Error(`expected a message or subscribed ${id}, got ${JSON.stringify(frame)}`);
    messages.push(frame);
  }
}

/** Replayed messages by topic: [offset, value] in arrival order. */
function byTopic(messages: MessageMsg[]): Record<string, Array<[number, unknown]>> {
  const topics: Record<string, Array<[number, unknown]>> = {};
  for (const message of messages) (topics[message.topic] ??= []).push([message.offset, value(message)]);
  return topics;
}

const entries = (topic: string, offsets: number[]): Array<[number, unknown]> => offsets.map((offset) => [offset, `${topic}#${offset}`]);

/** A MemoryEngine aged by a hand clock, with publications stamped by the same clock. */
class ClockedEngine extends EngineWrapper {
  readonly clock: { now: number };

  constructor(clock: { now: number }, history: MemoryEngineOptions['history']) {
    super(new MemoryEngine({ history, now: () => clock.now }));
    this.clock = clock;
  }

  override publish(publication: Publication): Promise<Stamp> {
    return super.publish({ ...publication, at: this.clock.now });
  }
}

/** Holds history reads at a gate while armed, and tells when one is waiting. */
class GatedEngine extends EngineWrapper {
  gate: Deferred<void> | undefined;
  readonly reading = deferred<void>();

  override async history(topic: string, query: HistoryQuery): Promise<HistoryPage> {
    const gate = this.gate;
    if (gate !== undefined) {
      this.reading.resolve();
      await gate.promise;
    }
    return super.history(topic, query);
  }
}

async function publisher(router: Router): Promise<RawClient> {
  return RawClient.welcomed(router.url, { name: 'publisher' });
}

describe('rewind', () => {
  it('replays the last n messages of each matching topic, marked with the subscribe id, before subscribed', async () => {
    await using router = await startRouter();
    await using pub = await publisher(router);
    const epochs = {
      'h.a': await publishMany(pub, 'h.a', 5),
      'h.b': await publishMany(pub, 'h.b', 2),
      'h.c': await publishMany(pub, 'h.c', 4),
    };
    await publishMany(pub, 'x.a', 3);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 11, pattern: 'h.*', rewind: 3 });
    const { messages, subscribed } = await untilSubscribed(sub, 11);

    expect(subscribed).toEqual({ type: 'subscribed', id: 11, pattern: 'h.*', at: expect.any(Number) });
    for (const message of messages) {
      expect(message.replay).toBe(11);
      expect(message.epoch).toBe(epochs[message.topic as keyof typeof epochs]);
    }
    expect(byTopic(messages)).toEqual({
      'h.a': entries('h.a', [3, 4, 5]),
      'h.b': entries('h.b', [1, 2]), // rewind asks for more than the topic has: what is held
      'h.c': entries('h.c', [2, 3, 4]),
    });

    // Then live messages, without `replay`.
    await publish(pub, 'h.b', 'h.b#3');
    const live = await sub.next();
    expect(live).toMatchObject({ type: 'message', topic: 'h.b', offset: 3 });
    expect(live).not.toHaveProperty('replay');
  });

  it('gives what the history holds when rewind asks for more, and nothing for rewind 0', async () => {
    await using router = await startRouter({ history: { limit: 4, ttlMs: 60_000 } });
    await using pub = await publisher(router);
    await publishMany(pub, 'lim', 10);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 1, pattern: 'lim', rewind: 50 });
    expect(byTopic((await untilSubscribed(sub, 1)).messages)).toEqual({ lim: entries('lim', [7, 8, 9, 10]) });
    sub.send({ type: 'subscribe', id: 2, pattern: 'lim', rewind: 0 });
    expect((await untilSubscribed(sub, 2)).messages).toEqual([]);
  });

  it('keeps nothing with history: false', async () => {
    await using router = await startRouter({ history: false });
    await using pub = await publisher(router);
    const epoch = await publishMany(pub, 'none', 5);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 1, pattern: 'none', rewind: 10 });
    expect(await untilSubscribed(sub, 1)).toEqual({ messages: [], subscribed: { type: 'subscribed', id: 1, pattern: 'none', at: expect.any(Number) } });
    sub.send({ type: 'subscribe', id: 2, pattern: 'none', positions: [['none', epoch, 2]] });
    expect(await untilSubscribed(sub, 2)).toEqual({
      messages: [],
      subscribed: { type: 'subscribed', id: 2, pattern: 'none', at: expect.any(Number), recovered: false, reason: 'history_evicted', gaps: ['none'] },
    });
    sub.send({ type: 'subscribe', id: 3, pattern: 'none', positions: [['none', epoch, 5]] });
    expect((await untilSubscribed(sub, 3)).subscribed).toMatchObject({ recovered: true });
  });

  it('applies history rules by pattern, the first match winning; topics no rule matches keep nothing', async () => {
    await using router = await startRouter({
      history: [
        { pattern: 'keep.one', limit: 2, ttlMs: 60_000 },
        { pattern: 'keep.>', limit: 5, ttlMs: 60_000 },
      ],
    });
    await using pub = await publisher(router);
    for (const topic of ['keep.one', 'keep.a', 'keep.b.c', 'drop.a']) await publishMany(pub, topic, 8);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 1, pattern: '>', rewind: 100 });
    expect(byTopic((await untilSubscribed(sub, 1)).messages)).toEqual({
      'keep.a': entries('keep.a', [4, 5, 6, 7, 8]),
      'keep.b.c': entries('keep.b.c', [4, 5, 6, 7, 8]),
      'keep.one': entries('keep.one', [7, 8]),
    });
  });

  it('leaves the delivery counters of router.stats() alone: they count live frames only', async () => {
    await using router = await startRouter();
    await using pub = await publisher(router);
    await publishMany(pub, 'st.a', 20);
    const before = router.stats();
    expect(before).toMatchObject({ publications: 20, deliveries: 0, framesEncoded: 0 });
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 1, pattern: 'st.*', rewind: 20 });
    expect((await untilSubscribed(sub, 1)).messages).toHaveLength(20);
    expect(router.stats()).toMatchObject({ publications: 20, deliveries: 0, framesEncoded: 0 });
    await publish(pub, 'st.a', 'live');
    expect(await sub.next()).toMatchObject({ type: 'message', offset: 21 });
    expect(router.stats()).toMatchObject({ publications: 21, deliveries: 1, framesEncoded: 1 });
  });
});

describe('recovery', () => {
  it('replays exactly the messages after the position, then subscribed with recovered: true', async () => {
    await using router = await startRouter();
    await using pub = await publisher(router);
    const epoch = await publishMany(pub, 'rec', 10);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 21, pattern: 'rec', positions: [['rec', epoch, 6]] });
    const { messages, subscribed } = await untilSubscribed(sub, 21);
    expect(messages.map((m) => [m.replay, m.epoch])).toEqual(Array.from({ length: 4 }, () => [21, epoch]));
    expect(byTopic(messages)).toEqual({ rec: entries('rec', [7, 8, 9, 10]) });
    expect(subscribed).toEqual({ type: 'subscribed', id: 21, pattern: 'rec', at: expect.any(Number), recovered: true });

    sub.send({ type: 'subscribe', id: 22, pattern: 'rec', positions: [['rec', epoch, 10]] });
    expect(await untilSubscribed(sub, 22)).toEqual({
      messages: [],
      subscribed: { type: 'subscribed', id: 22, pattern: 'rec', at: expect.any(Number), recovered: true },
    });
  });

  it('replays what is held and reports history_evicted when the position is older than the history', async () => {
    await using router = await startRouter({ history: { limit: 5, ttlMs: 60_000 } });
    await using pub = await publisher(router);
    const epoch = await publishMany(pub, 'rec', 10);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 1, pattern: 'rec', positions: [['rec', epoch, 2]] });
    const evicted = await untilSubscribed(sub, 1);
    expect(byTopic(evicted.messages)).toEqual({ rec: entries('rec', [6, 7, 8, 9, 10]) });
    expect(evicted.subscribed).toEqual({
      type: 'subscribed',
      id: 1,
      pattern: 'rec',
      at: expect.any(Number),
      recovered: false,
      reason: 'history_evicted',
      gaps: ['rec'],
    });
    // At the last evicted offset nothing is missing.
    sub.send({ type: 'subscribe', id: 2, pattern: 'rec', positions: [['rec', epoch, 5]] });
    const whole = await untilSubscribed(sub, 2);
    expect(byTopic(whole.messages)).toEqual({ rec: entries('rec', [6, 7, 8, 9, 10]) });
    expect(whole.subscribed).toMatchObject({ recovered: true });
  });

  it('reports epoch_changed after a router restart and replays every message of the new epoch still held', async () => {
    const old: Record<string, string> = {};
    {
      await using first = await startRouter();
      await using pub = await publisher(first);
      old['rs.a'] = await publishMany(pub, 'rs.a', 5);
      old['rs.b'] = await publishMany(pub, 'rs.b', 3);
    }
    await using router = await startRouter();
    await using pub = await publisher(router);
    const fresh = await publishMany(pub, 'rs.a', 3);
    expect(fresh).not.toBe(old['rs.a']);
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({
      type: 'subscribe',
      id: 4,
      pattern: 'rs.*',
      positions: [
        ['rs.a', old['rs.a'], 5],
        ['rs.b', old['rs.b'], 3],
      ],
    });
    const { messages, subscribed } = await untilSubscribed(sub, 4);
    expect(messages.every((m) => m.replay === 4 && m.epoch === fresh)).toBe(true);
    expect(byTopic(messages)).toEqual({ 'rs.a': entries('rs.a', [1, 2, 3]) });
    expect(subscribed).toMatchObject({ type: 'subscribed', id: 4, recovered: false, reason: 'epoch_changed' });
    expect([...(subscribed.gaps ?? [])].sort()).toEqual(['rs.a', 'rs.b']);
  });

  it('replays, from topics not in positions, the messages published at or after since', async () => {
    const clock = { now: 1_000_000 };
    await using router = await startRouter({ engine: new ClockedEngine(clock, { limit: 100, ttlMs: 600_000 }) });
    await using pub = await publisher(router);
    await publishMany(pub, 'r.a', 2);
    await publishMany(pub, 'r.b', 2);
    clock.now = 1_002_000;
    let epochA = '';
    for (const offset of [3, 4]) epochA = (await publish(pub, 'r.a', `r.a#${offset}`)).epoch;
    for (const offset of [3, 4]) await publish(pub, 'r.b', `r.b#${offset}`);
    await publish(pub, 'r.c', 'r.c#1');
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 8, pattern: 'r.*', positions: [['r.a', epochA, 3]], since: 1_002_000 });
    const { messages, subscribed } = await untilSubscribed(sub, 8);
    expect(messages.every((m) => m.replay === 8 && m.at === 1_002_000)).toBe(true);
    expect(byTopic(messages)).toEqual({
      'r.a': entries('r.a', [4]),
      'r.b': entries('r.b', [3, 4]),
      'r.c': entries('r.c', [1]),
    });
    expect(subscribed).toEqual({ type: 'subscribed', id: 8, pattern: 'r.*', at: expect.any(Number), recovered: true });
  });

  it('loses no live message published while a replay is under way', async () => {
    const engine = new GatedEngine(new MemoryEngine({ history: { limit: 10_000, ttlMs: 600_000 } }));
    await using router = await startRouter({ engine });
    await using pub = await connect(router.url, { name: 'publisher' });
    const publishRange = async (from: number, to: number): Promise<string> => {
      let epoch = '';
      for (let start = from; start <= to; start += 50) {
        const acks = await Promise.all(range(start, Math.min(to, start + 49)).map((i) => pub.publish('live.t', i)));
        epoch = acks[0]!.epoch;
      }
      return epoch;
    };
    const epoch = await publishRange(1, 2000);

    engine.gate = deferred();
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    sub.send({ type: 'subscribe', id: 5, pattern: 'live.t', positions: [['live.t', epoch, 0]] });
    await engine.reading.promise; // registered; the history read waits at the gate
    await publishRange(2001, 2100); // live to it, before its replay starts
    const gate = engine.gate;
    engine.gate = undefined;
    gate.resolve();
    const more = publishRange(2101, 2500); // live while the replay is being sent
    const { messages: before, subscribed } = await untilSubscribed(sub, 5);
    await more;
    const after = (await sub.drain()) as MessageMsg[];
    expect(subscribed).toMatchObject({ recovered: true });

    const all = [...before, ...after];
    expect(all.filter((m) => m.replay === 5).map((m) => m.offset)).toEqual(range(1, 2100));
    expect(all.filter((m) => m.replay === undefined).map((m) => m.offset)).toEqual(range(2001, 2500));
    expect(after.every((m) => m.replay === undefined)).toBe(true);
    // What the client does: replays first, then the live messages that overtook them, then the
    // rest, dropping any offset at or below the last one delivered.
    const delivered: number[] = [];
    const deliver = (m: MessageMsg): void => {
      if (m.offset > (delivered.at(-1) ?? 0)) delivered.push(m.offset);
    };
    for (const m of before) if (m.replay !== undefined) deliver(m);
    for (const m of before) if (m.replay === undefined) deliver(m);
    for (const m of after) deliver(m);
    expect(delivered).toEqual(range(1, 2500));
  });
});

describe('age-based eviction (injected clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const TTL = 1000;

  it('drops expired messages from rewinds, and recovery past them reports history_evicted', async () => {
    const clock = { now: 1_000_000 };
    await using router = await startRouter({ engine: new ClockedEngine(clock, { limit: 100, ttlMs: TTL }) });
    await using pub = await publisher(router);
    const epoch = await publishMany(pub, 'age.t', 3); // at 1_000_000
    clock.now += 600;
    for (const offset of [4, 5]) await publish(pub, 'age.t', `age.t#${offset}`); // at 1_000_600
    clock.now += 600; // offsets 1-3 are 1200 ms old, 4-5 600 ms
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });

    sub.send({ type: 'subscribe', id: 1, pattern: 'age.t', rewind: 10 });
    expect(byTopic((await untilSubscribed(sub, 1)).messages)).toEqual({ 'age.t': entries('age.t', [4, 5]) });
    sub.send({ type: 'subscribe', id: 2, pattern: 'age.t', positions: [['age.t', epoch, 1]] });
    const evicted = await untilSubscribed(sub, 2);
    expect(byTopic(evicted.messages)).toEqual({ 'age.t': entries('age.t', [4, 5]) });
    expect(evicted.subscribed).toMatchObject({ recovered: false, reason: 'history_evicted', gaps: ['age.t'] });
    sub.send({ type: 'subscribe', id: 3, pattern: 'age.t', positions: [['age.t', epoch, 3]] });
    const whole = await untilSubscribed(sub, 3);
    expect(byTopic(whole.messages)).toEqual({ 'age.t': entries('age.t', [4, 5]) });
    expect(whole.subscribed).toMatchObject({ recovered: true });

    clock.now += TTL; // everything expired
    sub.send({ type: 'subscribe', id: 4, pattern: 'age.t', rewind: 10 });
    expect((await untilSubscribed(sub, 4)).messages).toEqual([]);
    sub.send({ type: 'subscribe', id: 5, pattern: 'age.t', positions: [['age.t', epoch, 5]] });
    expect(await untilSubscribed(sub, 5)).toMatchObject({ messages: [], subscribed: { recovered: true } });
    sub.send({ type: 'subscribe', id: 6, pattern: 'age.t', positions: [['age.t', epoch, 4]] });
    expect(await untilSubscribed(sub, 6)).toMatchObject({ messages: [], subscribed: { recovered: false, reason: 'history_evicted', gaps: ['age.t'] } });
  });

  /**
   * A subscriber recovering with `since` missed messages on a topic it had never seen (so not in
   * its positions). They expired before it came back: nothing can be replayed, but it must be told.
   */
  async function awayTopicExpired(sweep: boolean): Promise<SubscribedMsg> {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }); // the engine's idle sweep
    const clock = { now: 1_000_000 };
    // No heartbeat: advancing a minute for the sweep must not trip it.
    await using router = await startRouter({ engine: new ClockedEngine(clock, { limit: 100, ttlMs: TTL }), heartbeatIntervalMs: 0 });
    await using pub = await publisher(router);
    const since = clock.now; // the subscriber's first `subscribed`; then it dropped
    clock.now += 10;
    await publishMany(pub, 'away.b', 2);
    clock.now += 2 * TTL;
    if (sweep) vi.advanceTimersByTime(60_000);
    await using sub = await RawClient.welcomed(router.url, { name: 'back' });
    sub.send({ type: 'subscribe', id: 1, pattern: 'away.*', positions: [], since });
    const { messages, subscribed } = await untilSubscribed(sub, 1);
    expect(messages).toEqual([]);
    return subscribed;
  }

  it('reports a topic whose messages since `since` all expired (no sweep since)', async () => {
    expect(await awayTopicExpired(false)).toMatchObject({ recovered: false, reason: 'history_evicted', gaps: ['away.b'] });
  });

  it('reports a topic whose messages since `since` all expired, also after the idle sweep trimmed it', async () => {
    expect(await awayTopicExpired(true)).toMatchObject({ recovered: false, reason: 'history_evicted', gaps: ['away.b'] });
  });

  it('reports a topic that keeps no history and got messages since `since`', async () => {
    await using router = await startRouter({ history: [{ pattern: 'keep.>', limit: 10, ttlMs: 60_000 }] });
    await using pub = await publisher(router);
    const epoch = await publishMany(pub, 'keep.a', 1);
    await using first = await RawClient.welcomed(router.url, { name: 'first' });
    first.send({ type: 'subscribe', id: 1, pattern: '>' });
    const { subscribed: start } = await untilSubscribed(first, 1);
    await first.destroy();
    // While it is away: one message it can recover, one on a topic that keeps nothing.
    await publish(pub, 'keep.a', 'keep.a#2');
    await publish(pub, 'drop.a', 'drop.a#1');
    await using back = await RawClient.welcomed(router.url, { name: 'back' });
    back.send({ type: 'subscribe', id: 2, pattern: '>', positions: [['keep.a', epoch, 1]], since: start.at });
    const { messages, subscribed } = await untilSubscribed(back, 2);
    expect(byTopic(messages)).toEqual({ 'keep.a': entries('keep.a', [2]) });
    expect(subscribed).toMatchObject({ recovered: false, reason: 'history_evicted', gaps: ['drop.a'] });
  });
});

describe('history through the client API', () => {
  it('rewind: starts with the last message of each topic, marked replayed, then live ones', async () => {
    await using router = await startRouter();
    for (const [topic, data] of [
      ['dash.a', 1],
      ['dash.a', 2],
      ['dash.b', 10],
      ['dash.a', 3],
    ] as const) {
      await router.publish(topic, data);
    }
    await using client = await connect(router.url, { name: 'dashboard' });
    const got: Array<[string, unknown, boolean]> = [];
    let wake: (() => void) | undefined;
    await client.subscribe(
      'dash.*',
      (data, meta) => {
        got.push([meta.topic, data, meta.replayed]);
        wake?.();
      },
      { rewind: 1 },
    );
    expect([...got].sort()).toEqual([
      ['dash.a', 3, true],
      ['dash.b', 10, true],
    ]);
    await router.publish('dash.b', 11);
    while (got.length < 3) await new Promise<void>((resolve) => (wake = resolve));
    expect(got[2]).toEqual(['dash.b', 11, false]);
  });

  it('recovers what was published while the client was cut off, once and in order', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { name: 'reader', random: () => 0 });
    const got: Array<[unknown, boolean]> = [];
    let wake: (() => void) | undefined;
    const sub = await client.subscribe('feed', (data, meta) => {
      got.push([data, meta.replayed]);
      wake?.();
    });
    const until = async (count: number): Promise<void> => {
      while (got.length < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    for (let i = 1; i <= 5; i++) await router.publish('feed', i);
    await until(5);
    const recovered = nextEvent<[Recovery]>((listener) => sub.on('recovery', listener));
    // Published once the client knows it lost the connection, before it dials again.
    client.once('reconnect', () => {
      for (let i = 6; i <= 25; i++) void router.publish('feed', i);
    });
    const oldId = client.id;
    expect(router.disconnect(oldId, { terminate: true })).toBe(true);
    const [recovery] = await recovered;
    await until(25);
    expect(recovery).toEqual({ recovered: true, gaps: [] });
    expect(client.id).toBe(oldId); // resumed (hello.resume)
    expect(got).toEqual(range(1, 25).map((i) => [i, i > 5]));
  });

  it('tells epoch_changed after the router restarted, and delivers the new epoch', async () => {
    await using first = await startRouter();
    const port = first.port;
    await using client = await connect(first.url, { name: 'reader', random: () => 0.5 });
    const got: Array<[string, number, unknown]> = [];
    let wake: (() => void) | undefined;
    const sub = await client.subscribe('feed', (data, meta) => {
      got.push([meta.epoch, meta.offset, data]);
      wake?.();
    });
    const until = async (count: number): Promise<void> => {
      while (got.length < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    for (const data of ['a', 'b', 'c']) await first.publish('feed', data);
    await until(3);
    const recovered = nextEvent<[Recovery]>((listener) => sub.on('recovery', listener));
    await first.close({ restart: true });

    await using second = await startRouter({ port });
    for (const data of ['d', 'e']) await second.publish('feed', data);
    const [recovery] = await recovered;
    await until(5);
    expect(recovery).toEqual({ recovered: false, reason: 'epoch_changed', gaps: ['feed'] });
    const [oldEpoch] = got[0]!;
    expect(got.map(([, offset, data]) => [offset, data])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [1, 'd'],
      [2, 'e'],
    ]);
    expect(got.slice(0, 3).every(([epoch]) => epoch === oldEpoch)).toBe(true);
    expect(got[3]![0]).not.toBe(oldEpoch);
    expect(got[4]![0]).toBe(got[3]![0]);
  });
});
