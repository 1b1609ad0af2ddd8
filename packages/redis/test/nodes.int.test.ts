/**
 * Three routers in separate processes (the test kit's router process on the Redis engine) over
 * one real redis-server: fan-out across processes exactly once with patterns; a node killed with
 * SIGKILL has its presence members leave everywhere once, with `node_lost`; a client whose node
 * died resumes on another node with no gap and no duplicate (raw frames, and the client SDK given
 * the three URLs, keeping its id through hello.resume). The processes run the built packages
 * (`pnpm build` first; `pnpm test` does).
 */
import { connect } from '@herald/client';
import { Log, RawClient, type RouterProcess } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { clusterFixture } from './cluster-fixture.js';
import { messages } from './engine-nodes.js';

const { threeNodes, client } = await clusterFixture('nodes', { HERALD_RESUME_SECRET: 'a shared secret of the test cluster' });

async function subscribe(c: RawClient, id: number, pattern: string): Promise<void> {
  c.send({ type: 'subscribe', id, pattern });
  expect(await c.nextOf('subscribed')).toMatchObject({ id, pattern });
}

/** Publishes and awaits the acks; returns the stamps. */
async function publish(c: RawClient, topic: string, values: number[], firstId: number): Promise<Array<{ epoch: string; offset: number }>> {
  values.forEach((v, i) => c.send({ type: 'publish', id: firstId + i, topic }, `{"json":${v}}`));
  const acks = [];
  for (const _ of values) acks.push(await c.nextOf('publish_ack'));
  return acks;
}

describe('three router processes over one Redis', { timeout: 60_000 }, () => {
  it('fan out across processes once per subscriber, patterns included, in order', async () => {
    const [n1, n2, n3] = await threeNodes();
    const both = await client(n2, 'both');
    await subscribe(both, 1, 'metrics.cpu.load');
    await subscribe(both, 2, 'metrics.*.load');
    const wild = await client(n3, 'wild');
    await subscribe(wild, 1, 'metrics.>');
    const publisher = await client(n1, 'publisher');
    await publish(publisher, 'metrics.cpu.load', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1);
    for (const subscriber of [both, wild]) {
      expect((await messages(subscriber, 10)).map((m) => [m.offset, m.payload])).toEqual(
        Array.from({ length: 10 }, (_, i) => [i + 1, `{"json":${i + 1}}`]),
      );
    }
    // A marker published after the ten: any late copy would have arrived before it.
    await publish(publisher, 'metrics.cpu.load', [99], 100);
    expect((await messages(both, 1)).map((m) => m.payload)).toEqual(['{"json":99}']);
    expect((await messages(wild, 1)).map((m) => m.payload)).toEqual(['{"json":99}']);
  });

  it('a node killed with SIGKILL: its members leave on every other node, once, with node_lost', async () => {
    const [n1, n2, n3] = await threeNodes();
    const watchers = [await client(n2, 'watcher2'), await client(n3, 'watcher3')];
    for (const w of watchers) {
      w.send({ type: 'presence_watch', id: 1, topic: 'room' });
      expect(await w.nextOf('presence_state')).toMatchObject({ members: [] });
    }
    const alice = await client(n1, 'alice');
    await subscribe(alice, 1, 'room');
    for (const w of watchers) expect(await w.nextOf('presence_join')).toMatchObject({ member: { name: 'alice' } });

    await n1.kill();
    for (const w of watchers) {
      expect(await w.nextOf('presence_leave')).toMatchObject({ topic: 'room', member: { name: 'alice' }, reason: 'node_lost' });
    }
    // Exactly once: the next presence event everywhere is bob's join, not another leave of alice.
    const bob = await client(n3, 'bob');
    await subscribe(bob, 1, 'room');
    for (const w of watchers) {
      const next = await w.next();
      expect(next).toMatchObject({ type: 'presence_join', member: { name: 'bob' } });
    }
    const late = await client(n2, 'late');
    late.send({ type: 'presence_watch', id: 1, topic: 'room' });
    const state = await late.nextOf('presence_state');
    expect(state.members.map((m) => m.name)).toEqual(['bob']);
  });

  it('the client SDK with the three URLs: its node dies, it resumes on the next with its id, no gap, no duplicate', async () => {
    const [n1, n2, n3] = await threeNodes();
    const received = new Log<unknown>();
    const subscriber = await connect([n1.url, n2.url, n3.url], { name: 'sdk', reconnect: { minDelayMs: 5, maxDelayMs: 50 } });
    try {
      const id = subscriber.id;
      await subscriber.subscribe('ticks', (data) => received.push(data));
      const publisher = await client(n2, 'publisher');
      const send = (from: number, to: number): Promise<unknown> =>
        publish(publisher, 'ticks', Array.from({ length: to - from + 1 }, (_, i) => from + i), from * 10);
      await send(1, 5);
      await received.until(5);
      await n1.kill();
      await send(6, 10);
      expect(await received.until(10)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      await send(11, 12);
      expect(await received.until(12)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(subscriber.id).toBe(id); // hello.resume: the same client on the new node
    } finally {
      await subscriber.close();
    }
  });

  it('a client whose node died resumes on another node: no gap, no duplicate', async () => {
    const [n1, n2, n3] = await threeNodes();
    const subscriber = await client(n1, 'subscriber');
    await subscribe(subscriber, 1, 'feed.>');
    const publisher = await client(n2, 'publisher');
    const stamps = await publish(publisher, 'feed.a', [1, 2, 3, 4, 5], 1);
    const seen = await messages(subscriber, 5);
    expect(seen.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    const { epoch } = stamps[0]!;

    await n1.kill();
    await publish(publisher, 'feed.a', [6, 7, 8, 9, 10], 6);
    const resumed = await client(n3, 'subscriber');
    resumed.send({ type: 'subscribe', id: 1, pattern: 'feed.>', positions: [['feed.a', epoch, 5]], since: seen[0]!.at });
    const replayed = await messages(resumed, 5);
    expect(replayed.map((m) => [m.epoch, m.offset, m.payload, m.replay])).toEqual(
      [6, 7, 8, 9, 10].map((v) => [epoch, v, `{"json":${v}}`, 1]),
    );
    expect(await resumed.nextOf('subscribed')).toMatchObject({ id: 1, recovered: true });
    await publish(publisher, 'feed.a', [11], 11);
    expect((await messages(resumed, 1)).map((m) => [m.offset, m.replay])).toEqual([[11, undefined]]);
    expect(await resumed.drain()).toEqual([]);
  });
});
