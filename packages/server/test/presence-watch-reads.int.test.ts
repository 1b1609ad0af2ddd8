/**
 * When a presence watch reads the engine's members (subscribe-path.ts `onWatch`, presence-view.ts
 * `current`): only when its shared view is not seeded (the first watch of a topic and grouping),
 * while a repair of the view waits for its read, or while the engine reports it is away. A watch of
 * a view that is seeded and current takes its snapshot from the view (which has had every event
 * since it was seeded), with no read: the same snapshot as with one, without an engine round trip.
 * While the engine is away the watch still reads, and fails as the read does (ENGINE_UNAVAILABLE),
 * as before. A watch that starts while a repair waits for its read waits for it (no read of its
 * own) and takes its snapshot of the repaired view. Memory engine (the Redis engine: packages/redis/test/presence-watch-reads.int.test.ts).
 */
import { ErrorCode, HeraldError } from '@herald/protocol';
import { type Deferred, EngineWrapper, Log, RawClient, deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { AuthContext, EngineListener, Identity, PresenceMember } from '../src/index.js';
import { watcher } from './presence-watch.fixture.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

/**
 * A memory engine whose `members` reads are logged; it can be `down` (it says so in `available`,
 * and reads fail ENGINE_UNAVAILABLE, as the Redis engine's do), its presence events can be cut and
 * then reported lost (`back`: `onPresenceGap`), and its reads can wait for a `gate`.
 */
class Reads extends EngineWrapper {
  readonly reads = new Log<string>();
  down = false;
  cut = false;
  gate: Deferred<void> | undefined;
  #listener: EngineListener | undefined;

  override get available(): boolean {
    return !this.down;
  }

  override start(listener: EngineListener): Promise<void> {
    this.#listener = listener;
    return this.inner.start({ ...listener, onPresence: (event) => (this.cut ? undefined : listener.onPresence(event)), onPresenceGap: () => listener.onPresenceGap?.() });
  }

  override async members(topic: string): Promise<PresenceMember[]> {
    this.reads.push(topic);
    if (this.down) throw new HeraldError(ErrorCode.ENGINE_UNAVAILABLE, 'down', { retryable: true });
    const members = await this.inner.members(topic);
    await this.gate?.promise;
    return members;
  }

  back(): void {
    this.cut = false;
    this.#listener?.onPresenceGap?.();
  }
}

const ids = (state: unknown): string[] => (state as { members: { id: string }[] }).members.map((m) => m.id);

describe('presence watches read the engine only when their view is not current', () => {
  it('the first watch of a topic and grouping reads; the next ones take the view, events included; a dropped view is read again', async () => {
    const engine = new Reads();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const [w1, s1] = await watcher(router.url, 'room', { by: 'user' });
    expect(ids(s1)).toEqual(['alice']);
    expect(engine.reads.values).toEqual(['room']);
    await using bob = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    expect(await w1.nextOf('presence_join')).toMatchObject({ member: { id: 'bob' } });
    // The view (per user) is seeded and current: no read, the same members the engine has.
    const [w2, s2] = await watcher(router.url, 'room', { by: 'user' });
    const [count, counted] = await watcher(router.url, 'room', { by: 'user', count: true });
    expect(ids(s2)).toEqual(['alice', 'bob']);
    expect(counted).toMatchObject({ type: 'presence_state', count: 2 });
    expect(engine.reads.values).toEqual(['room']);
    // Another grouping is another view: its first watch reads.
    const [w3, s3] = await watcher(router.url, 'room', { by: 'connection' });
    expect(ids(s3)).toEqual([alice.welcome!.id, bob.welcome!.id]);
    expect(engine.reads.values).toEqual(['room', 'room']);
    // Every watch, however it got its snapshot, is told the next join once.
    await using carol = await RawClient.subscribed(router.url, 'room', { token: 'carol' });
    for (const w of [w1, w2]) expect(await w.nextOf('presence_join')).toMatchObject({ member: { id: 'carol' } });
    expect(await w3.nextOf('presence_join')).toMatchObject({ member: { id: carol.welcome!.id } });
    expect(await count.nextOf('presence_count')).toMatchObject({ count: 3 });
    expect(router.stats().presenceViews).toMatchObject({ views: 2 });
    for (const w of [w1, w2, w3, count]) await w.close();
    await expect.poll(() => router.stats().presenceViews.views).toBe(0);
    // The views went with their last watches: the next watch reads again.
    const [w4, s4] = await watcher(router.url, 'room', { by: 'user' });
    expect(ids(s4)).toEqual(['alice', 'bob', 'carol']);
    expect(engine.reads.values).toEqual(['room', 'room', 'room']);
    await w4.close();
  });

  it('while the engine reports it is away, a watch reads, and fails as the read does; back, it takes the view', async () => {
    const engine = new Reads();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const [w1] = await watcher(router.url, 'room');
    engine.down = true;
    const [w2, refused] = await watcher(router.url, 'room');
    expect(refused).toMatchObject({ type: 'error', id: 1, code: ErrorCode.ENGINE_UNAVAILABLE });
    expect(engine.reads.values).toEqual(['room', 'room']);
    engine.down = false;
    const [w3, s3] = await watcher(router.url, 'room');
    expect(ids(s3)).toEqual(['alice']);
    expect(engine.reads.values).toEqual(['room', 'room']);
    for (const w of [w1, w2, w3]) await w.close();
  });

  it('a watch that starts while a repair waits for its read waits for it, with no read of its own: its snapshot is the repaired members', async () => {
    const engine = new Reads();
    await using router = await startRouter({ engine, authenticate, presenceGraceMs: 0 });
    await using alice = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const [w1] = await watcher(router.url, 'room');
    engine.cut = true;
    await using bob = await RawClient.subscribed(router.url, 'room', { token: 'bob' }); // lost to the router
    engine.gate = deferred();
    engine.back(); // the repair reads (held by the gate)
    await engine.reads.until(2);
    const w2 = await RawClient.welcomed(router.url, { token: 'watcher' });
    w2.send({ type: 'presence_watch', id: 1, topic: 'room' });
    await expect.poll(() => router.stats().presenceWatches).toBe(2); // w2's watch started: it waits for the repair
    expect(w2.queued).toBe(0);
    engine.gate.resolve();
    expect(await w1.nextOf('presence_join')).toMatchObject({ member: { id: 'bob' } });
    expect(ids(await w2.next())).toEqual(['alice', 'bob']);
    expect(await w2.drain()).toStrictEqual([]);
    const [w3, s3] = await watcher(router.url, 'room'); // repaired, current: no read
    expect(ids(s3)).toEqual(['alice', 'bob']);
    expect(engine.reads.values).toHaveLength(2);
    for (const w of [w1, w2, w3]) await w.close();
  });
});
