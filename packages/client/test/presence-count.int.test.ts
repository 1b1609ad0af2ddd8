/**
 * Count-only presence views (`client.presence(topic, { countOnly: true })`, issue #12) against a
 * real router: the count from the snapshot, `change` events as it changes, no member list; tabs of one user
 * count once; a member view of the same topic takes the watch over without the count view losing
 * its count; the count comes back right after a reconnect.
 */
import { Log, RawClient, reachState, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../src/index.js';

const authenticate = ({ token }: { token?: string | undefined }) => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*' as const] } } });

afterEach(() => {
  vi.useRealTimers();
});

describe('count-only presence views', () => {
  it('has the count and count events, never members; several tabs of one user count once', async () => {
    await using router = await startRouter({ authenticate, presenceGraceMs: 0, presenceCountIntervalMs: 0 });
    await using a1 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using a2 = await RawClient.subscribed(router.url, 'room', { token: 'alice' });
    await using client = await connect(router.url, { token: 'watcher' });
    const view = await client.presence('room', { countOnly: true });
    expect(view.count).toBe(1);
    expect(view.members()).toStrictEqual([]);
    const counts = new Log<number>();
    const others = new Log<string>();
    view.on('change', (members) => counts.push(members.length === 0 ? view.count : -1));
    view.on('join', () => others.push('join'));
    view.on('leave', () => others.push('leave'));
    await using b = await RawClient.subscribed(router.url, 'room', { token: 'bob' });
    expect(await counts.until(1)).toStrictEqual([2]);
    await a1.close();
    await a2.close();
    expect(await counts.until(2)).toStrictEqual([2, 1]);
    expect(view.count).toBe(1);
    expect(view.members()).toStrictEqual([]);
    expect(others.values).toStrictEqual([]);
    await view.close();
    expect(view.isOpen).toBe(false);
  });

  it('a member view of the same topic takes the watch over; the count view keeps counting', async () => {
    await using router = await startRouter({ presenceCountIntervalMs: 0 });
    await using m1 = await RawClient.subscribed(router.url, 'room', { name: 'm1' });
    await using client = await connect(router.url, { name: 'watcher' });
    const counting = await client.presence('room', { countOnly: true });
    const counts = new Log<number>();
    const full = await client.presence('room');
    expect(full.members().map((m) => m.name)).toStrictEqual(['m1']);
    expect(counting.count).toBe(1);
    counting.on('change', () => counts.push(counting.count));
    await using m2 = await RawClient.subscribed(router.url, 'room', { name: 'm2' });
    expect(await counts.until(1)).toStrictEqual([2]);
    expect(full.count).toBe(2);
    // The views share the member watch now: the count view has the members too.
    expect(counting.members().map((m) => m.name)).toStrictEqual(['m1', 'm2']);
    await full.close();
    await counting.close();
    expect(router.stats().presenceWatches).toBe(0);
  });

  it('after a reconnect the count view is watched again and has the count of then', async () => {
    await using router = await startRouter({ presenceCountIntervalMs: 0 });
    await using m1 = await RawClient.subscribed(router.url, 'room', { name: 'm1' });
    await using client = await connect(router.url, { name: 'watcher', random: () => 1, reconnect: { minDelayMs: 1000 } });
    const view = await client.presence('room', { countOnly: true });
    const counts = new Log<number>();
    view.on('change', () => counts.push(view.count));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the reconnect waits for us
    router.disconnect(client.id, { terminate: true });
    await reachState(client, 'reconnecting');
    await using m2 = await RawClient.subscribed(router.url, 'room', { name: 'm2' });
    await using m3 = await RawClient.subscribed(router.url, 'room', { name: 'm3' });
    expect(counts.values).toStrictEqual([]);
    const open = reachState(client, 'open');
    await vi.advanceTimersByTimeAsync(1000);
    await open;
    expect(await counts.until(1)).toStrictEqual([3]);
    expect(view.count).toBe(3);
  });
});
