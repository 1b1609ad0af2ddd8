/**
 * A repeated subscribe to the same pattern is confirmed without change: its `subscribed.at` is the
 * first one's, the time a later `since` must count from (PROTOCOL.md §6 `subscribe`; issue 11).
 */
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

describe('repeated subscribe', () => {
  it('answers with the first subscription’s at until an unsubscribe, then with a new one', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_001_000);
    raw.send({ type: 'subscribe', id: 1, pattern: 'room.*' });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 1, pattern: 'room.*', at: 1_800_000_001_000 });
    vi.setSystemTime(1_800_000_005_000);
    raw.send({ type: 'subscribe', id: 2, pattern: 'room.*' });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 2, pattern: 'room.*', at: 1_800_000_001_000 });
    raw.send({ type: 'subscribe', id: 3, pattern: 'room.a' });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 3, pattern: 'room.a', at: 1_800_000_005_000 });
    raw.send({ type: 'unsubscribe', id: 4, pattern: 'room.*' });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 4, pattern: 'room.*' });
    vi.setSystemTime(1_800_000_009_000);
    raw.send({ type: 'subscribe', id: 5, pattern: 'room.*' });
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 5, pattern: 'room.*', at: 1_800_000_009_000 });
    expect(router.clients()[0]!.subscriptions).toEqual(['room.a', 'room.*']);
  });

  it('recovering with since = that first at replays what was published between the two subscribes', async () => {
    await using router = await startRouter();
    await using first = await RawClient.welcomed(router.url);
    await using pub = await RawClient.welcomed(router.url);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_001_000);
    first.send({ type: 'subscribe', id: 1, pattern: 'room.*' });
    const { at } = (await first.nextOf('subscribed')) as { at: number };
    vi.setSystemTime(1_800_000_002_000);
    pub.send({ type: 'publish', id: 1, topic: 'room.b' }, '{"json":"between"}');
    await pub.nextOf('publish_ack');
    vi.setSystemTime(1_800_000_003_000);
    first.send({ type: 'subscribe', id: 2, pattern: 'room.*' });
    expect(await first.nextOf('subscribed')).toMatchObject({ id: 2, at });
    // The client comes back without having tracked a position for room.b: `since` alone covers it.
    await using again = await RawClient.welcomed(router.url);
    again.send({ type: 'subscribe', id: 7, pattern: 'room.*', positions: [], since: at });
    expect(await again.next()).toMatchObject({ type: 'message', topic: 'room.b', replay: 7, at: 1_800_000_002_000, payload: '{"json":"between"}' });
    expect(await again.next()).toMatchObject({ type: 'subscribed', id: 7, recovered: true });
  });
});
