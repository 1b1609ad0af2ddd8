/**
 * The request registry in Redis has a bound (issue 12, cluster-wide): `rpc:methods` holds only the
 * methods some live router provides. A method leaves it when its last provider anywhere unhandles
 * or disconnects, and a SIGKILLed router's methods leave it when the reaper declares the router
 * dead (lease 3 s + heartbeat 1 s). Three router processes on one real redis-server; the set is
 * read with raw Redis commands, and the test waits for the registry's own events on `<prefix>ev`.
 * A burst of handles of one method (a reconnect storm) costs a few announcements, not one per
 * handle, and the other routers still see every provider.
 */
import { Redis } from 'ioredis';
import { Log, RawClient } from '@herald/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LISTED_PEERS } from '@herald/redis';
import { clusterFixture } from './cluster-fixture.js';

const { threeNodes, client, redis, prefix } = await clusterFixture('registry');

/** A provider announcement (`rpc LF method LF node LF count LF peers`) or a dead node, read off the events channel. */
type ClusterEvent = { kind: 'rpc'; method: string; node: string; count: number } | { kind: 'node_dead'; node: string };

let listeners: Redis[] = [];
afterEach(() => {
  for (const l of listeners) l.disconnect();
  listeners = [];
});

/** Subscribes to the cluster's events channel; resolves once subscribed. */
async function events(): Promise<Log<ClusterEvent>> {
  const sub = new Redis(redis.url, { lazyConnect: true });
  listeners.push(sub);
  const log = new Log<ClusterEvent>();
  sub.on('message', (_channel: string, message: string) => {
    const [kind, a, b, c] = message.split('\n');
    if (kind === 'rpc') log.push({ kind, method: a!, node: b!, count: Number(c) });
    else if (kind === 'node_dead') log.push({ kind, node: a! });
  });
  await sub.connect();
  await sub.subscribe(`${prefix()}ev`);
  return log;
}

/** `rpc:methods` and every other key of the registry (`rpc:*`, `node:*:rpc`), read raw. */
async function registry(): Promise<{ methods: number; keys: string[] }> {
  const methods = Number(/:(\d+)/.exec(await redis.command('SCARD', `${prefix()}rpc:methods`))![1]);
  const keys = [await redis.command('KEYS', `${prefix()}rpc:*`), await redis.command('KEYS', `${prefix()}node:*:rpc`)]
    .flatMap((reply) => reply.split('\r\n').filter((line) => line.startsWith(prefix())))
    .sort();
  return { methods, keys };
}

const N = 50;
const junk = Array.from({ length: N }, (_, i) => `junk.${i}.${Math.random().toString(36).slice(2, 8)}`);

/** Events until `n` announcements matching `test` have come (from `from` on); returns them. */
async function announced(log: Log<ClusterEvent>, from: number, n: number, test: (e: ClusterEvent) => boolean): Promise<ClusterEvent[]> {
  for (let k = from + 1; ; k++) {
    const seen = (await log.until(k)).slice(from).filter(test);
    if (seen.length >= n) return seen;
  }
}

describe('the request registry in Redis shrinks', { timeout: 60_000 }, () => {
  it('a method leaves rpc:methods when its last provider unhandles or disconnects', async () => {
    const [n1, n2] = await threeNodes();
    const log = await events();
    const keeper = await client(n2, 'keeper');
    keeper.send({ type: 'handle', id: 1, method: 'kept.method' });
    await keeper.nextOf('handled');
    await announced(log, 0, 1, (e) => e.kind === 'rpc' && e.method === 'kept.method');
    const before = await registry();
    expect(before.methods).toBe(1);

    const spammer = await client(n1, 'spammer');
    // Also on node 2, so that one method keeps a provider after node 1's goes.
    const other = await client(n2, 'other');
    other.send({ type: 'handle', id: 1, method: junk[0] });
    await other.nextOf('handled');
    for (const [i, method] of junk.entries()) {
      spammer.send({ type: 'handle', id: i + 1, method });
      await spammer.nextOf('handled');
    }
    await announced(log, 0, N + 2, (e) => e.kind === 'rpc' && e.count > 0);
    expect((await registry()).methods).toBe(1 + N);

    // Half unhandled, the rest go with the connection; junk[0] stays (node 2 provides it too).
    for (const [i, method] of junk.slice(0, N / 2).entries()) {
      spammer.send({ type: 'unhandle', id: 100 + i, method });
      await spammer.nextOf('unhandled');
    }
    await spammer.close();
    await announced(log, 0, N, (e) => e.kind === 'rpc' && e.count === 0);
    expect((await registry()).methods).toBe(2);
    const at = log.values.length;

    await other.close();
    await announced(log, at, 1, (e) => e.kind === 'rpc' && e.count === 0 && e.method === junk[0]);
    expect(await registry()).toEqual(before);
  });

  it("a SIGKILLed router's methods leave rpc:methods when the reaper declares it dead (lease + heartbeat)", async () => {
    const [n1, n2] = await threeNodes();
    const log = await events();
    const keeper = await client(n1, 'keeper');
    keeper.send({ type: 'handle', id: 1, method: 'kept.method' });
    await keeper.nextOf('handled');
    await announced(log, 0, 1, (e) => e.kind === 'rpc');
    const before = await registry();

    const spammer = await client(n2, 'spammer');
    for (const [i, method] of junk.entries()) {
      spammer.send({ type: 'handle', id: i + 1, method });
      await spammer.nextOf('handled');
    }
    const mine = await announced(log, 1, N, (e) => e.kind === 'rpc' && e.count > 0);
    const doomed = mine[0]!.node;
    expect((await registry()).methods).toBe(1 + N);

    const at = log.values.length;
    await n2.kill();
    await announced(log, at, 1, (e) => e.kind === 'node_dead' && e.node === doomed);
    expect(await registry()).toEqual(before);
  });
});

describe('the registry after a lost command connection', { timeout: 60_000 }, () => {
  it("a router withdraws what Redis lists for it but it no longer provides (a removal lost while Redis was away)", async () => {
    const [n1] = await threeNodes();
    const log = await events();
    const provider = await client(n1, 'provider');
    provider.send({ type: 'handle', id: 1, method: 'real.method' });
    await provider.nextOf('handled');
    const { node } = (await announced(log, 0, 1, (e) => e.kind === 'rpc'))[0] as { node: string };
    // What a failed removal leaves behind: an entry of n1's for a method it no longer provides.
    await redis.command('HSET', `${prefix()}rpc:ghost.method`, node, '1\n[]');
    await redis.command('SADD', `${prefix()}rpc:methods`, 'ghost.method');
    await redis.command('SADD', `${prefix()}node:${node}:rpc`, 'ghost.method');
    expect((await registry()).methods).toBe(2);
    // The routers' command connections drop and come back (Pub/Sub connections stay).
    const at = log.values.length;
    expect(await redis.command('CLIENT', 'KILL', 'TYPE', 'normal')).toMatch(/^:[1-9]/);
    await announced(log, at, 1, (e) => e.kind === 'rpc' && e.method === 'ghost.method' && e.count === 0);
    expect((await registry()).methods).toBe(1);
    expect((await registry()).keys).not.toContain(`${prefix()}rpc:ghost.method`);
  });
});

describe('provider announcements are coalesced', { timeout: 60_000 }, () => {
  it('200 clients handling one method at once cost a few announcements; the other routers see all 200', async () => {
    const [n1, n2] = await threeNodes();
    const log = await events();
    const storm: RawClient[] = [];
    // In batches: the router lets an address have 32 connections waiting for their welcome.
    while (storm.length < 200) storm.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => RawClient.welcomed(n1.url, { name: `s${storm.length + i}` })))));
    try {
      // "At once" as node 1 sees it: stopped while the 200 handles are sent, it reads them all in
      // one turn of its event loop when it goes on. Sent to a running node, they arrive over as long
      // as this process takes to send them, which on a busy machine spans several announcement
      // delays (and as many announcements) however well they are coalesced.
      process.kill(n1.child.pid!, 'SIGSTOP');
      try {
        for (const c of storm) c.send({ type: 'handle', id: 1, method: 'storm.method' });
      } finally {
        process.kill(n1.child.pid!, 'SIGCONT');
      }
      for (const c of storm) expect(await c.nextOf('handled')).toMatchObject({ id: 1, method: 'storm.method' });
      // The announcement of all 200 comes last (one connection carries a node's announcements in order).
      const seen = await announced(log, 0, 1, (e) => e.kind === 'rpc' && e.count === 200);
      const all = log.values.filter((e) => e.kind === 'rpc' && e.method === 'storm.method');
      expect(all.at(-1)).toEqual(seen[0]);
      expect(all.length).toBeLessThanOrEqual(5);
      // Node 2 sends its calls to node 1's providers, and lists them (the first 32 of them).
      const caller = await client(n2, 'caller');
      let methods: Array<{ method: string; providers: unknown[] }> = [];
      for (let id = 1; id <= 2000 && methods[0]?.providers.length !== MAX_LISTED_PEERS; id++) {
        caller.send({ type: 'list_methods', id });
        methods = (await caller.nextOf('methods')).methods;
      }
      expect(methods[0]?.providers.length).toBe(MAX_LISTED_PEERS);
      expect(methods.map((m) => m.method)).toEqual(['storm.method']);
      let served = 0;
      void Promise.all(
        storm.map(async (c) => {
          const request = await c.nextOf('request').catch(() => undefined);
          if (request === undefined) return;
          served++;
          c.send({ type: 'response', id: request.id }, '{"json":"ok"}');
        }),
      );
      caller.send({ type: 'request', id: 1000, method: 'storm.method', timeout: 10_000 }, '{"json":null}');
      expect(await caller.next()).toEqual({ type: 'response', id: 1000, payload: '{"json":"ok"}' });
      expect(served).toBe(1);
    } finally {
      for (const c of storm) await c[Symbol.asyncDispose]();
    }
  });
});
