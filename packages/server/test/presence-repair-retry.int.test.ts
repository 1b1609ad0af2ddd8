/**
 * A repair after lost presence events whose read of the members fails (presence-repair.ts): the
 * watches are never left on a list that may be wrong. The read is retried for the topic with
 * backoff (one timer per topic, waits drawn in [1 s / 2, 1 s], then doubling up to 30 s) while the
 * topic is watched and the engine reports itself available, and the watches are told exactly the
 * difference when a read succeeds. A watch that starts meanwhile waits for the repair (or reads it
 * at once), and never takes its snapshot from the outdated view. Memory engine; the Redis engine:
 * packages/redis/test/presence-repair-retry.int.test.ts. Only setTimeout/clearTimeout are faked.
 */
import { ErrorCode, type ServerMessage } from '@herald/protocol';
import { RawClient, deferred, startRouter } from '@herald/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';
import { LosesPresence } from './presence-gap.fixture.js';
import { frames, watcher } from './presence-watch.fixture.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });
const MAX_WAIT = 30_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const id = (client: RawClient): string => client.welcome!.id;
const ids = (state: ServerMessage): string[] => (state as { members: { id: string }[] }).members.map((m) => m.id);

/** What a watch's frames say of the member ids, in order. */
function told(list: ServerMessage[]): string[] {
  return list.map((f) =>
    f.type === 'presence_join' ? `join ${f.member.id}` : f.type === 'presence_leave' ? `leave ${f.member.id} ${f.reason}` : f.type === 'presence_count' ? `count ${f.count}` : f.type,
  );
}

describe('a presence repair whose read fails', () => {
  it('is retried with backoff, one read per topic however many watches, until it reads: every watch is then told the difference', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    const a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const [byUser] = await watcher(router.url, 'room');
    const [byConnection] = await watcher(router.url, 'room', { by: 'connection' });
    const [count, counted] = await watcher(router.url, 'room', { count: true });
    expect(counted).toMatchObject({ count: 1 });
    const [lobby] = await watcher(router.url, 'lobby');
    engine.cut = true;
    await using b1 = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    await using c1 = await RawClient.subscribed(router.url, 'room', { token: 'carol' });
    await a1.close();
    await expect.poll(() => router.stats().connections).toBe(6);
    const watches = [byUser, byConnection, count, lobby];

    engine.fail = 4; // the gap's reads (room, lobby) and their first retries
    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 2);
    for (const w of watches) expect(await w.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(499);
    expect(engine.reads.values.length).toBe(reads + 2); // the first retry waits at least 500 ms
    await vi.advanceTimersByTimeAsync(501);
    await engine.reads.until(reads + 4);
    for (const w of watches) expect(await w.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(499);
    expect(engine.reads.values.length).toBe(reads + 4); // the second waits at least 1 s after the first
    await vi.advanceTimersByTimeAsync(1501); // and at most 2 s
    await engine.reads.until(reads + 6);
    expect(engine.reads.values.slice(reads).sort()).toEqual(['lobby', 'lobby', 'lobby', 'room', 'room', 'room']);

    expect(told(await frames(byUser, 3))).toEqual(['join bob', 'join carol', 'leave alice dropped']);
    expect(told(await frames(byConnection, 3))).toEqual([`join ${id(b1)}`, `join ${id(c1)}`, `leave ${id(a1)} dropped`]);
    expect(told(await frames(count, 1))).toEqual(['count 2']);
    // Repaired: no retry after it.
    await vi.advanceTimersByTimeAsync(2 * MAX_WAIT);
    expect(engine.reads.values.length).toBe(reads + 6);
    for (const w of watches) expect(await w.drain()).toStrictEqual([]);
    expect(router.stats().presenceViews).toStrictEqual({ views: 3, members: 4, connections: 4, graceTimers: 0 });
    for (const w of watches) await w.close();
  });

  it('watches that start while the repair reads wait for it; that read failing, they read once (one read for both): their snapshots are the members, the open watches are told the difference', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    const [old] = await watcher(router.url, 'room');
    const [oldCount, counted] = await watcher(router.url, 'room', { count: true });
    expect(counted).toMatchObject({ count: 0 });
    engine.cut = true;
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    engine.gate = deferred();
    engine.fail = 1;
    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 1); // the repair's read, held by the gate
    const late = await RawClient.welcomed(router.url, { token: 'watcher' });
    late.send({ type: 'presence_watch', id: 1, topic: 'room' });
    const lateCount = await RawClient.welcomed(router.url, { token: 'watcher' });
    lateCount.send({ type: 'presence_watch', id: 1, topic: 'room', count: true });
    await expect.poll(() => router.stats().presenceWatches).toBe(4);
    expect(engine.reads.values.length).toBe(reads + 1); // they wait for the repair's read
    engine.gate.resolve(); // which fails: they read, at once
    const listed = await late.next();
    expect(listed).toMatchObject({ type: 'presence_state', id: 1 });
    expect(ids(listed)).toEqual(['alice']);
    expect(await lateCount.next()).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [], count: 1 });
    expect(await old.next()).toMatchObject({ type: 'presence_join', member: { id: 'alice', connections: [id(alice)] } });
    expect(await oldCount.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 1 });
    expect(engine.reads.values.length).toBe(reads + 2);
    // That read repaired the views: the retry is dropped.
    await vi.advanceTimersByTimeAsync(2 * MAX_WAIT);
    expect(engine.reads.values.length).toBe(reads + 2);
    const watches = [old, oldCount, late, lateCount];
    for (const w of watches) expect(await w.drain()).toStrictEqual([]);
    expect(router.stats().presenceViews).toMatchObject({ views: 1, members: 1 }); // the count watches count users: they share the view
    for (const w of watches) await w.close();
  });

  it('a watch waiting for a repair that a later gap supersedes takes the later read\'s members; the open watch is told each join once', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    const [old] = await watcher(router.url, 'room');
    engine.cut = true;
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    engine.gate = deferred();
    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 1); // read before bob joins: alice only
    const late = await RawClient.welcomed(router.url, { token: 'watcher' });
    late.send({ type: 'presence_watch', id: 1, topic: 'room' });
    await expect.poll(() => router.stats().presenceWatches).toBe(2);
    engine.cut = true;
    await using bob = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    const first = engine.gate;
    engine.gate = deferred();
    engine.back(); // another gap: a new read, which supersedes the first
    await engine.reads.until(reads + 2);
    first.resolve(); // the first read answers: superseded, it repairs nothing
    expect(await old.drain()).toStrictEqual([]);
    engine.gate.resolve();
    expect(ids(await late.next())).toEqual(['alice', 'bob']);
    expect(told(await frames(old, 2))).toEqual(['join alice', 'join bob']);
    expect(engine.reads.values.length).toBe(reads + 2);
    for (const w of [old, late]) expect(await w.drain()).toStrictEqual([]);
    for (const w of [old, late]) await w.close();
  });

  it('a watch of a view whose repair failed reads at once: failing, it is refused ENGINE_UNAVAILABLE and the retry goes on; reading, every watch is right', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    const [old] = await watcher(router.url, 'room');
    engine.cut = true;
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    engine.fail = 2;
    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 1);
    expect(await old.drain()).toStrictEqual([]);
    const [refused, error] = await watcher(router.url, 'room');
    expect(error).toMatchObject({ type: 'error', id: 1, code: ErrorCode.ENGINE_UNAVAILABLE });
    expect(engine.reads.values.length).toBe(reads + 2);
    expect(await old.drain()).toStrictEqual([]);
    const [fresh, listed] = await watcher(router.url, 'room');
    expect(ids(listed)).toEqual(['alice']);
    expect(await old.next()).toMatchObject({ type: 'presence_join', member: { id: 'alice', connections: [id(alice)] } });
    expect(engine.reads.values.length).toBe(reads + 3);
    // One view, shared again; repaired, so no retry.
    expect(router.stats().presenceViews).toMatchObject({ views: 1, members: 1 });
    await vi.advanceTimersByTimeAsync(2 * MAX_WAIT);
    expect(engine.reads.values.length).toBe(reads + 3);
    for (const w of [old, fresh]) expect(await w.drain()).toStrictEqual([]);
    for (const w of [old, refused, fresh]) await w.close();
  });

  it('the retry waits while the engine reports it is away, reads when it is back, and ends with the topic\'s last watch', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    const [w] = await watcher(router.url, 'room');
    engine.cut = true;
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    engine.fail = 1;
    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 1);
    engine.down = true;
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000); // three retries' time: none reads
    expect(engine.reads.values.length).toBe(reads + 1);
    engine.down = false;
    await vi.advanceTimersByTimeAsync(8000); // the next one does
    expect(await w.next()).toMatchObject({ type: 'presence_join', member: { id: 'alice', connections: [id(alice)] } });
    expect(engine.reads.values.length).toBe(reads + 2);

    engine.cut = true;
    await using bob = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    engine.fail = 1;
    engine.back();
    await engine.reads.until(reads + 3);
    await w.close();
    await expect.poll(() => router.stats().presenceViews.views).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * MAX_WAIT);
    expect(engine.reads.values.length).toBe(reads + 3); // nobody watches: no retry
  });
});
