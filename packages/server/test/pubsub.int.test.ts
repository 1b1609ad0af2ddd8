/** Publish/subscribe through a real router: wildcard routing, acks, router.publish and router.subscribe. */
import { connect } from '@herald/client';
import { type DefaultSchema, type HeraldError, type MessageMsg, superjsonCodec } from '@herald/protocol';
import { deferred, EngineWrapper, Log, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type MessageMeta, type PresenceMember, type Publication, type Stamp } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

async function subscriber(router: Router, name: string, ...patterns: string[]): Promise<RawClient> {
  const raw = await RawClient.welcomed(router.url, { name });
  for (const [i, pattern] of patterns.entries()) {
    raw.send({ type: 'subscribe', id: i + 1, pattern });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: i + 1, pattern, at: expect.any(Number) });
  }
  return raw;
}

/** Every message queued on `raw` (proved complete with a ping). */
async function messages(raw: RawClient): Promise<MessageMsg[]> {
  const frames = await raw.drain();
  for (const frame of frames) expect(frame.type).toBe('message');
  return frames as MessageMsg[];
}

let nextId = 1;
async function publish(raw: RawClient, topic: string, value: unknown): Promise<number> {
  const id = nextId++;
  raw.send({ type: 'publish', id, topic }, superjsonCodec.encode(value));
  const ack = await raw.next();
  if (ack.type !== 'publish_ack' || ack.id !== id) throw new Error(`expected publish_ack ${id}, got ${JSON.stringify(ack)}`);
  return ack.offset;
}

/** A value nested `levels` objects deep (the default `maxDepth` is 64). */
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });

const TOPICS = ['a', 'a.b', 'a.b.c', 'a.x.c', 'a.b.c.d', 'b', 'b.a', 'a.b.d'];
const ROUTES: Array<[pattern: string, receives: string[]]> = [
  ['a.*', ['a.b']],
  ['a.>', ['a.b', 'a.b.c', 'a.x.c', 'a.b.c.d', 'a.b.d']],
  ['>', TOPICS],
  ['a.*.c', ['a.b.c', 'a.x.c']],
  ['*.a', ['b.a']],
  ['a.b', ['a.b']],
  ['a.b.c', ['a.b.c']],
  ['a', ['a']],
];

describe('wildcard routing', () => {
  it('delivers each topic to exactly the subscribers whose pattern matches it', async () => {
    await using router = await startRouter();
    const subscribers = await Promise.all(ROUTES.map(([pattern], i) => subscriber(router, `s${i}`, pattern)));
    await using _cleanup = { [Symbol.asyncDispose]: () => Promise.all(subscribers.map((s) => s[Symbol.asyncDispose]())).then(() => undefined) };
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    for (const topic of TOPICS) await publish(publisher, topic, { topic });
    const got = await Promise.all(subscribers.map(async (s) => (await messages(s)).map((m) => m.topic)));
    expect(Object.fromEntries(ROUTES.map(([pattern], i) => [pattern, got[i]]))).toEqual(Object.fromEntries(ROUTES));
  });

  it('sends one frame per message to a subscriber with overlapping patterns', async () => {
    await using router = await startRouter();
    await using both = await subscriber(router, 'both', 'a.*', 'a.>', 'a.b');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    await publish(publisher, 'a.b', 1);
    await publish(publisher, 'a.b.c', 2);
    await publish(publisher, 'a.c', 3);
    const got = await messages(both);
    expect(got.map((m) => [m.topic, m.offset, superjsonCodec.decode(m.payload as string)])).toEqual([
      ['a.b', 1, { ok: true, value: 1 }],
      ['a.b.c', 1, { ok: true, value: 2 }],
      ['a.c', 1, { ok: true, value: 3 }],
    ]);
    expect(router.stats().deliveries).toBe(3);
  });

  it('confirms a repeated subscribe and an unsubscribe of nothing, without changing anything', async () => {
    await using router = await startRouter();
    const events: string[] = [];
    router.on('subscribe', (_, pattern) => events.push(`subscribe ${pattern}`));
    router.on('unsubscribe', (_, pattern) => events.push(`unsubscribe ${pattern}`));
    await using raw = await subscriber(router, 'sub', 'a.*', 'a.*');
    raw.send({ type: 'unsubscribe', id: 7, pattern: 'never.subscribed' });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 7, pattern: 'never.subscribed' });
    expect(events).toEqual(['subscribe a.*']);
    expect(router.clients()[0]!.subscriptions).toEqual(['a.*']);
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    await publish(publisher, 'a.b', 1);
    expect((await messages(raw)).map((m) => m.topic)).toEqual(['a.b']);
  });

  it('stops delivering a pattern after unsubscribe, and keeps the others', async () => {
    await using router = await startRouter();
    await using raw = await subscriber(router, 'sub', 'a.*', 'a.>');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    raw.send({ type: 'unsubscribe', id: 9, pattern: 'a.>' });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 9, pattern: 'a.>' });
    await publish(publisher, 'a.b', 1);
    await publish(publisher, 'a.b.c', 2);
    expect((await messages(raw)).map((m) => m.topic)).toEqual(['a.b']);
  });
});

describe('publishing', () => {
  it('acknowledges a publish nobody listens to, with offsets growing per topic in one epoch', async () => {
    await using router = await startRouter();
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    const acks = [];
    for (const [id, topic] of [
      [1, 'quiet.a'],
      [2, 'quiet.a'],
      [3, 'quiet.b'],
      [4, 'quiet.a'],
    ] as const) {
      publisher.send({ type: 'publish', id, topic }, '{"json":null}');
      acks.push(await publisher.next());
    }
    expect(acks.map((a) => (a.type === 'publish_ack' ? [a.id, a.topic, a.offset] : a.type))).toEqual([
      [1, 'quiet.a', 1],
      [2, 'quiet.a', 2],
      [3, 'quiet.b', 1],
      [4, 'quiet.a', 3],
    ]);
    // Each topic has its own epoch, the same for every message of that topic.
    const epochs = acks.map((a) => (a.type === 'publish_ack' ? a.epoch : ''));
    expect(new Set([epochs[0], epochs[1], epochs[3]])).toHaveLength(1);
    expect(epochs[2]).toMatch(/^\S+$/);
    expect(router.stats()).toMatchObject({ publications: 4, deliveries: 0, framesEncoded: 0 });
  });

  it('delivers a fire-and-forget publish (no id) without acknowledging it', async () => {
    await using router = await startRouter();
    await using sub = await subscriber(router, 'sub', 'fire');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    publisher.send({ type: 'publish', topic: 'fire' }, '{"json":"and forget"}');
    expect(await publisher.drain()).toEqual([]);
    const [message] = await messages(sub);
    expect(message).toMatchObject({ type: 'message', topic: 'fire', offset: 1, payload: '{"json":"and forget"}' });
    expect(message!.from).toEqual({ id: publisher.welcome!.id, name: 'pub' });
  });

  it('router.publish delivers with the router as publisher', async () => {
    await using router = await startRouter({ name: 'hq' });
    await using sub = await subscriber(router, 'sub', 'news.>');
    await using api = await connect(router.url, { name: 'api' });
    const received = deferred<[unknown, MessageMeta]>();
    await api.subscribe('news.>', (data, meta) => received.resolve([data, meta]));
    const value = { at: new Date(Date.UTC(2024, 1, 29)), items: new Map([['k', 1]]) };
    const ack = await router.publish('news.today', value);
    expect(ack).toEqual({ topic: 'news.today', epoch: expect.any(String), offset: 1 });
    const [message] = await messages(sub);
    expect(message).toMatchObject({ topic: 'news.today', epoch: ack.epoch, offset: 1, from: { id: router.id, name: 'hq' } });
    expect(superjsonCodec.decode(message!.payload as string)).toEqual({ ok: true, value });
    const [data, meta] = await received.promise;
    expect(data).toEqual(value);
    expect(meta.publisher).toEqual({ id: router.id, name: 'hq' });
    expect(api.router).toEqual({ id: router.id, name: 'hq' });
  });

  it('keeps per-publisher order at every subscriber when two publishers interleave', async () => {
    await using router = await startRouter();
    const subs = await Promise.all(['x', 'y', 'z'].map((name) => subscriber(router, name, 'race.>')));
    await using _cleanup = { [Symbol.asyncDispose]: () => Promise.all(subs.map((s) => s[Symbol.asyncDispose]())).then(() => undefined) };
    await using p1 = await RawClient.welcomed(router.url, { name: 'p1' });
    await using p2 = await RawClient.welcomed(router.url, { name: 'p2' });
    const count = 300;
    for (let i = 0; i < count; i++) {
      p1.send({ type: 'publish', id: i + 1, topic: 'race.one' }, `{"json":${i}}`);
      p2.send({ type: 'publish', id: i + 1, topic: i % 2 === 0 ? 'race.two' : 'race.three' }, `{"json":${i}}`);
    }
    for (const p of [p1, p2]) for (let i = 0; i < count; i++) await p.nextOf('publish_ack');
    for (const s of subs) {
      const got = await messages(s);
      expect(got).toHaveLength(2 * count);
      const byPublisher = (name: string) => got.filter((m) => m.from.name === name).map((m) => m.payload);
      const inOrder = Array.from({ length: count }, (_, i) => `{"json":${i}}`);
      expect(byPublisher('p1')).toEqual(inOrder);
      expect(byPublisher('p2')).toEqual(inOrder);
    }
  });
});

describe('router.subscribe (in-process)', () => {
  it('receives decoded values with their meta, and stops after unsubscribe', async () => {
    await using router = await startRouter();
    const got = new Log<[unknown, MessageMeta]>();
    const witness = new Log<unknown>();
    const sub = await router.subscribe('sensors.*.temp', (data, meta) => got.push([data, meta]));
    await router.subscribe('sensors.>', (data) => witness.push(data));
    expect(sub.pattern).toBe('sensors.*.temp');
    await using api = await connect(router.url, { name: 'kitchen' });
    const value = { at: new Date(Date.UTC(2024, 2, 3)), celsius: 21.5, seen: new Set([1, 2]) };
    const before = Date.now();
    const ack = await api.publish('sensors.kitchen.temp', value);
    await api.publish('sensors.kitchen.humidity', 40);
    await witness.until(2);
    expect(got.values).toHaveLength(1);
    const [data, meta] = got.values[0]!;
    expect(data).toEqual(value);
    expect(meta).toEqual({
      topic: 'sensors.kitchen.temp',
      publisher: { id: api.id, name: 'kitchen' },
      epoch: ack.epoch,
      offset: 1,
      publishedAt: expect.any(Date),
    });
    expect(meta.publishedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(meta.publishedAt.getTime()).toBeLessThanOrEqual(Date.now());

    await sub.unsubscribe();
    await api.publish('sensors.kitchen.temp', { celsius: 22 });
    // The witness shares the publication: once it has it, the unsubscribed handler would have too.
    await witness.until(3);
    expect(witness.values[2]).toEqual({ celsius: 22 });
    expect(got.values).toHaveLength(1);
    await sub.unsubscribe(); // twice is harmless
  });

  it('reports a throwing handler as SUBSCRIBER_ERROR and still delivers to the others', async () => {
    await using router = await startRouter();
    const errors: HeraldError[] = [];
    router.on('error', (error) => errors.push(error));
    const before = new Log<unknown>();
    const after = new Log<unknown>();
    await router.subscribe('boom', (data) => before.push(data));
    await router.subscribe('boom', () => {
      throw new Error('handler failure');
    });
    await router.subscribe('boom', (data) => after.push(data));
    await using raw = await subscriber(router, 'raw', 'boom');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    await publish(publisher, 'boom', 1);
    await publish(publisher, 'boom', 2);
    await Promise.all([before.until(2), after.until(2)]);
    expect(before.values).toEqual([1, 2]);
    expect(after.values).toEqual([1, 2]);
    expect(errors.map((e) => e.code)).toEqual(['SUBSCRIBER_ERROR', 'SUBSCRIBER_ERROR']);
    expect((await messages(raw)).map((m) => m.offset)).toEqual([1, 2]);
    expect(await publisher.drain()).toEqual([]);
  });

  it('rejects an invalid pattern with PATTERN_INVALID and router.publish to an invalid topic with TOPIC_INVALID', async () => {
    await using router = await startRouter();
    await expect(router.subscribe('a.>.b', () => {})).rejects.toMatchObject({ code: 'PATTERN_INVALID' });
    await expect(router.publish('a.*', 1)).rejects.toMatchObject({ code: 'TOPIC_INVALID' });
    expect(router.stats().publications).toBe(0);
  });

  it('rejects router.publish of a value its codec cannot encode with PAYLOAD_UNENCODABLE, delivering nothing', async () => {
    await using router = await startRouter();
    await using sub = await subscriber(router, 'sub', 'ok');
    // superjson throws on a prototype key, and the encoder refuses what receivers would refuse.
    await expect(router.publish('ok', { constructor: 1 })).rejects.toMatchObject({ code: 'PAYLOAD_UNENCODABLE' });
    await expect(router.publish('ok', nested(65))).rejects.toMatchObject({ code: 'PAYLOAD_UNENCODABLE' });
    expect(await messages(sub)).toEqual([]);
    expect(router.stats().publications).toBe(0);
  });
});

/** The in-memory engine, failing the calls a test names. */
class FlakyEngine extends EngineWrapper {
  readonly failing = new Set<'publish' | 'subscribe' | 'join'>();

  #check(method: 'publish' | 'subscribe' | 'join'): void {
    if (this.failing.has(method)) throw new Error(`engine ${method} is down`);
  }
  override async subscribe(subscriber: string, pattern: string): Promise<void> {
    this.#check('subscribe');
    return this.inner.subscribe(subscriber, pattern);
  }
  override async publish(publication: Publication): Promise<Stamp> {
    this.#check('publish');
    return this.inner.publish(publication);
  }
  override async join(topic: string, member: PresenceMember): Promise<void> {
    this.#check('join');
    return this.inner.join(topic, member);
  }
}

describe('engine failures', () => {
  it('answers a publish the engine refused with INTERNAL_ERROR and its id, and reports it', async () => {
    const engine = new FlakyEngine();
    await using router = await startRouter({ engine });
    const errors: string[] = [];
    router.on('error', (error, client) => errors.push(`${error.code} ${client?.name ?? '-'}`));
    await using sub = await subscriber(router, 'sub', 'x');
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    engine.failing.add('publish');
    publisher.send({ type: 'publish', id: 1, topic: 'x' }, '{"json":1}');
    expect(await publisher.next()).toStrictEqual({ type: 'error', id: 1, code: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(errors).toEqual(['INTERNAL_ERROR pub']);
    engine.failing.delete('publish');
    expect(await publish(publisher, 'x', 2)).toBe(1);
    expect((await messages(sub)).map((m) => m.payload)).toEqual([superjsonCodec.encode(2)]);
  });

  it.each(['subscribe', 'join'] as const)('leaves no half-made subscription when the engine fails to %s', async (method) => {
    const engine = new FlakyEngine();
    await using router = await startRouter({ engine });
    await using sub = await RawClient.welcomed(router.url, { name: 'sub' });
    engine.failing.add(method);
    sub.send({ type: 'subscribe', id: 1, pattern: 'x' });
    expect(await sub.next()).toMatchObject({ type: 'error', id: 1, code: 'INTERNAL_ERROR' });
    engine.failing.delete(method);
    expect(router.clients()[0]!.subscriptions).toEqual([]);
    expect(await router.presence('x')).toEqual([]);
    await using publisher = await RawClient.welcomed(router.url, { name: 'pub' });
    await publish(publisher, 'x', 1);
    // The refused subscription delivers nothing.
    expect(await messages(sub)).toEqual([]);
    expect(router.stats().deliveries).toBe(0);
  });
});
