/**
 * Presence watches repaired after a presence gap (`EngineListener.onPresenceGap`: the engine's
 * event connection was away and the joins and leaves sent meanwhile were lost to this router).
 * The router reads the members of every watched topic once and tells each open watch exactly what
 * it missed, as ordinary `presence_join` / `presence_leave` (reason `dropped` for a member found
 * gone) and `presence_count` frames; per user, a user whose connections all vanished leaves after
 * its grace. Events during the read are neither lost nor told twice. Grace timers are faked. A read
 * that fails is retried: presence-repair-retry.int.test.ts.
 */
import type { ServerMessage } from '@herald/protocol';
import { Log, RawClient, deferred, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';
import { LosesPresence } from './presence-gap.fixture.js';
import { frames, watcher } from './presence-watch.fixture.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });
const GRACE = 3000;

afterEach(() => {
  vi.useRealTimers();
});

const id = (client: RawClient): string => client.welcome!.id;

/** What a watch's frames say of the member ids, in order. */
function told(frames: ServerMessage[]): string[] {
  return frames.map((f) =>
    f.type === 'presence_join' ? `join ${f.member.id}` : f.type === 'presence_leave' ? `leave ${f.member.id} ${f.reason}` : f.type === 'presence_count' ? `count ${f.count}` : f.type,
  );
}

describe('presence watches after the engine lost presence events', () => {
  it('each watch is told exactly what it missed: per user (a vanished user after its grace), per connection, counts; one read per topic', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: GRACE });
    const disconnects = new Log<string>();
    router.on('disconnect', (client) => disconnects.push(client.id));
    const a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const b1 = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    const [byUser, state] = await watcher(router.url, 'room');
    expect(state).toMatchObject({ members: [{ id: 'alice' }, { id: 'bob' }] });
    const [byConnection] = await watcher(router.url, 'room', { by: 'connection' });
    const [count, counted] = await watcher(router.url, 'room', { count: true });
    expect(counted).toMatchObject({ members: [], count: 2 });
    const [countByConnection] = await watcher(router.url, 'room', { count: true, by: 'connection' });
    const [lobby] = await watcher(router.url, 'lobby');
    // The topic's watches by connection share one view with its count watch by connection.
    expect(router.stats().presenceViews).toStrictEqual({ views: 3, members: 4, connections: 4, graceTimers: 0 });

    engine.cut = true;
    await using c1 = await RawClient.subscribed(router.url, 'room', { token: 'carol' });
    await using b2 = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    await a1.close();
    await b1.close();
    await disconnects.until(2);
    const watches = [byUser, byConnection, count, countByConnection, lobby];
    for (const w of watches) expect(await w.drain()).toStrictEqual([]); // lost

    const reads = engine.reads.values.length;
    engine.back();
    await engine.reads.until(reads + 2);
    expect(engine.reads.values.slice(reads).sort()).toEqual(['lobby', 'room']); // one read per watched topic
    expect(await byUser.next()).toStrictEqual({ type: 'presence_join', topic: 'room', member: expect.objectContaining({ id: 'carol', connections: [c1.welcome!.id] }) });
    expect(told(await frames(byConnection, 4))).toEqual([`join ${id(c1)}`, `join ${id(b2)}`, `leave ${id(a1)} dropped`, `leave ${id(b1)} dropped`]);
    expect(await count.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 3 }); // alice is in her grace
    for (const w of watches) expect(await w.drain()).toStrictEqual([]); // bob only changed connections; 2 connections before and after
    expect(router.stats().presenceViews).toStrictEqual({ views: 3, members: 5, connections: 4, graceTimers: 1 });

    await vi.advanceTimersByTimeAsync(GRACE);
    expect(await byUser.next()).toMatchObject({ type: 'presence_leave', topic: 'room', member: { id: 'alice', connections: [] }, reason: 'dropped' });
    expect(await count.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 2 });
    // The repaired views go on live, and a new watch shares them.
    await using dave = await RawClient.subscribed(router.url, 'room', { token: 'dave' });
    expect(await byUser.next()).toMatchObject({ type: 'presence_join', member: { id: 'dave' } });
    expect(told(await frames(byConnection, 1))).toEqual([`join ${id(dave)}`]);
    const [late, listed] = await watcher(router.url, 'room');
    expect(listed).toMatchObject({ members: [{ id: 'bob' }, { id: 'carol' }, { id: 'dave' }] });
    expect(router.stats().presenceViews).toStrictEqual({ views: 3, members: 6, connections: 6, graceTimers: 0 });
    expect(engine.reads.values.length).toBe(reads + 2); // none of its own: the repaired view is current
    for (const w of [...watches, late]) await w.close();
  });

  for (const readFirst of [true, false]) {
    it(`events during the read are told once, after the difference (members read ${readFirst ? 'before' : 'after'} them)`, async () => {
      const engine = new LosesPresence();
      engine.readFirst = readFirst;
      await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
      await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
      const [w] = await watcher(router.url, 'room', { by: 'connection' });
      engine.cut = true;
      await using b1 = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
      engine.gate = deferred();
      const reads = engine.reads.values.length;
      engine.back();
      await engine.reads.until(reads + 1);
      await using c1 = await RawClient.subscribed(router.url, 'room', { token: 'carol' });
      a1.send({ type: 'unsubscribe', id: 2, pattern: 'room' });
      await a1.nextOf('unsubscribed');
      expect(w.queued).toBe(0); // held while the members are read
      engine.gate.resolve();
      // Read before: alice is still there and leaves as she did; read after: she is found gone.
      const reason = readFirst ? 'unsubscribed' : 'dropped';
      expect(told(await frames(w, 3))).toEqual([`join ${id(b1)}`, `join ${id(c1)}`, `leave ${id(a1)} ${reason}`]);
      expect(await w.drain()).toStrictEqual([]);
      expect(router.stats().presenceViews).toMatchObject({ views: 1, members: 2, connections: 2 });
      await w.close();
    });
  }

  it('a gap while a view waits for its first members: it is repaired once seeded', async () => {
    const engine = new LosesPresence();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    engine.gate = deferred();
    engine.readFirst = true;
    const w = await RawClient.welcomed(router.url, { token: 'watcher' });
    w.send({ type: 'presence_watch', id: 1, topic: 'room' });
    await engine.reads.until(1); // read before the gap: it will not show alice
    engine.cut = true;
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const gate = engine.gate;
    engine.gate = undefined;
    engine.back();
    gate.resolve();
    expect(await w.next()).toMatchObject({ type: 'presence_state', members: [] });
    expect(await w.next()).toMatchObject({ type: 'presence_join', member: { id: 'alice', connections: [alice.welcome!.id] } });
    expect(engine.reads.values).toEqual(['room', 'room']);
    expect(await w.drain()).toStrictEqual([]);
    await w.close();
  });
});
