/**
 * Count-only presence watches (issue #12: "counts are available without the member list, so no
 * watcher is cut for watching"): `presence_watch` with `count: true` gets `presence_state` with
 * `count` and no members, then `presence_count` as the count changes, coalesced to at most one
 * frame per watch per `presenceCountIntervalMs` (the first change at once). Timers are faked
 * where the coalescing is under test.
 */
import { ErrorCode, type ServerMessage, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity, Permissions } from '../src/index.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

afterEach(() => {
  vi.useRealTimers();
});

async function countWatcher(url: string, topic: string, extra: Record<string, unknown> = {}, hello: Record<string, unknown> = { token: 'watcher' }): Promise<[RawClient, ServerMessage]> {
  const client = await RawClient.welcomed(url, hello);
  client.send({ type: 'presence_watch', id: 1, topic, count: true, ...extra });
  return [client, await client.next()];
}

describe('count-only presence watch', () => {
  it('by user: tabs of one user count once; joins and leaves update the count; no member is ever sent', async () => {
    await using router = await startRouter({ authenticate, presenceGraceMs: 0, presenceCountIntervalMs: 0 });
    await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice', info: superjsonCodec.encode({ secret: 1 }) });
    await using a2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using b = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    const [watch, state] = await countWatcher(router.url, 'room');
    expect(state).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [], count: 2 });

    await using c = await RawClient.subscribed(router.url, 'room', { token: 'carol' });
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 3 });
    await using a3 = await RawClient.subscribed(router.url, 'room', { token: 'alice' }); // a third tab: same user
    await a1.close();
    await a2.close();
    expect(await watch.drain()).toStrictEqual([]); // alice still has a tab
    await b.close();
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 2 });
    await a3.close();
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 1 });
    expect(await watch.drain()).toStrictEqual([]);
    await watch.close();
  });

  it('by connection: every connection counts; unwatch ends the updates', async () => {
    await using router = await startRouter({ authenticate, presenceCountIntervalMs: 0 });
    await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using a2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const [watch, state] = await countWatcher(router.url, 'room', { by: 'connection' });
    expect(state).toStrictEqual({ type: 'presence_state', id: 1, topic: 'room', members: [], count: 2 });
    await a1.close();
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'room', count: 1 });
    watch.send({ type: 'presence_unwatch', id: 2, topic: 'room' });
    expect(await watch.next()).toStrictEqual({ type: 'presence_unwatched', id: 2, topic: 'room' });
    await a2.close();
    await using b = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    expect(await watch.drain()).toStrictEqual([]);
    await watch.close();
  });

  it('a pattern counts the clients subscribed to exactly that pattern; a member watch of the topic replaces the count watch', async () => {
    await using router = await startRouter({ presenceCountIntervalMs: 0 });
    await using star = await RawClient.subscribed(router.url, 'chat.*', { name: 'star' });
    await using lobby = await RawClient.subscribed(router.url, 'chat.lobby', { name: 'lobby' });
    const [watch, state] = await countWatcher(router.url, 'chat.*', {}, { name: 'w' });
    expect(state).toMatchObject({ type: 'presence_state', members: [], count: 1 });
    await using star2 = await RawClient.subscribed(router.url, 'chat.*', { name: 'star2' });
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'chat.*', count: 2 });
    watch.send({ type: 'presence_watch', id: 2, topic: 'chat.*' });
    expect(await watch.next()).toMatchObject({ type: 'presence_state', id: 2, members: [{ name: 'star' }, { name: 'star2' }] });
    await star2.close();
    expect(await watch.next()).toMatchObject({ type: 'presence_leave', member: { name: 'star2' } });
    expect(await watch.drain()).toStrictEqual([]); // no presence_count from the replaced watch
    await watch.close();
  });

  it('needs the watch permission like a member watch', async () => {
    const permissions: Permissions = { allow: { 'public.>': ['*'] } };
    await using router = await startRouter({ authenticate: ({ token }) => ({ user: token ?? 'x', permissions }) });
    const [watch, reply] = await countWatcher(router.url, 'private.room');
    expect(reply).toMatchObject({ type: 'error', id: 1, code: ErrorCode.PERMISSION_DENIED, operation: 'watch', subject: 'private.room' });
    await watch.close();
  });

  it('a topic whose member list is over the slow-consumer limit: the count watcher gets one small frame and is not cut', async () => {
    await using router = await startRouter({ maxBufferedBytes: 64 * 1024, maxPayload: 16 * 1024, connectionsPerAddress: false });
    const members: RawClient[] = [];
    const info = (i: number) => superjsonCodec.encode({ i, bio: 'b'.repeat(4000) });
    for (let i = 0; i < 100; i++) members.push(await RawClient.subscribed(router.url, 'big', { name: `m${i}`, info: info(i) }));
    const [watch, state] = await countWatcher(router.url, 'big', {}, { name: 'w' });
    expect(state).toStrictEqual({ type: 'presence_state', id: 1, topic: 'big', members: [], count: 100 });
    expect(await watch.drain()).toStrictEqual([]);
    expect(router.stats().slowConsumers).toBe(0);
    for (const member of members) await member.close();
    await watch.close();
  });

  it('heavy churn is coalesced: the first change at once, then at most one frame per presenceCountIntervalMs with the latest count', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ presenceCountIntervalMs: 1000, connectionsPerAddress: false });
    const [watch] = await countWatcher(router.url, 'busy', {}, { name: 'w' });
    const members: RawClient[] = [];
    for (let i = 0; i < 50; i++) members.push(await RawClient.subscribed(router.url, 'busy', { name: `m${i}` }));
    for (const member of members.slice(0, 20)) await member.close();
    // 70 changes so far: one frame (the first), the rest wait for the interval.
    expect(await watch.drain()).toStrictEqual([{ type: 'presence_count', topic: 'busy', count: 1 }]);
    await vi.advanceTimersByTimeAsync(999);
    expect(await watch.drain()).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await watch.drain()).toStrictEqual([{ type: 'presence_count', topic: 'busy', count: 30 }]);
    // Changes that come back to the count sent make no frame.
    const extra = await RawClient.subscribed(router.url, 'busy', { name: 'extra' });
    await extra.close();
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await watch.drain()).toStrictEqual([]);
    // Quiet: the next change goes at once again.
    await members[20]!.close();
    expect(await watch.next()).toStrictEqual({ type: 'presence_count', topic: 'busy', count: 29 });
    for (const member of members.slice(21)) await member.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await watch.drain()).toStrictEqual([{ type: 'presence_count', topic: 'busy', count: 0 }]);
    await watch.close();
  });
});
