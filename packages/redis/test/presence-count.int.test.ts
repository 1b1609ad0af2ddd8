/**
 * Count-only presence watches over Redis (issue #12): a count watch on one router counts the
 * members of every router (the engine's presence, as `router.presenceCount` does), and follows
 * joins and leaves made on the others; no member list crosses the wire. Three router processes on
 * one real redis-server (they run the built packages: `pnpm build` first; `pnpm test` does).
 */
import { RawClient } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { clusterFixture } from './cluster-fixture.js';

const { threeNodes, client } = await clusterFixture('presence-count');

async function member(url: string, name: string): Promise<RawClient> {
  return RawClient.subscribed(url, 'lobby', { name });
}

describe('count-only presence watch over Redis', { timeout: 60_000 }, () => {
  it('counts the members of every router and follows their joins and leaves', async () => {
    const [n1, n2, n3] = await threeNodes();
    await using m1 = await member(n2.url, 'm1');
    await using m2 = await member(n3.url, 'm2');
    const watcher = await client(n1, 'watcher');
    watcher.send({ type: 'presence_watch', id: 1, topic: 'lobby', count: true });
    expect(await watcher.next()).toStrictEqual({ type: 'presence_state', id: 1, topic: 'lobby', members: [], count: 2 });
    await using m3 = await member(n3.url, 'm3');
    expect(await watcher.next()).toStrictEqual({ type: 'presence_count', topic: 'lobby', count: 3 });
    // Later changes are coalesced (at most one frame per second by default): one frame with the
    // latest count, or two if the leaves straddle the interval on a slow machine.
    await m1.close();
    await m2.close();
    const counts: number[] = [];
    while (counts.at(-1) !== 1) {
      const frame = await watcher.nextOf('presence_count');
      expect(frame.topic).toBe('lobby');
      counts.push(frame.count);
    }
    expect([[1], [2, 1]]).toContainEqual(counts);
    expect(await watcher.drain()).toStrictEqual([]);
  });
});
