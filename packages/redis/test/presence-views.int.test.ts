/**
 * Presence views over Redis: the watches by user of a topic on one router share one view, fed once
 * by the cluster's presence events; every watcher sees the same user-level events, members of other
 * routers included, and a watch that starts while a user is in its leave grace lists that user.
 * Two routers in this process over one real redis-server.
 */
import type { ServerMessage } from '@herald/protocol';
import { type AuthContext, type Identity, type Router, silentLogger } from '@herald/server';
import { RawClient, startRedisServer, startRouter } from '@herald/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/index.js';

const redis = await startRedisServer();
afterAll(() => redis[Symbol.asyncDispose]());

const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

let cluster = 0;
let routers: Router[] = [];
let engines: RedisEngine[] = [];
const clients: RawClient[] = [];

/** Two routers sharing one prefix (a fresh cluster per test); a long grace, never waited for. */
async function twoRouters(): Promise<[Router, Router]> {
  const prefix = `views${++cluster}:`;
  engines = ['a', 'b'].map(() => redisEngine({ url: redis.url, prefix, logger: silentLogger }));
  routers = await Promise.all(['a', 'b'].map((name, i) => startRouter({ name, engine: engines[i]!, authenticate, presenceGraceMs: 600_000 })));
  return routers as [Router, Router];
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c[Symbol.asyncDispose]();
  await Promise.all(routers.map((r) => r.close()));
  routers = [];
});

async function member(router: Router, user: string): Promise<RawClient> {
  const c = await RawClient.subscribed(router.url, 'room', { token: user });
  clients.push(c);
  return c;
}

async function watcher(router: Router): Promise<[RawClient, ServerMessage]> {
  const c = await RawClient.welcomed(router.url, { token: 'watcher' });
  clients.push(c);
  c.send({ type: 'presence_watch', id: 1, topic: 'room' });
  return [c, await c.nextOf('presence_state')];
}

/** Resolves when `engine` is available again after a loss. */
function availableAgain(engine: RedisEngine): Promise<void> {
  return new Promise((resolve) => {
    const off = engine.on('available', (available) => {
      if (available) (off(), resolve());
    });
  });
}

describe('presence views over Redis', { timeout: 60_000 }, () => {
  it('three watchers on one router share one view of the members of another; each sees the same events', async () => {
    const [a, b] = await twoRouters();
    const alice1 = await member(b, 'alice');
    const watchers: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const [w, state] = await watcher(a);
      expect(state).toMatchObject({ members: [{ id: 'alice', connections: [alice1.welcome!.id] }] });
      watchers.push(w);
    }
    const alice2 = await member(b, 'alice');
    const bob = await member(b, 'bob');
    const seen = await Promise.all(watchers.map((w) => w.nextOf('presence_join')));
    for (const join of seen) expect(join).toMatchObject({ member: { id: 'bob', connections: [bob.welcome!.id] } });
    expect(a.stats().presenceViews).toStrictEqual({ views: 1, members: 2, connections: 3, graceTimers: 0 });
    await alice1.close();
    await alice2.close();
    await expect.poll(() => a.stats().presenceViews.graceTimers).toBe(1);
    // alice is in her grace on router a: a new watch lists her, as the other three still do.
    const [late, state] = await watcher(a);
    expect(state).toMatchObject({ members: [{ id: 'alice', connections: [] }, { id: 'bob' }] });
    // She comes back on the other router within the grace: nobody is told anything.
    const alice3 = await member(b, 'alice');
    await expect.poll(() => a.stats().presenceViews).toStrictEqual({ views: 1, members: 2, connections: 2, graceTimers: 0 });
    for (const w of [...watchers, late]) expect(await w.drain()).toStrictEqual([]);
    await bob.close();
    await alice3.close();
    // Each watcher: the same events, in the same order (bob's leave waits for the grace; none here).
    for (const w of [...watchers, late]) expect(await w.drain()).toStrictEqual([]);
    await expect.poll(() => a.stats().presenceViews.graceTimers).toBe(2);
    for (const w of [...watchers, late]) await w.close();
    await expect.poll(() => a.stats().presenceViews).toStrictEqual({ views: 0, members: 0, connections: 0, graceTimers: 0 });
  });

  it('after its Pub/Sub connection was away (presence events may be lost), the view is repaired and new watches share it', async () => {
    const [a, b] = await twoRouters();
    const [old] = await watcher(a);
    const back = availableAgain(engines[0]!);
    engines[0]!.reconnectSub();
    await back;
    const alice = await member(b, 'alice');
    expect(await old.nextOf('presence_join')).toMatchObject({ member: { id: 'alice' } });
    const [fresh, state] = await watcher(a);
    expect(state).toMatchObject({ members: [{ id: 'alice', connections: [alice.welcome!.id] }] });
    expect(a.stats().presenceViews).toMatchObject({ views: 1, members: 1 });
    const bob = await member(b, 'bob');
    for (const w of [old, fresh]) expect(await w.nextOf('presence_join')).toMatchObject({ member: { id: 'bob', connections: [bob.welcome!.id] } });
    for (const w of [old, fresh]) expect(await w.drain()).toStrictEqual([]);
    await old.close();
    await expect.poll(() => a.stats().presenceViews).toMatchObject({ views: 1, members: 2 });
  });
});
