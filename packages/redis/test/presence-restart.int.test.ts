/**
 * Presence across a Redis restart without persistence (real redis-server of the test's own, three
 * routers in this process): the members are gone from Redis until each router writes its own back.
 * A router's repair read waits for the routers alive before the restart to have written theirs
 * back (rejoin-wait.ts), so a watcher on b is told nothing about members of a and c that stayed
 * connected, a leave during the outage once (`dropped`), a join during the wait once. A router that
 * does not write its members back within the lease is taken as gone: its members leave (`dropped`),
 * and join again once it does.
 */
import { type Client, type Member, type Presence, connect } from '@herald/client';
import type { ServerMessage } from '@herald/protocol';
import { type AuthContext, type Identity, type Router, silentLogger } from '@herald/server';
import { Log, RawClient, type RedisServer, deferred, startRedisServer, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, type RedisEngineOptions, redisEngine } from '../src/index.js';
import { availability } from './engine-nodes.js';

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

let redis: RedisServer | undefined;
let routers: Router[] = [];
let raws: RawClient[] = [];
let sdk: Client | undefined;
let release: (() => void) | undefined;

afterEach(async () => {
  release?.();
  await sdk?.close();
  for (const c of raws) await c[Symbol.asyncDispose]();
  await Promise.all(routers.map((r) => r.close()));
  await redis?.[Symbol.asyncDispose]();
  [sdk, raws, routers, redis, release] = [undefined, [], [], undefined, undefined];
});

async function node(name: string, options: RedisEngineOptions = {}): Promise<[Router, RedisEngine]> {
  const engine = redisEngine({ url: redis!.url, prefix: 'restart:', logger: silentLogger, ...options });
  const router = await startRouter({ name, engine, authenticate, presenceGraceMs: 0 });
  routers.push(router);
  return [router, engine];
}

async function member(router: Router, user: string): Promise<RawClient> {
  const c = await RawClient.subscribed(router.url, 'room', { token: user });
  raws.push(c);
  return c;
}

async function watcher(router: Router, by: 'user' | 'connection'): Promise<[RawClient, ServerMessage]> {
  const c = await RawClient.welcomed(router.url, { token: 'watcher' });
  raws.push(c);
  c.send({ type: 'presence_watch', id: 1, topic: 'room', by });
  return [c, await c.nextOf('presence_state')];
}

async function sdkWatcher(router: Router): Promise<{ view: Presence; seen: Log<string> }> {
  sdk = await connect(router.url, { token: 'watcher', reconnect: false });
  const view = await sdk.presence('room');
  const seen = new Log<string>();
  view.on('join', (m: Member) => seen.push(`join ${m.id}`));
  view.on('leave', (m: Member, reason: string) => seen.push(`leave ${m.id} ${reason}`));
  return { view, seen };
}

/** The next `n` presence frames of `c`, as `join id` / `leave id reason`. */
async function told(c: RawClient, n: number): Promise<string[]> {
  const got: string[] = [];
  while (got.length < n) {
    const f = await c.next();
    if (f.type === 'presence_join') got.push(`join ${f.member.id}`);
    else if (f.type === 'presence_leave') got.push(`leave ${f.member.id} ${f.reason}`);
  }
  return got;
}

/** The presence frames `c` was sent and not read yet. */
async function presenceFrames(c: RawClient): Promise<ServerMessage[]> {
  return (await c.drain()).filter((f) => f.type.startsWith('presence_'));
}

/** Every router's lease knows all of them (its last reap saw them alive). */
async function peersKnown(engines: RedisEngine[]): Promise<void> {
  const all = engines.map((e) => e.nodeId).sort();
  for (const engine of engines) await expect.poll(() => [...engine.lease.peers].sort()).toEqual(all);
}

/** Holds `engine`'s writing back of its members after a restart until the returned function is called. */
function holdRejoin(engine: RedisEngine): { release: () => void; held: Log<string> } {
  const gate = deferred();
  const held = new Log<string>();
  const reregister = engine.presence.reregister.bind(engine.presence);
  engine.presence.reregister = async () => {
    held.push('reregister');
    await gate.promise;
    return reregister();
  };
  release = () => gate.resolve();
  return { release, held };
}

describe('presence over Redis across a restart that lost the members', { timeout: 60_000 }, () => {
  it("b's watchers see no leave and join of a's and c's members that stayed; a leave during the outage and a join during the wait are told once", async () => {
    redis = await startRedisServer({ own: true });
    // A lease long enough that only c's rejoin (held below) ends b's wait, never its bound.
    const options = { leaseMs: 60_000 };
    const [a, engineA] = await node('a', options);
    const [b, engineB] = await node('b', options);
    const [c, engineC] = await node('c', options);
    const a1 = await member(a, 'alice');
    await member(a, 'bob');
    await member(c, 'carol');
    const [byUser, state] = await watcher(b, 'user');
    expect(state).toMatchObject({ members: [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }] });
    const [byConnection] = await watcher(b, 'connection');
    const { view, seen } = await sdkWatcher(b);
    expect(view.members().map((m) => m.id)).toEqual(['alice', 'bob', 'carol']);
    await peersKnown([engineA, engineB, engineC]);
    const leftA = new Log<string>();
    a.on('disconnect', (client) => leftA.push(client.id));
    const heldC = holdRejoin(engineC);

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await a1.close(); // its leave waits for Redis (and finds nothing to remove there)
    await leftA.until(1);
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    await heldC.held.until(1); // c is back, its members not written back yet
    expect(engineC.available).toBe(false);
    expect(engineB.rejoins.waiting).toBe(true);
    expect((await redis.command('HLEN', 'restart:pm:room')).trim()).toBe(':1'); // bob only: carol is not in Redis
    const d1 = await member(a, 'dave'); // joins while b waits for c
    // b's watches were told nothing yet: carol, missing from Redis, is not shown leaving.
    for (const w of [byUser, byConnection]) expect(await presenceFrames(w)).toStrictEqual([]);
    expect(seen.values).toStrictEqual([]);

    heldC.release();
    await availability(engineC, true);
    const id = (client: RawClient): string => client.welcome!.id;
    expect(await told(byUser, 2)).toEqual(['join dave', 'leave alice dropped']);
    expect(await told(byConnection, 2)).toEqual([`join ${id(d1)}`, `leave ${id(a1)} dropped`]);
    expect(await seen.until(2)).toEqual(['join dave', 'leave alice dropped']);
    const truth = (await b.presence('room')).map((m) => m.user).sort();
    expect(truth).toEqual(['bob', 'carol', 'dave']);
    expect(view.members().map((m) => m.id).sort()).toEqual(truth);
    // Nothing else, nothing twice: no leave or join of bob or carol on any of b's watches.
    for (const w of [byUser, byConnection]) expect(await presenceFrames(w)).toStrictEqual([]);
    expect(seen.values).toHaveLength(2);
    expect(engineB.rejoins.waiting).toBe(false);
  });

  it('a router that does not write its members back within the lease is taken as gone (its members leave, dropped), and they join once it does', async () => {
    redis = await startRedisServer({ own: true });
    const [, engineA] = await node('a');
    const [b, engineB] = await node('b');
    const [c, engineC] = await node('c');
    await member(c, 'carol');
    const [byUser] = await watcher(b, 'user');
    await peersKnown([engineA, engineB, engineC]);
    const heldC = holdRejoin(engineC);

    const down = Promise.all([engineA, engineB, engineC].map((e) => availability(e, false)));
    await redis.kill();
    await down;
    await redis.restart();
    await Promise.all([availability(engineA, true), availability(engineB, true)]);
    await heldC.held.until(1);
    // b's wait for c ends with the lease (3 s after b found the new master): carol is gone.
    expect(await told(byUser, 1)).toEqual(['leave carol dropped']);
    expect(engineB.rejoins.waiting).toBe(false);
    expect(await b.presence('room')).toEqual([]);

    heldC.release();
    await availability(engineC, true);
    expect(await told(byUser, 1)).toEqual(['join carol']);
    expect((await b.presence('room')).map((m) => m.user)).toEqual(['carol']);
    expect(await presenceFrames(byUser)).toStrictEqual([]);
  });
});
