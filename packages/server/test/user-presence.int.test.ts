/**
 * Presence per user (the default with `authenticate`): several connections of a user are one
 * member, which leaves `presenceGraceMs` after its last connection went, so a reload does not flap
 * leave/join; `by: 'connection'` still lists connections. Grace timers are faked.
 */
import { Log, RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext, Identity } from '../src/index.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

afterEach(() => {
  vi.useRealTimers();
});

async function watcher(url: string, topic: string, by?: string): Promise<RawClient> {
  const client = await RawClient.welcomed(url, { token: 'watcher' });
  client.send({ type: 'presence_watch', id: 1, topic, ...(by !== undefined && { by }) });
  expect(await client.next()).toMatchObject({ type: 'presence_state', id: 1 });
  return client;
}

describe('presence per user', () => {
  it('tabs of one user are one member: it joins with the first and leaves after the grace that follows the last', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: 3000 });
    const subscribes = new Log<string>();
    router.on('subscribe', (client) => subscribes.push(client.id));
    await using watch = await watcher(router.url, 'room');
    const tab1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    const join = await watch.next();
    expect(join).toMatchObject({ type: 'presence_join', topic: 'room', member: { id: 'alice', user: 'alice', name: 'alice', connections: [tab1.welcome!.id] } });
    const tab2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await subscribes.until(2);
    await tab1.close();
    await tab2.close();
    await vi.advanceTimersByTimeAsync(2999);
    expect(await watch.drain()).toStrictEqual([]); // one join, no leave yet
    await vi.advanceTimersByTimeAsync(1);
    expect(await watch.next()).toMatchObject({ type: 'presence_leave', member: { id: 'alice', user: 'alice' }, reason: 'closed' });
  });

  it('a reload within the grace: no leave, no join', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter({ authenticate, presenceGraceMs: 3000 });
    await using watch = await watcher(router.url, 'room');
    const before = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    expect(await watch.next()).toMatchObject({ type: 'presence_join', member: { id: 'bob' } });
    await before.destroy();
    await vi.advanceTimersByTimeAsync(1000);
    await using after = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await watch.drain()).toStrictEqual([]);
    // a new watcher's snapshot has bob once, with his new connection
    await using late = await RawClient.welcomed(router.url, { token: 'late' });
    late.send({ type: 'presence_watch', id: 1, topic: 'room' });
    expect(await late.next()).toMatchObject({ type: 'presence_state', members: [{ id: 'bob', user: 'bob', connections: [after.welcome!.id] }] });
  });

  it('by: "connection" lists each connection and leaves at once', async () => {
    await using router = await startRouter({ authenticate });
    await using watch = await watcher(router.url, 'room', 'connection');
    const tab1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using tab2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    expect(await watch.next()).toMatchObject({ type: 'presence_join', member: { id: tab1.welcome!.id, user: 'alice' } });
    expect(await watch.next()).toMatchObject({ type: 'presence_join', member: { id: tab2.welcome!.id, user: 'alice' } });
    await tab1.close();
    expect(await watch.next()).toMatchObject({ type: 'presence_leave', member: { id: tab1.welcome!.id }, reason: 'closed' });
  });

  it('a watch asking for something else is refused with PROTOCOL_INVALID_MESSAGE', async () => {
    await using router = await startRouter({ authenticate });
    await using client = await RawClient.welcomed(router.url, { token: 'x' });
    client.send({ type: 'presence_watch', id: 1, topic: 'room', by: 'team' });
    expect(await client.next()).toMatchObject({ type: 'error', id: 1, code: 'PROTOCOL_INVALID_MESSAGE' });
  });

  it('without authenticate, by: "user" groups nothing: each connection is its own member', async () => {
    await using router = await startRouter({ presenceGraceMs: 0 });
    await using watch = await RawClient.welcomed(router.url);
    watch.send({ type: 'presence_watch', id: 1, topic: 'room', by: 'user' });
    await watch.next();
    const a = await RawClient.subscribed(router.url, 'room');
    expect(await watch.next()).toMatchObject({ type: 'presence_join', member: { id: a.welcome!.id, connections: [a.welcome!.id] } });
    await a.close();
    expect(await watch.next()).toMatchObject({ type: 'presence_leave', member: { id: a.welcome!.id } });
  });
});
