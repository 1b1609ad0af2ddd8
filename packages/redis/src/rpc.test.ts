import { describe, expect, it } from 'vitest';
import type { RedisEngine } from './redis-engine.js';
import { Rpc } from './rpc.js';

/** An engine with a command connection whose replies the test releases, one by one. */
function fakeEngine(registry: Record<string, Record<string, string>>) {
  const releases: Array<() => void> = [];
  const later = <T>(value: T): Promise<T> => new Promise((resolve) => releases.push(() => resolve(value)));
  const engine = {
    nodeId: 'a',
    keys: { prefix: 'p:', events: 'p:ev' },
    cmd: {
      smembers: () => later(Object.keys(registry)),
      hgetall: (key: string) => later(registry[key.slice('p:rpc:'.length)] ?? {}),
    },
    logger: { log() {} },
    counters: { announcements: 0 },
  } as unknown as RedisEngine;
  /** Releases the replies asked for so far, and waits for what they set off. */
  const release = async (): Promise<void> => {
    for (let round = 0; round < 10 && releases.length > 0; round++) {
      releases.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { engine, release };
}

describe('Rpc.load: the registry read while announcements arrive', () => {
  it('keeps an announcement that arrives while the snapshot is read (the snapshot predates it)', async () => {
    const { engine, release } = fakeEngine({});
    const rpc = new Rpc(engine);
    const loading = rpc.load();
    // b announces between the SMEMBERS (empty: before the announcement) and its reply.
    rpc.onEvent('rpc\nquote.get\nb\n1\n[{"id":"c1","name":"provider"}]');
    await release();
    await loading;
    expect([...rpc.remoteProviders('quote.get')]).toEqual([['b', 1]]);
    expect(rpc.remoteMethods().methods.get('quote.get')).toEqual([{ id: 'c1', name: 'provider' }]);
  });

  it('keeps a death that arrives while the snapshot is read (the snapshot still lists the dead node)', async () => {
    const { engine, release } = fakeEngine({ 'quote.get': { b: '1\n[]', c: '2\n[]' } });
    const rpc = new Rpc(engine);
    const loading = rpc.load();
    rpc.onEvent('node_dead\nb');
    await release();
    await loading;
    expect([...rpc.remoteProviders('quote.get')]).toEqual([['c', 2]]);
  });

  it('applies the events in their order after the snapshot (a withdrawal after an announcement wins)', async () => {
    const { engine, release } = fakeEngine({ 'quote.get': { b: '1\n[]' } });
    const rpc = new Rpc(engine);
    const loading = rpc.load();
    rpc.onEvent('rpc\nquote.get\nb\n3\n[]');
    rpc.onEvent('rpc\nquote.get\nb\n0\n[]');
    await release();
    await loading;
    expect(rpc.remoteProviders('quote.get').size).toBe(0);
    // After the load, events apply at once and nothing is replayed.
    rpc.onEvent('rpc\nquote.get\nb\n2\n[]');
    expect([...rpc.remoteProviders('quote.get')]).toEqual([['b', 2]]);
  });
});
