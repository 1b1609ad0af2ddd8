/**
 * Watching a big topic (issue #12): a snapshot larger than a page comes in pages (`more: true` on
 * all but the last, `count` on each), sent as the watcher reads, so it is never cut as a slow
 * consumer; the client's Presence gathers the pages into the full member list.
 */
import { connect } from '@herald/client';
import { type PresenceStateMsg, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const MEMBERS = 200;
const info = (i: number) => superjsonCodec.encode({ i, bio: 'b'.repeat(4000) });

describe('presence snapshots in pages', () => {
  it('200 members of 4 KB through a 256 KiB outbound limit: every page arrives, nobody is cut', async () => {
    await using router = await startRouter({ maxBufferedBytes: 256 * 1024, maxPayload: 64 * 1024, connectionsPerAddress: false });
    const members: RawClient[] = [];
    for (let i = 0; i < MEMBERS; i++) members.push(await RawClient.subscribed(router.url, 'big', { name: `m${i}`, info: info(i) }));

    await using raw = await RawClient.welcomed(router.url, { name: 'watcher' });
    raw.send({ type: 'presence_watch', id: 1, topic: 'big' });
    const pages: PresenceStateMsg[] = [];
    for (;;) {
      const page = await raw.nextOf('presence_state');
      pages.push(page);
      if (page.more !== true) break;
    }
    expect(pages.length).toBeGreaterThan(10); // about 800 KB in pages of at most 64 KiB
    expect(pages.every((p) => p.id === 1 && p.count === MEMBERS)).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.more === true)).toBe(true);
    expect(pages.flatMap((p) => p.members.map((m) => m.name))).toEqual(Array.from({ length: MEMBERS }, (_, i) => `m${i}`));
    expect(router.stats().slowConsumers).toBe(0);

    await using client = await connect(router.url, { name: 'api' });
    const presence = await client.presence('big');
    expect(presence.count).toBe(MEMBERS);
    expect(presence.members().map((m) => m.name)).toEqual(Array.from({ length: MEMBERS }, (_, i) => `m${i}`));
    expect(presence.members()[7]?.info).toEqual({ i: 7, bio: 'b'.repeat(4000) });
    // Events after the snapshot still arrive, in order, to both.
    await members[0]!.close();
    await expect.poll(() => presence.count).toBe(MEMBERS - 1);
    expect(await raw.nextOf('presence_leave')).toMatchObject({ topic: 'big', member: { name: 'm0' } });
    expect(router.stats().slowConsumers).toBe(0);
    expect(client.state).toBe('open');
    for (const member of members.slice(1)) await member.close();
  });

  it('a small snapshot is one frame, as before pages', async () => {
    await using router = await startRouter();
    await using member = await RawClient.subscribed(router.url, 'small', { name: 'only' });
    await using raw = await RawClient.welcomed(router.url, { name: 'watcher' });
    raw.send({ type: 'presence_watch', id: 1, topic: 'small' });
    expect(await raw.next()).toEqual({ type: 'presence_state', id: 1, topic: 'small', members: [expect.objectContaining({ name: 'only' })] });
  });
});
