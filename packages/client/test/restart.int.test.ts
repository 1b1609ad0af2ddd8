/**
 * A router in a child process killed with SIGKILL and started again on the same port (issue 4):
 * the clients notice (1006), reconnect on their own, resubscribe (recovery says `epoch_changed`:
 * the in-memory history died with the process), register their handlers again, send what they
 * queued while the router was down, and presence is right afterwards. Real timers, small reconnect
 * delays; the router processes run the built packages (`pnpm build` first).
 */
import { deferred, Log, type RouterProcess, spawnRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import {
  type Client,
  CloseCode,
  type ConnectOptions,
  ConnectionError,
  ErrorCode,
  type MessageMeta,
  type Presence,
  type Recovery,
  type StateChange,
  type Subscription,
  connect,
} from '../src/index.js';

// ---- helpers ----

/** The client's state changes, recorded. */
function states(client: Client): Log<StateChange> {
  const log = new Log<StateChange>();
  client.on('statechange', log.push);
  return log;
}

/** The subscription's next `recovery` event. */
function recovery(subscription: Subscription<unknown>): Promise<Recovery> {
  return new Promise((resolve) => subscription.once('recovery', resolve));
}

/** Resolves once the view's members satisfy `done` (checked now and after every change). */
function viewUntil(view: Presence, done: (ids: string[]) => boolean): Promise<void> {
  const ids = (): string[] => view.members().map((m) => m.id);
  if (done(ids())) return Promise.resolve();
  return new Promise((resolve) => {
    const off = view.on('change', () => {
      if (!done(ids())) return;
      off();
      resolve();
    });
  });
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

const OPTIONS: ConnectOptions = { reconnect: { minDelayMs: 5, maxDelayMs: 50 } };
const LOST: StateChange = { from: 'open', to: 'reconnecting', reason: 'connection_lost', code: CloseCode.ABNORMAL };
const BACK: StateChange = { from: 'reconnecting', to: 'open', reason: 'welcomed' };

// ---- tests ----

describe('a router killed (SIGKILL) and started again on the same port', () => {
  it('clients reconnect, resubscribe (epoch_changed), re-register handlers, flush their queue; presence is right', async () => {
    const routers: RouterProcess[] = [];
    const clients: Client[] = [];
    const open = async (url: string, name: string): Promise<Client> => {
      const client = await connect(url, { ...OPTIONS, name });
      clients.push(client);
      return client;
    };
    try {
      const first = await spawnRouter();
      routers.push(first);
      const alice = await open(first.url, 'alice');
      const bob = await open(first.url, 'bob');
      const provider = await open(first.url, 'provider');
      const watcher = await open(first.url, 'watcher');
      const caller = await open(first.url, 'caller');

      const news = new Log<[unknown, MessageMeta]>();
      const aliceNews = await alice.subscribe('news', (data, meta) => news.push([data, meta]));
      const aliceRoom = await alice.subscribe('room');
      const bobRoom = await bob.subscribe('room');
      const served: string[] = [];
      await provider.handle('svc.echo', (params, ctx) => {
        served.push(ctx.caller.name);
        return params;
      });
      const view = await watcher.presence('room');
      expect(view.members().map((m) => [m.name, m.id])).toStrictEqual([
        ['alice', alice.id],
        ['bob', bob.id],
      ]);
      const before = await caller.publish('news', 'before');
      expect((await news.until(1)).map(([data, meta]) => [data, meta.offset])).toStrictEqual([['before', 1]]);
      expect(await caller.request('svc.echo', 'before')).toBe('before');
      const oldIds = clients.map((c) => c.id);

      const logs = clients.map(states);
      const recoveries = Promise.all([recovery(aliceNews), recovery(aliceRoom), recovery(bobRoom)]);
      await first.kill();
      await Promise.all(logs.map((log) => log.until(1)));
      expect(logs.map((log) => log.values)).toStrictEqual(clients.map(() => [LOST]));

      // Queued while the router is down: goes out after the restart.
      const queued = caller.publish('news', 'queued');

      const second = await spawnRouter(first.port);
      routers.push(second);
      expect(second.port).toBe(first.port);
      await Promise.all(logs.map((log) => log.until(2)));
      expect(logs.map((log) => log.values)).toStrictEqual(clients.map(() => [LOST, BACK]));
      const newIds = clients.map((c) => c.id);
      for (const [index, id] of newIds.entries()) expect(id).not.toBe(oldIds[index]);

      // Subscriptions: back, and they say what was lost.
      const [newsRecovery, aliceRoomRecovery, bobRoomRecovery] = await recoveries;
      expect(newsRecovery).toStrictEqual({ recovered: false, reason: 'epoch_changed', gaps: ['news'] });
      expect(aliceRoomRecovery.recovered).toBe(true);
      expect(bobRoomRecovery.recovered).toBe(true);
      const queuedAck = await queued;
      expect(queuedAck.offset).toBe(1);
      expect(queuedAck.epoch).not.toBe(before.epoch);
      const after = await caller.publish('news', 'after');
      expect(after).toStrictEqual({ topic: 'news', epoch: queuedAck.epoch, offset: 2 });
      await news.until(3);
      await alice.ping();
      expect(news.values.map(([data, meta]) => [data, meta.epoch, meta.offset])).toStrictEqual([
        ['before', before.epoch, 1],
        ['queued', queuedAck.epoch, 1],
        ['after', queuedAck.epoch, 2],
      ]);

      // Handlers: registered again on the new router.
      await provider.ping(); // its `handle` went out right after the welcome, before this ping
      expect(await caller.request('svc.echo', 'after')).toBe('after');
      expect(served).toStrictEqual(['caller', 'caller']);

      // Presence: exactly the connected subscribers, by name, each once, with their new ids.
      await viewUntil(view, (ids) => sameSet(ids, [alice.id, bob.id]));
      expect(view.isOpen).toBe(true);
      expect(view.members().map((m) => [m.name, m.id]).sort()).toStrictEqual([
        ['alice', alice.id],
        ['bob', bob.id],
      ]);
      const fresh = await open(second.url, 'fresh');
      const check = await fresh.presence('room');
      expect(check.members().map((m) => [m.name, m.id]).sort()).toStrictEqual([
        ['alice', alice.id],
        ['bob', bob.id],
      ]);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(routers.map((router) => router.kill()));
    }
  });

  it('a request in flight when the router dies rejects CONNECTION_CLOSED (retryable); the provider serves again after the restart', async () => {
    const routers: RouterProcess[] = [];
    const clients: Client[] = [];
    try {
      const first = await spawnRouter();
      routers.push(first);
      const provider = await connect(first.url, { ...OPTIONS, name: 'provider' });
      clients.push(provider);
      const caller = await connect(first.url, { ...OPTIONS, name: 'caller' });
      clients.push(caller);
      const started = deferred();
      await provider.handle('svc.slow', (params, ctx) => {
        if (params === 'hang') {
          started.resolve();
          return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        }
        return params;
      });
      const hanging = caller.request('svc.slow', 'hang').then(
        () => undefined,
        (error: unknown) => error,
      );
      await started.promise;
      const back = Promise.all(clients.map((client) => new Promise((resolve) => client.once('statechange', () => client.once('statechange', resolve)))));
      await first.kill();
      const error = await hanging;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: ErrorCode.CONNECTION_CLOSED, retryable: true, closeCode: CloseCode.ABNORMAL });

      const second = await spawnRouter(first.port);
      routers.push(second);
      await back;
      expect(clients.map((c) => c.state)).toStrictEqual(['open', 'open']);
      await provider.ping();
      expect(await caller.request('svc.slow', 'again')).toBe('again');
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(routers.map((router) => router.kill()));
    }
  });
});
