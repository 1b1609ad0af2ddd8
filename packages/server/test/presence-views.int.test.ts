/**
 * Presence views shared by the watches of a topic: W watches per user of a topic with M users cost
 * one view (M entries, at most M leave-grace timers), not W views (W×M entries and timers). Every
 * watcher sees the same user-level events; a watch that starts while a user is in its leave grace
 * lists that user (as every other watcher still does) and gets its leave when the grace ends. The
 * view goes with its last watch, its timers with it. Grace timers are faked.
 */
import { type Deferred, deferred, EngineWrapper, Log, RawClient, startRouter } from '@herald/testkit';
import type { ServerMessage } from '@herald/protocol';
import { superjsonCodec } from '@herald/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity, PresenceMember } from '../src/index.js';
import { frames, watcher } from './presence-watch.fixture.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });
const GRACE = 3000;

afterEach(() => {
  vi.useRealTimers();
});


describe('presence views shared by the watches of a topic', () => {
  it('W watchers of M users: one view of M entries; a mass leave runs M grace timers, not W×M; every watcher sees the same events', async () => {
    const W = 5;
    const M = 20;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: GRACE, connectionsPerAddress: false });
    const disconnects = new Log<string>();
    router.on('disconnect', (client) => disconnects.push(client.id));
    const watchers: RawClient[] = [];
    for (let i = 0; i < W; i++) {
      const [watch, state] = await watcher(router.url, 'room');
      expect(state).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [] });
      watchers.push(watch);
    }
    const members: RawClient[] = [];
    for (let i = 0; i < M; i++) members.push(await RawClient.subscribed(router.url, 'room', { token: `u${i}` }));
    expect(router.stats().presenceWatches).toBe(W);
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: M, connections: M, graceTimers: 0 });

    const joins = await Promise.all(watchers.map((w) => frames(w, M)));
    expect(joins[0]!.map((f) => (f.type === 'presence_join' ? f.member.id : f.type))).toEqual(Array.from({ length: M }, (_, i) => `u${i}`));
    for (const seen of joins) expect(seen).toStrictEqual(joins[0]);

    const timers = vi.getTimerCount();
    for (const member of members) await member.destroy();
    await disconnects.until(M);
    expect(vi.getTimerCount() - timers).toBe(M); // W×M with a view per watch
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: M, connections: 0, graceTimers: M });
    for (const watch of watchers) expect(await watch.drain()).toStrictEqual([]); // all in their grace

    await vi.advanceTimersByTimeAsync(GRACE);
    const leaves = await Promise.all(watchers.map((w) => frames(w, M)));
    // In the order the router saw the sockets go (each user once), the same for every watcher.
    const told = leaves[0]!.map((f) => (f.type === 'presence_leave' ? `${f.member.id} ${f.reason}` : f.type));
    expect(told.sort()).toEqual(Array.from({ length: M }, (_, i) => `u${i} dropped`).sort());
    for (const seen of leaves) expect(seen).toStrictEqual(leaves[0]);
    expect(vi.getTimerCount()).toBe(timers);
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: 0, connections: 0, graceTimers: 0 });
    for (const watch of watchers) await watch.close();
  });

  it('a watch that starts while a user is in its grace lists the user (no connection) and gets its leave when the grace ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: GRACE });
    const [first] = await watcher(router.url, 'room');
    const alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    expect(await first.next()).toMatchObject({ type: 'presence_join', member: { id: 'alice' } });
    await alice.destroy();
    await vi.waitUntil(() => router.stats().presenceViews.graceTimers === 1);

    const [late, state] = await watcher(router.url, 'room');
    expect(state).toMatchObject({ type: 'presence_state', id: 1, members: [{ id: 'alice', user: 'alice', connections: [] }] });
    const [count, counted] = await watcher(router.url, 'room', { count: true });
    expect(counted).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [], count: 1 });
    expect(router.stats().presenceViews.views).toBe(1); // member and count watches per user share it

    await vi.advanceTimersByTimeAsync(GRACE);
    const leave = { type: 'presence_leave', topic: 'room', member: { id: 'alice', user: 'alice', connections: [] }, reason: 'dropped' };
    expect(await first.next()).toMatchObject(leave);
    expect(await late.next()).toMatchObject(leave);
    expect(await count.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 0 });
    for (const client of [first, late, count]) await client.close();
  });

  it('a user back within the grace: a watch that started meanwhile sees nothing either, and then lists the new connection', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: GRACE });
    const [first] = await watcher(router.url, 'room');
    const before = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    expect(await first.next()).toMatchObject({ type: 'presence_join', member: { id: 'bob' } });
    await before.destroy();
    await vi.waitUntil(() => router.stats().presenceViews.graceTimers === 1);
    const [late, state] = await watcher(router.url, 'room');
    expect(state).toMatchObject({ type: 'presence_state', members: [{ id: 'bob', connections: [] }] });
    await using after = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(await first.drain()).toStrictEqual([]);
    expect(await late.drain()).toStrictEqual([]);
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: 1, connections: 1, graceTimers: 0 });
    const [third, listed] = await watcher(router.url, 'room');
    expect(listed).toMatchObject({ type: 'presence_state', members: [{ id: 'bob', connections: [after.welcome!.id] }] });
    for (const client of [first, late, third]) await client.close();
  });

  it('the last watch to go (unwatch or close) drops the view and clears its grace timers; a new watch starts from the engine', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: GRACE });
    const disconnects = new Log<string>();
    router.on('disconnect', (client) => disconnects.push(client.id));
    const [a] = await watcher(router.url, 'room');
    const [b] = await watcher(router.url, 'room');
    const alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await a.nextOf('presence_join');
    await alice.destroy();
    await disconnects.until(1);
    const timers = vi.getTimerCount();
    expect(router.stats().presenceViews).toMatchObject({ views: 1, graceTimers: 1 });

    a.send({ type: 'presence_unwatch', id: 2, topic: 'room' });
    expect(await a.next()).toStrictEqual({ type: 'presence_unwatched', id: 2, topic: 'room' });
    expect(router.stats().presenceViews).toMatchObject({ views: 1, graceTimers: 1 }); // b still watches
    await b.close();
    await disconnects.until(2);
    expect(router.stats().presenceViews).toStrictEqual({ views: 0, members: 0, connections: 0, graceTimers: 0 });
    expect(vi.getTimerCount()).toBe(timers - 1);

    a.send({ type: 'presence_watch', id: 3, topic: 'room' });
    expect(await a.next()).toStrictEqual({ type: 'presence_state', id: 3, topic: 'room', members: [] });
    await vi.advanceTimersByTimeAsync(GRACE);
    expect(await a.drain()).toStrictEqual([]); // no leave of a user this view never had
    await a.close();
  });

  it('a connection that replaces its watch by one of the same view keeps the view (and the users in their grace)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: GRACE });
    const [watch] = await watcher(router.url, 'room');
    const alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await watch.nextOf('presence_join');
    await alice.destroy();
    await vi.waitUntil(() => router.stats().presenceViews.graceTimers === 1);
    watch.send({ type: 'presence_watch', id: 2, topic: 'room', count: true });
    expect(await watch.next()).toStrictEqual({ type: 'presence_state', id: 2, topic: 'room', members: [], count: 1 });
    expect(router.stats().presenceViews).toMatchObject({ views: 1, graceTimers: 1 });
    await vi.advanceTimersByTimeAsync(GRACE);
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 0 });
    await watch.close();
  });

  it('one view per topic and grouping: per user (members and counts), per connection (members and counts)', async () => {
    await using router = await startRouter({ authenticate, presenceCountIntervalMs: 0 });
    const [byUser] = await watcher(router.url, 'room');
    const [countByUser] = await watcher(router.url, 'room', { count: true });
    const [countByConnection] = await watcher(router.url, 'room', { count: true, by: 'connection' });
    const [byConnection] = await watcher(router.url, 'room', { by: 'connection' });
    const [other] = await watcher(router.url, 'hall');
    expect(router.stats().presenceViews.views).toBe(3);
    await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using a2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    expect(router.stats().presenceViews).toMatchObject({ views: 3, members: 1 + 2, connections: 2 + 2 });
    expect(await byUser.drain()).toMatchObject([{ type: 'presence_join', member: { id: 'alice', connections: [a1.welcome!.id] } }]);
    expect(await countByUser.drain()).toStrictEqual([{ type: 'presence_count', topic: 'room', count: 1 }]);
    expect(await countByConnection.drain()).toStrictEqual([
      { type: 'presence_count', topic: 'room', count: 1 },
      { type: 'presence_count', topic: 'room', count: 2 },
    ]);
    const joined = await byConnection.drain();
    expect(joined).toMatchObject([{ member: { id: a1.welcome!.id } }, { member: { id: a2.welcome!.id } }]);
    for (const frame of joined) expect(frame).not.toHaveProperty('member.connections'); // a member per connection has none
    // The count watch by connection goes; the member watch by connection keeps the view.
    await countByConnection.close();
    await vi.waitUntil(() => router.stats().presenceWatches === 4);
    expect(router.stats().presenceViews).toMatchObject({ views: 3, members: 1 + 2, connections: 2 + 2 });
    for (const client of [byUser, countByUser, byConnection, other]) await client.close();
  });

  it('two watchers of a big topic per user get the same snapshot in pages, in join order', async () => {
    await using router = await startRouter({ maxBufferedBytes: 256 * 1024, maxPayload: 64 * 1024, connectionsPerAddress: false });
    const members: RawClient[] = [];
    const info = (i: number) => superjsonCodec.encode({ i, bio: 'b'.repeat(4000) });
    for (let i = 0; i < 60; i++) members.push(await RawClient.subscribed(router.url, 'big', { name: `m${i}`, info: info(i) }));
    const snapshots: string[][] = [];
    for (const name of ['w1', 'w2']) {
      const client = await RawClient.welcomed(router.url, { name });
      client.send({ type: 'presence_watch', id: 1, topic: 'big', by: 'user' });
      const names: string[] = [];
      for (;;) {
        const page = await client.nextOf('presence_state');
        expect(page.count).toBe(60);
        names.push(...page.members.map((m) => m.name));
        if (page.more !== true) break;
      }
      snapshots.push(names);
      await client.close();
    }
    expect(snapshots[0]).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`));
    expect(snapshots[1]).toEqual(snapshots[0]);
    expect(router.stats().slowConsumers).toBe(0);
    for (const member of members) await member.close();
  });
});

/** An engine whose `members` waits for `gate`: reading before it (`readFirst`) or after it. */
class GatedMembers extends EngineWrapper {
  gate: Deferred<void> | undefined;
  readFirst = true;
  readonly reads = new Log<string>();

  override async members(topic: string): Promise<PresenceMember[]> {
    const first = this.readFirst ? await this.inner.members(topic) : undefined;
    this.reads.push(topic);
    await this.gate?.promise;
    return first ?? this.inner.members(topic);
  }
}

describe('a shared view seeded while events arrive', () => {
  for (const readFirst of [true, false]) {
    it(`two watchers waiting on the engine get one snapshot each, then the same events, none twice (members read ${readFirst ? 'before' : 'after'} the events)`, async () => {
      const engine = new GatedMembers();
      engine.readFirst = readFirst;
      await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
      await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
      engine.gate = deferred();
      const w1 = await RawClient.welcomed(router.url, { token: 'w1' });
      const w2 = await RawClient.welcomed(router.url, { token: 'w2' });
      for (const w of [w1, w2]) w.send({ type: 'presence_watch', id: 1, topic: 'room' });
      await engine.reads.until(2);
      await using bob = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
      alice.send({ type: 'unsubscribe', id: 2, pattern: 'room' });
      await alice.nextOf('unsubscribed');
      expect(w1.queued + w2.queued).toBe(0);
      engine.gate.resolve();
      const seen: ServerMessage[][] = [];
      for (const w of [w1, w2]) seen.push([await w.nextOf('presence_state'), ...(await w.drain())]);
      // The watcher whose members seed the view: read before the events, they follow its snapshot;
      // read after, its snapshot has them and nothing follows (a Redis engine may hand events that
      // its members already show). The other takes its snapshot of the view, which has them too.
      const seeded = readFirst
        ? [
            { type: 'presence_state', id: 1, topic: 'room', members: [{ id: 'alice', connections: [alice.welcome!.id] }] },
            { type: 'presence_join', topic: 'room', member: { id: 'bob', connections: [bob.welcome!.id] } },
            { type: 'presence_leave', topic: 'room', member: { id: 'alice', connections: [] }, reason: 'unsubscribed' },
          ]
        : [{ type: 'presence_state', id: 1, topic: 'room', members: [{ id: 'bob', connections: [bob.welcome!.id] }] }];
      const viewed = [{ type: 'presence_state', id: 1, topic: 'room', members: [{ id: 'bob', connections: [bob.welcome!.id] }] }];
      const [first, second] = seen[0]!.length >= seen[1]!.length ? [seen[0]!, seen[1]!] : [seen[1]!, seen[0]!];
      expect(first).toMatchObject(seeded);
      expect(first).toHaveLength(seeded.length);
      expect(second).toMatchObject(viewed);
      expect(second).toHaveLength(1);
      for (const frames of seen) expect((frames[0] as { members: unknown[] }).members).toHaveLength(1);
      expect(router.stats().presenceViews).toMatchObject({ views: 1, members: 1, connections: 1 });
      for (const w of [w1, w2]) await w.close();
    });
  }
});

describe('watches by connection', () => {
  it('W member watches by connection of M members share one view of M entries; each gets every join and leave once', async () => {
    const W = 4;
    const M = 10;
    await using router = await startRouter({ connectionsPerAddress: false });
    const watchers: RawClient[] = [];
    for (let i = 0; i < W; i++) watchers.push((await watcher(router.url, 'room', { by: 'connection' }))[0]);
    const members: RawClient[] = [];
    for (let i = 0; i < M; i++) members.push(await RawClient.subscribed(router.url, 'room'));
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: M, connections: M, graceTimers: 0 });
    await members[0]!.close();
    const ids = members.map((m) => m.welcome!.id);
    const expected = [...ids.map((id) => `join ${id}`), `leave ${ids[0]} closed`];
    for (const w of watchers) {
      const got = (await frames(w, M + 1)).map((f) => (f.type === 'presence_join' ? `join ${f.member.id}` : f.type === 'presence_leave' ? `leave ${f.member.id} ${f.reason}` : f.type));
      expect(got).toEqual(expected);
      expect(await w.drain()).toStrictEqual([]);
    }
    expect(router.stats().presenceViews).toStrictEqual({ views: 1, members: M - 1, connections: M - 1, graceTimers: 0 });
    for (const m of members.slice(1)) await m.close();
    for (const w of watchers) await w.close();
    await vi.waitUntil(() => router.stats().presenceViews.views === 0);
  });
});
