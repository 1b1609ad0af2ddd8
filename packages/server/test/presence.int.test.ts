/** Lifecycle events, presence over the wire, and the router's own views (`clients()`, `presence()`). */
import { connect } from '@herald/client';
import { type DefaultSchema, type MemberWire, superjsonCodec } from '@herald/protocol';
import { type Deferred, deferred, disconnectOf, EngineWrapper, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { PresenceMember } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const LOBBY = 'chat.lobby';

/** `router.presence(topic)` and `router.clients()` tell the same members. */
async function expectMembers(router: Router, topic: string, ids: string[]): Promise<void> {
  const members = await router.presence(topic);
  expect(members.map((m) => m.id)).toEqual(ids);
  const subscribed = router.clients().filter((c) => c.subscriptions.includes(topic));
  expect(subscribed.map((c) => c.id).sort()).toEqual([...ids].sort());
  for (const m of members) {
    const client = subscribed.find((c) => c.id === m.id)!;
    expect(m.name).toBe(client.name);
    expect(m.connectedAt).toEqual(client.connectedAt);
    expect(m.info).toEqual(client.info);
  }
}

const wire = (raw: RawClient, info?: string): MemberWire =>
  info === undefined
    ? { id: raw.welcome!.id, name: raw.welcome!.name, connectedAt: expect.any(Number) as number }
    : { id: raw.welcome!.id, name: raw.welcome!.name, info, connectedAt: expect.any(Number) as number };

describe('router events', () => {
  it('tells connect, subscribe, unsubscribe and disconnect in order, unsubscribing what was left', async () => {
    await using router = await startRouter();
    const events: string[] = [];
    router.on('connect', (client) => events.push(`connect ${client.name} [${client.subscriptions.join(',')}]`));
    router.on('subscribe', (client, pattern) => events.push(`subscribe ${client.name} ${pattern}`));
    router.on('unsubscribe', (client, pattern) => events.push(`unsubscribe ${client.name} ${pattern}`));
    router.on('disconnect', (client, detail) => events.push(`disconnect ${client.name} ${detail.code} ${detail.leave}`));
    const gone = disconnectOf(router, 'kirk');

    const client = await connect(router.url, { name: 'kirk' });
    const lobby = await client.subscribe(LOBBY);
    await client.subscribe('chat.*');
    await lobby.unsubscribe();
    expect(router.clients()[0]!.subscriptions).toEqual(['chat.*']);
    await client.close();
    const [info, detail] = await gone;

    expect(events).toEqual([
      'connect kirk []',
      `subscribe kirk ${LOBBY}`,
      'subscribe kirk chat.*',
      `unsubscribe kirk ${LOBBY}`,
      'unsubscribe kirk chat.*',
      'disconnect kirk 1000 closed',
    ]);
    expect(info).toMatchObject({ id: client.id, name: 'kirk', connectedAt: expect.any(Date) });
    expect(info.address).toContain('127.0.0.1');
    expect(detail.leave).toBe('closed');
    expect(router.clients()).toEqual([]);
    expect(await router.presence('chat.*')).toEqual([]);
  });

  it('tells a socket destroyed without a close frame as code 1006, leave dropped', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.subscribed(router.url, LOBBY, { name: 'lost' });
    const gone = disconnectOf(router, 'lost');
    await raw.destroy();
    const [client, detail] = await gone;
    expect(client.id).toBe(raw.welcome!.id);
    expect(detail.code).toBe(1006);
    expect(detail.leave).toBe('dropped');
    expect(await router.presence(LOBBY)).toEqual([]);
  });

  it('tells a connection the router closed for a protocol violation as leave dropped', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.subscribed(router.url, LOBBY, { name: 'rude' });
    const gone = disconnectOf(router, 'rude');
    raw.send({ type: 'hello' });
    const [, detail] = await gone;
    expect(detail.code).toBe(4000);
    expect(detail.leave).toBe('dropped');
  });

  it('tells a connection the router cut for an oversized frame as leave dropped', async () => {
    await using router = await startRouter({ maxPayload: 1024 });
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: LOBBY });
    await watcher.nextOf('presence_state');
    await using big = await RawClient.subscribed(router.url, LOBBY, { name: 'big' });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(big) });
    const gone = disconnectOf(router, 'big');
    big.send({ type: 'publish', id: 2, topic: 'x' }, `{"json":"${'x'.repeat(2000)}"}`);
    expect((await big.closed).code).toBe(1009);
    const [, detail] = await gone;
    expect(detail.leave).toBe('dropped');
    expect(await watcher.next()).toEqual({ type: 'presence_leave', topic: LOBBY, member: wire(big), reason: 'dropped' });
  });

  it('does not tell connect or disconnect for a connection that was never welcomed', async () => {
    await using router = await startRouter();
    const events: string[] = [];
    router.on('connect', (client) => events.push(`connect ${client.name}`));
    router.on('disconnect', (client) => events.push(`disconnect ${client.name}`));
    const unwelcomed = await RawClient.open(router.url);
    await unwelcomed.destroy();
    await using ok = await RawClient.welcomed(router.url, { name: 'ok' });
    const gone = disconnectOf(router, 'ok');
    await ok.close();
    await gone;
    // close() resolves once every socket is gone, so every event that will come has come.
    await router.close();
    expect(events).toEqual(['connect ok', 'disconnect ok']);
  });
});

describe('presence over the wire', () => {
  it('sends the current members, then joins and leaves with their reasons', async () => {
    await using router = await startRouter();
    const captainInfo = { role: 'captain', since: new Date(Date.UTC(2200, 0, 1)), ships: new Map([['ncc', 1701]]) };
    await using a = await RawClient.subscribed(router.url, LOBBY, { name: 'a', info: superjsonCodec.encode(captainInfo) });
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: LOBBY });
    const state = await watcher.next();
    expect(state).toEqual({ type: 'presence_state', id: 1, topic: LOBBY, members: [wire(a, expect.any(String) as string)] });
    const info = state.type === 'presence_state' ? state.members[0]!.info! : '';
    expect(superjsonCodec.decode(info)).toEqual({ ok: true, value: captainInfo });
    await expectMembers(router, LOBBY, [a.welcome!.id]);
    expect((await router.presence(LOBBY))[0]!.info).toEqual(captainInfo);

    await using b = await RawClient.subscribed(router.url, LOBBY, { name: 'b' });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(b) });
    await expectMembers(router, LOBBY, [a.welcome!.id, b.welcome!.id]);

    b.send({ type: 'unsubscribe', id: 2, pattern: LOBBY });
    expect(await b.next()).toEqual({ type: 'unsubscribed', id: 2, pattern: LOBBY });
    expect(await watcher.next()).toEqual({ type: 'presence_leave', topic: LOBBY, member: wire(b), reason: 'unsubscribed' });
    await expectMembers(router, LOBBY, [a.welcome!.id]);

    const c = await RawClient.subscribed(router.url, LOBBY, { name: 'c' });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(c) });
    await expectMembers(router, LOBBY, [a.welcome!.id, c.welcome!.id]);
    await c.close();
    expect(await watcher.next()).toEqual({ type: 'presence_leave', topic: LOBBY, member: wire(c), reason: 'closed' });
    await expectMembers(router, LOBBY, [a.welcome!.id]);

    const d = await RawClient.subscribed(router.url, LOBBY, { name: 'd' });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(d) });
    await d.destroy();
    expect(await watcher.next()).toEqual({ type: 'presence_leave', topic: LOBBY, member: wire(d), reason: 'dropped' });
    await expectMembers(router, LOBBY, [a.welcome!.id]);
    expect(await watcher.drain()).toEqual([]);
  });

  it('shows a json watcher the plain JSON projection of member info', async () => {
    await using router = await startRouter();
    const since = new Date(Date.UTC(2200, 0, 1));
    await using a = await RawClient.subscribed(router.url, LOBBY, { name: 'a', info: superjsonCodec.encode({ since }) });
    await using watcher = await RawClient.welcomed(router.url, { name: 'w' }, { protocols: ['herald.v1.json'] });
    watcher.send({ type: 'presence_watch', id: 1, topic: LOBBY });
    const state = await watcher.nextOf('presence_state');
    expect(state.members.map((m) => [m.id, JSON.parse(m.info ?? 'null') as unknown])).toEqual([[a.welcome!.id, { since: since.toISOString() }]]);
  });

  it('counts a member per exact subscription string: a chat.* subscriber is not in chat.lobby', async () => {
    await using router = await startRouter();
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: LOBBY });
    expect(await watcher.next()).toEqual({ type: 'presence_state', id: 1, topic: LOBBY, members: [] });
    await using wild = await RawClient.subscribed(router.url, 'chat.*', { name: 'wild' });
    await using tail = await RawClient.subscribed(router.url, 'chat.>', { name: 'tail' });
    expect(await watcher.drain()).toEqual([]);
    await expectMembers(router, LOBBY, []);
    await expectMembers(router, 'chat.*', [wild.welcome!.id]);
    await expectMembers(router, 'chat.>', [tail.welcome!.id]);

    watcher.send({ type: 'presence_watch', id: 2, topic: 'chat.*' });
    expect(await watcher.next()).toEqual({ type: 'presence_state', id: 2, topic: 'chat.*', members: [wire(wild)] });
  });

  it('stops sending events after presence_unwatch', async () => {
    await using router = await startRouter();
    await using watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
    watcher.send({ type: 'presence_watch', id: 1, topic: LOBBY });
    await watcher.nextOf('presence_state');
    await using a = await RawClient.subscribed(router.url, LOBBY, { name: 'a' });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(a) });
    watcher.send({ type: 'presence_unwatch', id: 2, topic: LOBBY });
    expect(await watcher.next()).toEqual({ type: 'presence_unwatched', id: 2, topic: LOBBY });
    await using b = await RawClient.subscribed(router.url, LOBBY, { name: 'b' });
    a.send({ type: 'unsubscribe', id: 3, pattern: LOBBY });
    await a.nextOf('unsubscribed');
    await b.destroy();
    expect(await watcher.drain()).toEqual([]);
    await expectMembers(router, LOBBY, []);
  });
});

describe('router.clients()', () => {
  it('shows each client with its info decoded and its subscriptions in order', async () => {
    await using router = await startRouter();
    const info = { since: new Date(Date.UTC(2024, 4, 5)), tags: new Map<string, number>([['a', 1]]), big: 10n, gone: undefined };
    await using rich = await connect(router.url, { name: 'rich', info });
    await using plain = await connect(router.url);
    await rich.subscribe('b.>');
    await rich.subscribe('a.*');
    const [first, second] = router.clients();
    expect(first).toEqual({
      id: rich.id,
      name: 'rich',
      info,
      address: expect.stringContaining('127.0.0.1'),
      connectedAt: expect.any(Date),
      subscriptions: ['b.>', 'a.*'],
    });
    expect((first!.info as typeof info).since).toBeInstanceOf(Date);
    expect((first!.info as typeof info).tags).toBeInstanceOf(Map);
    expect((first!.info as typeof info).big).toBe(10n);
    expect(second).toMatchObject({ id: plain.id, name: plain.id, info: undefined, subscriptions: [] });
    expect(router.clients().map((c) => c.id)).toEqual([rich.id, plain.id]);
  });
});

/**
 * The in-memory engine with `join` and `members` that can be held, like a remote engine's round
 * trip: lets a test act while the router waits on the engine.
 */
class SlowEngine extends EngineWrapper {
  hold: { join?: Deferred<void>; members?: Deferred<void> } = {};
  /** The calls of `join`, each settling once the member is in. */
  readonly joins: Array<Promise<void>> = [];
  readonly #counts = { join: 0, members: 0 };
  #waiters: Array<{ method: 'join' | 'members'; count: number; arrived: Deferred<void> }> = [];

  /** Resolves once `method` has been called `count` times in all. */
  called(method: 'join' | 'members', count = 1): Promise<void> {
    const arrived = deferred();
    this.#waiters.push({ method, count, arrived });
    this.#wake();
    return arrived.promise;
  }

  #note(method: 'join' | 'members'): void {
    this.#counts[method]++;
    this.#wake();
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => (this.#counts[w.method] >= w.count ? (w.arrived.resolve(), false) : true));
  }

  override async join(topic: string, member: PresenceMember): Promise<void> {
    const hold = this.hold.join;
    const done = (async () => {
      await hold?.promise;
      await this.inner.join(topic, member);
    })();
    this.joins.push(done);
    this.#note('join');
    return done;
  }
  override async members(topic: string): Promise<PresenceMember[]> {
    const snapshot = await this.inner.members(topic);
    this.#note('members');
    await this.hold.members?.promise;
    return snapshot;
  }
}

/** Disposes `resources` last first, as `await using` declarations would. */
function disposeAll(...resources: AsyncDisposable[]): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      for (const resource of resources.reverse()) await resource[Symbol.asyncDispose]();
    },
  };
}

/** A router on a SlowEngine and a client `name` whose subscribe to LOBBY (id 1) is held at the engine's `join`. */
async function heldSubscribe(name: string) {
  const engine = new SlowEngine();
  const router = await startRouter({ engine });
  const raw = await RawClient.welcomed(router.url, { name });
  const join = (engine.hold.join = deferred());
  raw.send({ type: 'subscribe', id: 1, pattern: LOBBY });
  await engine.called('join');
  return { engine, router, raw, join, ...disposeAll(router, raw) };
}

/**
 * A router on a SlowEngine, a member `a` of LOBBY, and a `watcher` whose presence_watch requests
 * of LOBBY (one per id) are held at the engine's `members`.
 */
async function heldWatch(ids: readonly number[]) {
  const engine = new SlowEngine();
  const router = await startRouter({ engine });
  const a = await RawClient.subscribed(router.url, LOBBY, { name: 'a' });
  const watcher = await RawClient.welcomed(router.url, { name: 'watcher' });
  const members = (engine.hold.members = deferred());
  for (const id of ids) watcher.send({ type: 'presence_watch', id, topic: LOBBY });
  await engine.called('members');
  return { router, a, watcher, members, ...disposeAll(router, a, watcher) };
}

describe('with an engine that takes its time', () => {
  it('leaves no member behind when the client disconnects while its subscribe is in flight', async () => {
    await using held = await heldSubscribe('ghost');
    const { engine, router, raw } = held;
    const gone = disconnectOf(router, 'ghost');
    await raw.destroy();
    // The router finishes the subscribe before it cleans up, and tells of the disconnect after that.
    held.join.resolve();
    await gone;
    await Promise.all(engine.joins);
    expect(router.clients()).toEqual([]);
    expect(await router.presence(LOBBY)).toEqual([]);
  });

  it('leaves no member behind when the client unsubscribes while its subscribe is in flight', async () => {
    await using held = await heldSubscribe('fickle');
    const { engine, router, raw } = held;
    raw.send({ type: 'unsubscribe', id: 2, pattern: LOBBY });
    // Subscription changes are answered in the order they were sent.
    held.join.resolve();
    expect(await raw.next()).toEqual({ type: 'subscribed', id: 1, pattern: LOBBY, at: expect.any(Number) });
    expect(await raw.next()).toEqual({ type: 'unsubscribed', id: 2, pattern: LOBBY });
    await Promise.all(engine.joins);
    await raw.drain();
    await expectMembers(router, LOBBY, []);
  });

  it('sends the joins and leaves that happen while the snapshot is on its way after it, in order', async () => {
    await using held = await heldWatch([1]);
    const { router, a, watcher } = held;
    await using b = await RawClient.subscribed(router.url, LOBBY, { name: 'b' });
    a.send({ type: 'unsubscribe', id: 2, pattern: LOBBY });
    await a.nextOf('unsubscribed');
    expect(watcher.queued).toBe(0);
    held.members.resolve();
    expect(await watcher.next()).toEqual({ type: 'presence_state', id: 1, topic: LOBBY, members: [wire(a)] });
    expect(await watcher.next()).toEqual({ type: 'presence_join', topic: LOBBY, member: wire(b) });
    expect(await watcher.next()).toEqual({ type: 'presence_leave', topic: LOBBY, member: wire(a), reason: 'unsubscribed' });
    expect(await watcher.drain()).toEqual([]);
  });

  it('answers each of two presence_watch requests for the same topic', async () => {
    await using held = await heldWatch([1, 2]);
    const { a, watcher } = held;
    held.members.resolve();
    const frames = await watcher.drain();
    expect(frames.map((f) => (f.type === 'presence_state' ? [f.id, f.members.map((m) => m.id)] : [f.type]))).toEqual([
      [1, [a.welcome!.id]],
      [2, [a.welcome!.id]],
    ]);
  });
});
