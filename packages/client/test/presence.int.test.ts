/**
 * Presence views against a real router: snapshots, join and leave (unsubscribed, closed, dropped),
 * change and count, several views, closing a view, patterns as their own presence, and agreement
 * with the router's own view.
 */
import { type Deferred, RawClient, deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type Client, type DefaultSchema, type Presence, connect } from '../src/index.js';

type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

/** Records a view's events as readable lines; `until(n)` resolves once n lines are recorded. */
function record(view: Presence) {
  const lines: string[] = [];
  let waiter: { n: number; reached: Deferred<string[]> } | undefined;
  const push = (line: string): void => {
    lines.push(line);
    if (waiter !== undefined && lines.length >= waiter.n) {
      waiter.reached.resolve(lines);
      waiter = undefined;
    }
  };
  view.on('join', (member) => push(`join ${member.name}`));
  view.on('leave', (member, reason) => push(`leave ${member.name} ${reason}`));
  view.on('change', (members) => push(`change [${members.map((m) => m.name).join(',')}]`));
  view.on('end', () => push('end'));
  return {
    lines,
    until(n: number): Promise<string[]> {
      if (lines.length >= n) return Promise.resolve(lines);
      waiter = { n, reached: deferred() };
      return waiter.reached.promise;
    },
  };
}

/** The view's members agree with `router.presence(topic)` and with the subscriptions `router.clients()` shows. */
async function expectAgreement(view: Presence, router: Router): Promise<void> {
  const members = view.members();
  expect(view.count).toBe(members.length);
  expect(members).toStrictEqual(await router.presence(view.topic));
  const subscribed = router
    .clients()
    .filter((client) => client.subscriptions.includes(view.topic))
    .map((client) => client.id);
  expect(members.map((m) => m.id).sort()).toStrictEqual(subscribed.sort());
}

/** Connects and subscribes to `topic`. */
async function member(router: Router, name: string, topic: string, info?: unknown): Promise<Client> {
  const client = await connect(router.url, info === undefined ? { name } : { name, info });
  await client.subscribe(topic);
  return client;
}

describe('presence', () => {
  it('the snapshot lists the subscribers of exactly that topic, decoded, in join order', async () => {
    await using router = await startRouter();
    await using ada = await member(router, 'ada', 'chat.lobby', { role: 'admin', since: new Date(1_000) });
    await using cy = await member(router, 'cy', 'chat.lobby');
    await using star = await member(router, 'star', 'chat.*');
    await using other = await member(router, 'other', 'chat.other');
    await using bo = await member(router, 'bo', 'chat.lobby', [1n, new Set(['x'])]);
    await using watcher = await connect(router.url, { name: 'watcher' });
    await using view = await watcher.presence('chat.lobby');

    const members = view.members();
    expect(members.map((m) => m.name)).toStrictEqual(['ada', 'cy', 'bo']);
    expect(members.map((m) => m.id)).toStrictEqual([ada.id, cy.id, bo.id]);
    expect(members.map((m) => m.info)).toStrictEqual([{ role: 'admin', since: new Date(1_000) }, undefined, [1n, new Set(['x'])]]);
    const connectedAt = new Map(router.clients().map((c) => [c.id, c.connectedAt.getTime()]));
    for (const m of members) {
      expect(m.connectedAt).toBeInstanceOf(Date);
      expect(m.connectedAt.getTime()).toBe(connectedAt.get(m.id));
    }
    expect(view.count).toBe(3);
    expect(view.isOpen).toBe(true);
    expect(view.topic).toBe('chat.lobby');
    expect(members.map((m) => m.id)).not.toContain(star.id);
    expect(members.map((m) => m.id)).not.toContain(other.id);
    await expectAgreement(view, router);
  });

  it('join, then leave unsubscribed / closed / dropped, each followed by change; count and router agree', async () => {
    await using router = await startRouter();
    await using first = await member(router, 'first', 'room.a');
    await using watcher = await connect(router.url, { name: 'watcher' });
    await using view = await watcher.presence('room.a');
    const events = record(view);
    expect(view.count).toBe(1);

    await using second = await connect(router.url, { name: 'second' });
    const sub = await second.subscribe('room.a');
    expect(await events.until(2)).toStrictEqual(['join second', 'change [first,second]']);
    expect(view.count).toBe(2);
    await expectAgreement(view, router);

    const third = await member(router, 'third', 'room.a');
    await events.until(4);
    const raw = await RawClient.welcomed(router.url, { name: 'raw' });
    raw.send({ type: 'subscribe', id: 1, pattern: 'room.a' });
    expect((await raw.nextOf('subscribed')).pattern).toBe('room.a');
    await events.until(6);
    expect(view.members().map((m) => m.name)).toStrictEqual(['first', 'second', 'third', 'raw']);
    expect(view.count).toBe(4);
    await expectAgreement(view, router);

    await sub.unsubscribe();
    expect(await events.until(8)).toHaveLength(8);
    expect(view.count).toBe(3);
    await expectAgreement(view, router);

    await third.close();
    await events.until(10);
    expect(view.count).toBe(2);
    await expectAgreement(view, router);

    await raw.destroy();
    await events.until(12);
    expect(view.count).toBe(1);
    await expectAgreement(view, router);

    await watcher.ping();
    expect(events.lines).toStrictEqual([
      'join second',
      'change [first,second]',
      'join third',
      'change [first,second,third]',
      'join raw',
      'change [first,second,third,raw]',
      'leave second unsubscribed',
      'change [first,third,raw]',
      'leave third closed',
      'change [first,raw]',
      'leave raw dropped',
      'change [first]',
    ]);
  });

  it('the leave event carries the member as it was known (id, info)', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url);
    await using view = await watcher.presence('room.info');
    const left = deferred<[string, unknown, string]>();
    view.on('leave', (m, reason) => left.resolve([m.id, m.info, reason]));
    const leaving = await member(router, 'leaving', 'room.info', { at: new Date(5) });
    const id = leaving.id;
    await leaving.close();
    expect(await left.promise).toStrictEqual([id, { at: new Date(5) }, 'closed']);
  });

  it('a client that subscribes sees itself join', async () => {
    await using router = await startRouter();
    await using self = await connect(router.url, { name: 'self' });
    await using view = await self.presence('room.self');
    const events = record(view);
    expect(view.count).toBe(0);
    await self.subscribe('room.self');
    expect(await events.until(2)).toStrictEqual(['join self', 'change [self]']);
    expect(view.members().map((m) => m.id)).toStrictEqual([self.id]);
    await expectAgreement(view, router);
  });

  it('two subscriptions of one client to the topic are one member; unsubscribing one does not leave', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url);
    await using view = await watcher.presence('room.twice');
    const events = record(view);
    await using client = await connect(router.url, { name: 'twice' });
    const one = await client.subscribe('room.twice');
    await client.subscribe('room.twice');
    await events.until(2);
    await one.unsubscribe();
    await client.ping();
    await watcher.ping();
    expect(events.lines).toStrictEqual(['join twice', 'change [twice]']);
    await expectAgreement(view, router);
  });

  it('two views on one client both get events; closing one keeps the other live', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url);
    const a = await watcher.presence('room.views');
    await using b = await watcher.presence('room.views');
    const eventsA = record(a);
    const eventsB = record(b);

    await using x = await member(router, 'x', 'room.views');
    expect(await eventsA.until(2)).toStrictEqual(['join x', 'change [x]']);
    expect(await eventsB.until(2)).toStrictEqual(['join x', 'change [x]']);

    await a.close();
    expect(a.isOpen).toBe(false);
    expect(eventsA.lines.at(-1)).toBe('end');
    await using y = await member(router, 'y', 'room.views');
    expect(await eventsB.until(4)).toStrictEqual(['join x', 'change [x]', 'join y', 'change [x,y]']);
    await watcher.ping();
    expect(eventsA.lines).toStrictEqual(['join x', 'change [x]', 'end']);
    expect(a.count).toBe(1); // frozen at close
    expect(b.count).toBe(2);
    await expectAgreement(b, router);
  });

  it('close() on the only view stops its events; a new view starts from a fresh snapshot', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url);
    await using other = await connect(router.url);
    const view = await watcher.presence('room.stop');
    const events = record(view);
    await view.close();
    await view.close();
    expect(events.lines).toStrictEqual(['end']);

    const otherView = await other.presence('room.stop');
    const otherEvents = record(otherView);
    await using z = await member(router, 'z', 'room.stop');
    await otherEvents.until(2);
    await watcher.ping();
    expect(events.lines).toStrictEqual(['end']);
    expect(view.count).toBe(0);

    await using again = await watcher.presence('room.stop');
    expect(again.members().map((m) => m.id)).toStrictEqual([z.id]);
    await otherView.close();
  });

  it('a join the router sends right behind the snapshot keeps join order', async () => {
    await using router = await startRouter();
    await using a = await member(router, 'a', 'room.race');
    await using b = await member(router, 'b', 'room.race');
    await using w = await connect(router.url, { name: 'w' });
    // Watch and subscribe at once: the router answers with the snapshot [a, b], then the join of w.
    const watching = w.presence('room.race');
    const subscribing = w.subscribe('room.race');
    await using view = await watching;
    await subscribing;
    await w.ping();
    expect(view.members().map((m) => m.name)).toStrictEqual(['a', 'b', 'w']);
    await expectAgreement(view, router);
  });

  it('a leave the router sends right behind the snapshot removes the member (no ghost)', async () => {
    await using router = await startRouter();
    await using a = await member(router, 'a', 'room.ghost');
    await using w = await connect(router.url, { name: 'w' });
    const sub = await w.subscribe('room.ghost');
    // Watch and unsubscribe at once: the router answers with the snapshot [a, w], then the leave of w.
    const watching = w.presence('room.ghost');
    const leaving = sub.unsubscribe();
    await using view = await watching;
    await leaving;
    await w.ping();
    expect((await router.presence('room.ghost')).map((m) => m.name)).toStrictEqual(['a']);
    expect(view.members().map((m) => m.name)).toStrictEqual(['a']);
    expect(view.count).toBe(1);
  });

  it('the presence of a pattern string (chat.*) is separate from chat.lobby', async () => {
    await using router = await startRouter();
    await using watcher = await connect(router.url);
    await using patternView = await watcher.presence('chat.*');
    await using lobbyView = await watcher.presence('chat.lobby');
    const patternEvents = record(patternView);
    const lobbyEvents = record(lobbyView);

    await using inLobby = await member(router, 'inLobby', 'chat.lobby');
    await lobbyEvents.until(2);
    await using wild = await member(router, 'wild', 'chat.*');
    await patternEvents.until(2);
    await watcher.ping();

    expect(patternEvents.lines).toStrictEqual(['join wild', 'change [wild]']);
    expect(lobbyEvents.lines).toStrictEqual(['join inLobby', 'change [inLobby]']);
    expect(patternView.members().map((m) => m.id)).toStrictEqual([wild.id]);
    expect(lobbyView.members().map((m) => m.id)).toStrictEqual([inLobby.id]);
    await expectAgreement(patternView, router);
    await expectAgreement(lobbyView, router);
  });
});
