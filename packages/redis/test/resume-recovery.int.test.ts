/**
 * Clients whose router dies move to another router of the cluster and recover there (issue 13,
 * "recovery after the client's node dies"): three router processes over one real redis-server,
 * client SDKs on router A given the three URLs. A is SIGKILLed and a message is published on B
 * while they are away (fake timers hold their reconnect): each client gets the missed message
 * exactly once, and exactly one `recovery` event with `recovered: true`, which fires before the
 * replayed message is delivered (so a handler knows the subscription came back before it sees
 * what it missed). Then the same with the default backoff, as in the storm bench: some clients are
 * back before the publish (the message comes live), the others get it replayed; either way one
 * recovery each, before the message. (The URL lists keep their order, `randomizeUrls: false`: a
 * shuffled list would put two thirds of "A's" clients on B and C from the start, which is why the
 * storm bench counted about a third of the recovery events it expected.)
 */
import { type Client, type ConnectOptions, type Recovery, connect } from '@herald/client';
import { Log } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clusterFixture } from './cluster-fixture.js';

const { threeNodes, client } = await clusterFixture('resume', { HERALD_RESUME_SECRET: 'a shared secret of the test cluster', HERALD_NO_ADDRESS_LIMITS: '1' });

afterEach(() => {
  vi.useRealTimers();
});

type Entry = { kind: 'message'; n: number; replayed: boolean } | { kind: 'down' } | { kind: 'recovery'; recovery: Recovery };

const CLIENTS = 40;
const STORM = 150;

type Node = Awaited<ReturnType<typeof threeNodes>>[number];

/**
 * `count` client SDKs connected to `urls` (in that order), added to `clients` (the caller closes
 * them), each subscribed to `topic` and keeping a journal of its messages, drops and recovery
 * events; a publisher on `on`; and a wait until every client has journaled an entry that passes a test.
 */
async function journaledClients(clients: Client[], urls: string[], on: Node, topic: string, count: number, prefix: string, options: Omit<ConnectOptions, 'name'> = {}) {
  const all = new Log<Entry & { client: number }>();
  const journals: Entry[][] = [];
  for (let i = 0; i < count; i++) {
    const sdk = await connect(urls, { name: `${prefix}${i}`, randomizeUrls: false, ...options });
    clients.push(sdk);
    const journal: Entry[] = [];
    journals.push(journal);
    const record = (entry: Entry): void => {
      journal.push(entry);
      all.push({ ...entry, client: i });
    };
    sdk.on('statechange', (change) => change.to === 'reconnecting' && record({ kind: 'down' }));
    const subscription = await sdk.subscribe(topic, (data, meta) => record({ kind: 'message', n: (data as { n: number }).n, replayed: meta.replayed }));
    subscription.on('recovery', (recovery) => record({ kind: 'recovery', recovery }));
  }
  const publisher = await client(on, 'publisher');
  const publish = async (id: number, n: number): Promise<void> => {
    publisher.send({ type: 'publish', id, topic }, `{"json":{"n":${n}}}`);
    expect(await publisher.nextOf('publish_ack')).toMatchObject({ id, offset: n });
  };
  const until = async (test: (e: Entry) => boolean): Promise<void> => {
    for (let k = all.values.length + 1; new Set(all.values.filter(test).map((e) => e.client)).size < count; k++) await all.until(k);
  };
  return { journals, publish, until };
}

describe('clients of a SIGKILLed router recover on another', { timeout: 60_000 }, () => {
  it(`${CLIENTS} clients: the missed message once each, one recovery event each (recovered), before the replayed message`, async () => {
    const [a, b, c] = await threeNodes();
    const clients: Client[] = [];
    try {
      // Reconnects wait exactly 500 ms (random 0.5 × 1000 ms), held by fake timers below.
      const { journals, publish, until } = await journaledClients(clients, [a.url, b.url, c.url], b, 'moved.topic', CLIENTS, 'c', {
        random: () => 0.5,
        reconnect: { minDelayMs: 1000, maxDelayMs: 1000 },
      });
      await publish(1, 1);
      await until((e) => e.kind === 'message' && e.n === 1);
      expect(new Set(clients.map((sdk) => sdk.router.name))).toEqual(new Set(['n1'])); // all on A

      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      await a.kill();
      await until((e) => e.kind === 'down');
      await publish(2, 2); // while every client is away
      await vi.advanceTimersByTimeAsync(500); // they reconnect to B (the next URL), resume and resubscribe
      await until((e) => e.kind === 'message' && e.n === 2);
      vi.useRealTimers();
      await publish(3, 3); // live: anything still due from the resubscription came before it
      await until((e) => e.kind === 'message' && e.n === 3);

      for (const [i, journal] of journals.entries()) {
        expect(journal, `client c${i}`).toEqual([
          { kind: 'message', n: 1, replayed: false },
          { kind: 'down' },
          { kind: 'recovery', recovery: { recovered: true, gaps: [] } },
          { kind: 'message', n: 2, replayed: true },
          { kind: 'message', n: 3, replayed: false },
        ]);
      }
      expect(new Set(clients.map((sdk) => sdk.router.name))).toEqual(new Set(['n2'])); // B, the next URL
    } finally {
      vi.useRealTimers();
      await Promise.all(clients.map((sdk) => sdk.close()));
    }
  });

  it(`${STORM} clients reconnecting at once (default backoff, as in the storm bench): one recovery each, no later than the missed message`, async () => {
    const [a, b, c] = await threeNodes();
    const clients: Client[] = [];
    try {
      const { journals, publish, until } = await journaledClients(clients, [a.url, b.url, c.url], b, 'storm.topic', STORM, 's');
      await publish(1, 1);
      await until((e) => e.kind === 'message' && e.n === 1);
      expect(new Set(clients.map((sdk) => sdk.router.name))).toEqual(new Set(['n1'])); // all on A
      await a.kill();
      await publish(2, 2);
      await until((e) => e.kind === 'message' && e.n === 2);
      // Counted when the last missed message is delivered, as the bench does.
      expect(journals.map((j) => j.filter((e) => e.kind === 'recovery').length)).toEqual(journals.map(() => 1));
      await publish(3, 3);
      await until((e) => e.kind === 'message' && e.n === 3);
      for (const [i, journal] of journals.entries()) {
        expect(journal, `client s${i}`).toEqual([
          { kind: 'message', n: 1, replayed: false },
          { kind: 'down' },
          { kind: 'recovery', recovery: { recovered: true, gaps: [] } },
          { kind: 'message', n: 2, replayed: expect.any(Boolean) },
          { kind: 'message', n: 3, replayed: false },
        ]);
      }
    } finally {
      await Promise.all(clients.map((sdk) => sdk.close()));
    }
  });
});
