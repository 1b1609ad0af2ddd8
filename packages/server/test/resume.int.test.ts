/**
 * Session resumption (`hello.resume`, issue 13): a client that brings back the resume token of its
 * welcome keeps its id, on this router or on any router sharing `resumeSecret`; a token that does not
 * verify (forged, another router's, garbage) starts a new session; the id of a live connection can
 * only be taken with its token, and the stale connection is closed 4003 before the new one goes on.
 */
import { HeraldError, type ServerMessage } from '@herald/protocol';
import { Log, RawClient, expectError, rejection, startRouter } from '@herald/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientInfo, DisconnectDetail } from '../src/index.js';

const SECRET = 'a shared secret of the cluster, 32+';

type Welcome = Extract<ServerMessage, { type: 'welcome' }>;
const welcomeOf = (client: RawClient): Welcome => client.welcome!;

describe('hello.resume', () => {
  it('welcome carries a resume token; bringing it back after a drop keeps the id and the name default', async () => {
    await using router = await startRouter();
    const first = await RawClient.welcomed(router.url);
    const { id, resume } = welcomeOf(first);
    expect(resume).toMatch(new RegExp(`^${id}\\.[A-Za-z0-9_-]{43}$`));
    const disconnects = new Log<[ClientInfo, DisconnectDetail]>();
    router.on('disconnect', (client, detail) => disconnects.push([client, detail]));
    await first.destroy();
    await disconnects.until(1);

    await using again = await RawClient.welcomed(router.url, { resume });
    expect(welcomeOf(again)).toMatchObject({ id, name: id });
    expect(welcomeOf(again).resume).toBe(resume);
    expect(router.clients().map((c) => c.id)).toEqual([id]);
  });

  it('resumes on another router that shares resumeSecret, not on one that does not', async () => {
    await using a = await startRouter({ resumeSecret: SECRET });
    await using b = await startRouter({ resumeSecret: SECRET });
    await using stranger = await startRouter();
    await using onA = await RawClient.welcomed(a.url, { name: 'Kirk' });
    const { id, resume } = welcomeOf(onA);
    await using onB = await RawClient.welcomed(b.url, { name: 'Kirk', resume });
    expect(welcomeOf(onB).id).toBe(id);
    await using onStranger = await RawClient.welcomed(stranger.url, { name: 'Kirk', resume });
    expect(welcomeOf(onStranger).id).not.toBe(id);
  });

  it('a forged, altered or malformed token starts a new session (no error), and never yields the named id', async () => {
    await using router = await startRouter({ resumeSecret: SECRET });
    await using victim = await RawClient.subscribed(router.url, 'bridge', { name: 'victim' });
    const { id, resume } = welcomeOf(victim);
    const mac = resume!.slice(id.length + 1);
    const tries = [
      id, // the id alone
      `${id}.`, // no MAC
      `${id}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, // one character altered
      `${id}x.${mac}`, // the MAC of another id
      `${id}.${mac}${mac}`, // too long
      `.${mac}`,
      'garbage',
    ];
    for (const token of tries) {
      await using attacker = await RawClient.welcomed(router.url, { name: 'attacker', resume: token });
      expect(welcomeOf(attacker).id).not.toBe(id);
    }
    // The victim kept its connection, its subscription and its presence throughout.
    expect(await victim.drain()).toEqual([]);
    expect(router.clients().find((c) => c.id === id)?.subscriptions).toEqual(['bridge']);
    expect((await router.presence('bridge')).map((m) => m.id)).toEqual([id]);
  });

  it('property: no token but the issued one resumes an id', async () => {
    await using router = await startRouter({ resumeSecret: SECRET });
    await using victim = await RawClient.welcomed(router.url);
    const { id } = welcomeOf(victim);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 50 }), async (mac) => {
        await using attacker = await RawClient.welcomed(router.url, { resume: `${id}.${mac}` });
        expect(welcomeOf(attacker).id).not.toBe(id);
      }),
      { numRuns: 40 },
    );
  });

  it('takes over a live connection of its own session: the stale one is closed 4003 SESSION_RESUMED and cleaned up first', async () => {
    await using router = await startRouter();
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: 'bridge' });
    expect(await watcher.nextOf('presence_state')).toMatchObject({ members: [] });
    await using stale = await RawClient.subscribed(router.url, 'bridge', { name: 'Kirk' });
    const { id, resume } = welcomeOf(stale);
    expect(await watcher.next()).toMatchObject({ type: 'presence_join', member: { id } });

    await using fresh = await RawClient.welcomed(router.url, { name: 'Kirk', resume });
    expect(welcomeOf(fresh).id).toBe(id);
    expect(await stale.closed).toEqual({ code: 4003, reason: expect.stringMatching(/^SESSION_RESUMED: /) });
    // The stale connection's leave came before the welcome; the new one subscribes under the same id.
    expect(await watcher.next()).toMatchObject({ type: 'presence_leave', member: { id }, reason: 'dropped' });
    fresh.send({ type: 'subscribe', id: 1, pattern: 'bridge' });
    expect(await fresh.nextOf('subscribed')).toMatchObject({ id: 1, pattern: 'bridge' });
    expect(await watcher.next()).toMatchObject({ type: 'presence_join', member: { id } });
    expect(router.clients().map((c) => [c.id, c.subscriptions])).toEqual([
      [welcomeOf(watcher).id, []],
      [id, ['bridge']],
    ]);
    // Deliveries to that id reach the new connection, once.
    await router.publish('bridge', 'hail');
    expect(await fresh.nextOf('message')).toMatchObject({ topic: 'bridge' });
    expect(await fresh.drain()).toEqual([]);
  });

  it('refuses a resumeSecret shorter than 16 bytes', async () => {
    expectError(await rejection(startRouter({ resumeSecret: 'short' })), HeraldError, 'OPTION_INVALID');
  });
});
