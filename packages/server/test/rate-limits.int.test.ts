/**
 * Per-connection limits (issue #12, PROTOCOL.md section 12): token buckets for publishes, bytes,
 * subscribes, watches and calls (`RATE_LIMITED` with `retryAfterMs`, close 4300 for a client that
 * keeps going), and counts for handlers and patterns. The clock is faked (`Date`) for refills; the
 * bounds are asserted as counts, never as time.
 */
import { HeraldError, SubscriptionError, connect } from '@herald/client';
import { type ServerMessage, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

const limited = (id: number, retryAfterMs: number) => ({ type: 'error', id, code: 'RATE_LIMITED', message: expect.any(String) as string, retryAfterMs });
const payload = superjsonCodec.encode(1);

/** The next `n` frames, ordered by id (acks come after the engine, refusals at once). */
async function replies(raw: RawClient, n: number): Promise<ServerMessage[]> {
  const frames: ServerMessage[] = [];
  for (let i = 0; i < n; i++) frames.push(await raw.next());
  return frames.sort((a, b) => ((a as { id?: number }).id ?? 0) - ((b as { id?: number }).id ?? 0));
}

describe('rate limits per connection', () => {
  it('publishes: the burst passes, the rest is refused with the time to the next token, and tokens come back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await using router = await startRouter({ limits: { publishes: { perSec: 10, burst: 5 }, strikes: false } });
    await using raw = await RawClient.welcomed(router.url, { name: 'pub' });
    for (let id = 1; id <= 8; id++) raw.send({ type: 'publish', id, topic: 'p' }, payload);
    const frames = await replies(raw, 8);
    expect(frames.slice(0, 5).map((f) => f.type)).toEqual(Array(5).fill('publish_ack'));
    expect(frames.slice(5)).toEqual([limited(6, 100), limited(7, 100), limited(8, 100)]);
    expect(router.stats().publications).toBe(5);

    vi.advanceTimersByTime(100);
    raw.send({ type: 'publish', id: 9, topic: 'p' }, payload);
    expect(await raw.next()).toMatchObject({ type: 'publish_ack', id: 9 });
    raw.send({ type: 'publish', id: 10, topic: 'p' }, payload);
    expect(await raw.next()).toEqual(limited(10, 100));

    vi.advanceTimersByTime(60_000); // a full bucket holds `burst`, not more
    for (let id = 11; id <= 16; id++) raw.send({ type: 'publish', id, topic: 'p' }, payload);
    const later = await replies(raw, 6);
    expect(later.filter((f) => f.type === 'publish_ack')).toHaveLength(5);
    expect(later[5]).toEqual(limited(16, 100));
  });

  it('publish bytes: a frame that does not fit waits for the bytes it needs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await using router = await startRouter({ limits: { publishBytes: { perSec: 1000, burst: 2000 }, strikes: false } });
    await using raw = await RawClient.welcomed(router.url, { name: 'pub' });
    const big = superjsonCodec.encode('b'.repeat(1400));
    raw.send({ type: 'publish', id: 1, topic: 'p' }, big);
    expect(await raw.next()).toMatchObject({ type: 'publish_ack', id: 1 });
    raw.send({ type: 'publish', id: 2, topic: 'p' }, big);
    const refusal = await raw.next();
    expect(refusal).toMatchObject({ type: 'error', id: 2, code: 'RATE_LIMITED' });
    const wait = (refusal as { retryAfterMs: number }).retryAfterMs;
    expect(wait).toBeGreaterThan(800); // about 1,400 + header - 600 bytes at 1,000 a second
    expect(wait).toBeLessThan(1100);
    vi.advanceTimersByTime(wait);
    raw.send({ type: 'publish', id: 3, topic: 'p' }, big);
    expect(await raw.next()).toMatchObject({ type: 'publish_ack', id: 3 });
  });

  it('subscribes, watches and calls each have their own bucket', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const rate = { perSec: 1, burst: 2 };
    await using router = await startRouter({ limits: { subscribes: rate, watches: rate, calls: rate, strikes: false } });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    for (let id = 1; id <= 3; id++) raw.send({ type: 'subscribe', id, pattern: `s.${id}` });
    for (let id = 4; id <= 6; id++) raw.send({ type: 'presence_watch', id, topic: `w.${id}` });
    for (let id = 7; id <= 9; id++) raw.send({ type: 'ping', id });
    const frames = await replies(raw, 9);
    expect(frames.map((f) => f.type)).toEqual(['subscribed', 'subscribed', 'error', 'presence_state', 'presence_state', 'error', 'pong', 'pong', 'error']);
    expect([frames[2], frames[5], frames[8]]).toEqual([limited(3, 1000), limited(6, 1000), limited(9, 1000)]);
    expect(router.clients()[0]?.subscriptions).toEqual(['s.1', 's.2']);
    raw.send({ type: 'list_methods', id: 10 });
    expect(await raw.next()).toEqual(limited(10, 1000));
    vi.advanceTimersByTime(1000);
    raw.send({ type: 'subscribe', id: 11, pattern: 's.3' });
    expect(await raw.next()).toMatchObject({ type: 'subscribed', id: 11 });
  });

  it('closes with 4300 a client that keeps going over its limits without waiting', async () => {
    await using router = await startRouter({ limits: { publishes: { perSec: 1, burst: 1 }, strikes: { perSec: 1, burst: 3 } } });
    await using raw = await RawClient.welcomed(router.url, { name: 'flood' });
    for (let id = 1; id <= 50; id++) raw.send({ type: 'publish', id, topic: 'p' }, payload);
    const { frames, close } = await raw.untilClosed();
    expect(close.code).toBe(4300);
    expect(close.reason).toMatch(/^RATE_LIMITED: /);
    // The one accepted publish may lose its ack to the close; the refusals went out at once.
    expect(frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED')).toHaveLength(3);
    expect(router.stats().publications).toBe(1);
  });

  it('the client rejects with RATE_LIMITED, retryable, carrying retryAfterMs', async () => {
    await using router = await startRouter({ limits: { publishes: { perSec: 2, burst: 1 }, subscribes: { perSec: 4, burst: 1 }, strikes: false } });
    await using client = await connect(router.url, { name: 'api' });
    await client.publish('p', 1);
    const publish = await client.publish('p', 2).then(() => undefined, (error: unknown) => error);
    expect(publish).toBeInstanceOf(HeraldError);
    expect(publish).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: expect.any(Number) });
    expect((publish as HeraldError).retryAfterMs).toBeGreaterThan(0);
    expect((publish as HeraldError).retryAfterMs).toBeLessThanOrEqual(500);
    await client.subscribe('a');
    const subscribe = await client.subscribe('b').then(() => undefined, (error: unknown) => error);
    expect(subscribe).toBeInstanceOf(SubscriptionError);
    expect(subscribe).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(client.state).toBe('open');
  });
});

describe('handlers per connection and per router', () => {
  it('refuses one handler past maxHandlers, and makes room after an unhandle', async () => {
    await using router = await startRouter({ limits: { maxHandlers: 3 } });
    await using raw = await RawClient.welcomed(router.url, { name: 'provider' });
    for (let id = 1; id <= 4; id++) raw.send({ type: 'handle', id, method: `m.${id}` });
    raw.send({ type: 'handle', id: 5, method: 'm.1' }); // again: not one more
    const frames = await replies(raw, 5);
    expect(frames.map((f) => f.type)).toEqual(['handled', 'handled', 'handled', 'error', 'handled']);
    expect(frames[3]).toMatchObject({ id: 4, code: 'HANDLER_LIMIT' });
    expect(router.methods().map((m) => m.method)).toEqual(['m.1', 'm.2', 'm.3']);
    raw.send({ type: 'unhandle', id: 6, method: 'm.2' });
    expect(await raw.next()).toMatchObject({ type: 'unhandled', id: 6 });
    raw.send({ type: 'handle', id: 7, method: 'm.4' });
    expect(await raw.next()).toMatchObject({ type: 'handled', id: 7 });
  });

  it('one connection registering 200,000 methods gets 100 (the default), and its disconnect removes them', async () => {
    await using router = await startRouter({ limits: { strikes: false } });
    await using other = await RawClient.welcomed(router.url, { name: 'other' });
    other.send({ type: 'handle', id: 1, method: 'other.m' });
    await other.nextOf('handled');
    const raw = await RawClient.welcomed(router.url, { name: 'attacker' });
    for (let id = 1; id <= 1000; id++) raw.send({ type: 'handle', id, method: `a.${id}` });
    const frames = await replies(raw, 1000);
    expect(frames.filter((f) => f.type === 'handled')).toHaveLength(100);
    expect(frames.filter((f) => f.type === 'error' && f.code === 'HANDLER_LIMIT')).toHaveLength(900);
    expect(router.methods()).toHaveLength(101);
    await raw.close();
    await vi.waitFor(() => expect(router.methods().map((m) => m.method)).toEqual(['other.m']));
  });

  it('refuses a new method past the router maxMethods, from any connection', async () => {
    await using router = await startRouter({ maxMethods: 2 });
    await using one = await RawClient.welcomed(router.url, { name: 'one' });
    await using two = await RawClient.welcomed(router.url, { name: 'two' });
    one.send({ type: 'handle', id: 1, method: 'x' });
    one.send({ type: 'handle', id: 2, method: 'y' });
    expect((await replies(one, 2)).map((f) => f.type)).toEqual(['handled', 'handled']);
    two.send({ type: 'handle', id: 1, method: 'x' }); // a second provider of a method: fine
    two.send({ type: 'handle', id: 2, method: 'z' });
    const frames = await replies(two, 2);
    expect(frames[0]).toMatchObject({ type: 'handled', id: 1 });
    expect(frames[1]).toMatchObject({ type: 'error', id: 2, code: 'HANDLER_LIMIT' });
  });
});

describe('patterns per connection', () => {
  const segments = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join('.');

  it('refuses a pattern or watch of more than maxPatternSegments segments', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    raw.send({ type: 'subscribe', id: 1, pattern: segments(16) });
    raw.send({ type: 'subscribe', id: 2, pattern: segments(17) });
    raw.send({ type: 'presence_watch', id: 3, topic: segments(17) });
    const frames = await replies(raw, 3);
    expect(frames[0]).toMatchObject({ type: 'subscribed', id: 1 });
    expect(frames[1]).toMatchObject({ type: 'error', id: 2, code: 'PATTERN_LIMIT' });
    expect(frames[2]).toMatchObject({ type: 'error', id: 3, code: 'PATTERN_LIMIT' });
  });

  it('10 connections × 1,000 long patterns: the index holds at most what maxPatternBytes allows, and a publish reads no more', async () => {
    await using router = await startRouter({ limits: { strikes: false } });
    const stats = () => router.stats().engine!;
    const base = stats().subscriptionNodes;
    const clients: RawClient[] = [];
    let accepted = 0;
    const pattern = (c: number, i: number) => `*.${segments(14, `c${c}x${i}y`)}.>`; // 16 segments, about 130 characters
    for (let c = 0; c < 10; c++) {
      const raw = await RawClient.welcomed(router.url, { name: `c${c}` });
      clients.push(raw);
      for (let i = 0; i < 1000; i++) raw.send({ type: 'subscribe', id: i + 1, pattern: pattern(c, i) });
      const frames = await replies(raw, 1000);
      accepted += frames.filter((f) => f.type === 'subscribed').length;
      expect(frames.filter((f) => f.type === 'error').every((f) => f.type === 'error' && f.code === 'PATTERN_LIMIT')).toBe(true);
    }
    const perConnection = Math.floor((32 * 1024) / pattern(0, 0).length); // the shortest fit most
    expect(accepted).toBeLessThanOrEqual(10 * perConnection);
    expect(accepted).toBeGreaterThan(10 * Math.floor((32 * 1024) / pattern(0, 999).length));
    const nodes = stats().subscriptionNodes - base;
    expect(nodes).toBeLessThanOrEqual(accepted * 15);
    const before = stats().matchVisits;
    await router.publish(`t.${segments(14, 'c0x0y')}.end`, 1);
    expect(stats().matchVisits - before).toBeLessThanOrEqual(2 + 15 + 10 * perConnection);
    for (const raw of clients) await raw.close();
  });

  it('makes room for new patterns as others are unsubscribed', async () => {
    await using router = await startRouter({ limits: { maxPatternBytes: 10 } });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    raw.send({ type: 'subscribe', id: 1, pattern: 'abcd' });
    raw.send({ type: 'subscribe', id: 2, pattern: 'efgh' });
    raw.send({ type: 'subscribe', id: 3, pattern: 'ijk' });
    raw.send({ type: 'subscribe', id: 4, pattern: 'abcd' }); // held already: no more bytes
    const frames = await replies(raw, 4);
    expect(frames.map((f) => f.type)).toEqual(['subscribed', 'subscribed', 'error', 'subscribed']);
    raw.send({ type: 'unsubscribe', id: 5, pattern: 'abcd' });
    await raw.nextOf('unsubscribed');
    raw.send({ type: 'subscribe', id: 6, pattern: 'ijk' });
    expect(await raw.next()).toMatchObject({ type: 'subscribed', id: 6 });
  });
});
