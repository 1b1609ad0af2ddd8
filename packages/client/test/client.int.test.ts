/**
 * The client's connection against a real router: connect and its refusals, state changes, call
 * errors, close() and what it ends, the router going away.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, type Socket, createServer as createTcpServer } from 'node:net';
import { deferred, expectError, nextEvent, recordingWebSocket, rejection, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CloseCode,
  ConnectionError,
  ErrorCode,
  ProtocolError,
  type StateChange,
  SubscriptionError,
  connect,
  jsonCodec,
} from '../src/index.js';

/** A router on an http server the test owns, so the test can cut its TCP sockets. */
async function routerWithSockets() {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const router = await startRouter({ server });
  return {
    router,
    /** Destroys every TCP socket on the router's side, without a close frame. */
    cut(): void {
      for (const socket of sockets) socket.destroy();
    },
    async [Symbol.asyncDispose]() {
      await router.close();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('connect', () => {
  it('resolves open, with the id and name from the welcome and the router’s identity', async () => {
    await using router = await startRouter({ name: 'enterprise' });
    await using kirk = await connect(router.url, { name: 'Kirk' });
    await using anonymous = await connect(router.url);
    expect(kirk.state).toBe('open');
    expect(kirk.url).toBe(router.url);
    expect(kirk.name).toBe('Kirk');
    expect(kirk.router).toStrictEqual({ id: router.id, name: 'enterprise' });
    expect(router.clients().map((c) => [c.id, c.name])).toStrictEqual([
      [kirk.id, 'Kirk'],
      [anonymous.id, anonymous.id],
    ]);
    expect(kirk.id).not.toBe(anonymous.id);
    expect(anonymous.name).toBe(anonymous.id);
  });

  it('ping() resolves with a round-trip time ≥ 0', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const rtt = await client.ping();
    expect(typeof rtt).toBe('number');
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('rejects with CONNECTION_FAILED when nobody listens (a closed router)', async () => {
    const router = await startRouter();
    const url = router.url;
    await router.close();
    const error = expectError(await rejection(connect(url)), ConnectionError, ErrorCode.CONNECTION_FAILED);
    expect(error.retryable).toBe(true);
  });

  it('rejects with CODEC_UNSUPPORTED when the router does not speak the client’s codec', async () => {
    await using router = await startRouter({ codecs: [jsonCodec] });
    expectError(await rejection(connect(router.url)), ConnectionError, ErrorCode.CODEC_UNSUPPORTED);
    await using plain = await connect(router.url, { codec: jsonCodec });
    expect(plain.state).toBe('open');
  });

  it('rejects with ROUTER_FULL (close 1013, retryable) at maxConnections', async () => {
    await using router = await startRouter({ maxConnections: 1 });
    await using first = await connect(router.url);
    const error = expectError(await rejection(connect(router.url)), ConnectionError, ErrorCode.ROUTER_FULL);
    expect(error.closeCode).toBe(CloseCode.TRY_AGAIN_LATER);
    expect(error.retryable).toBe(true);
    expect(router.clients().map((c) => c.id)).toStrictEqual([first.id]);
  });

  it('rejects with HELLO_INVALID (close 4000) for a name longer than 128 characters', async () => {
    await using router = await startRouter();
    const error = expectError(await rejection(connect(router.url, { name: 'x'.repeat(129) })), ConnectionError, ErrorCode.HELLO_INVALID);
    expect(error.closeCode).toBe(CloseCode.PROTOCOL_VIOLATION);
    expect(error.retryable).toBe(false);
    await using longest = await connect(router.url, { name: 'y'.repeat(128) });
    expect(longest.name).toBe('y'.repeat(128));
  });

  it('rejects with HELLO_INVALID (close 4000) for info over maxInfoBytes', async () => {
    await using router = await startRouter({ maxInfoBytes: 1024 });
    const error = expectError(await rejection(connect(router.url, { info: { note: 'x'.repeat(2000) } })), ConnectionError, ErrorCode.HELLO_INVALID);
    expect(error.closeCode).toBe(CloseCode.PROTOCOL_VIOLATION);
    await using small = await connect(router.url, { info: { note: 'x'.repeat(500) } });
    expect(small.state).toBe('open');
  });

  it('rejects with CONNECT_TIMEOUT when the server accepts TCP and never answers', async () => {
    const accepted = deferred();
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => {
      sockets.push(socket);
      accepted.resolve();
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { port } = silent.address() as AddressInfo;
      let settled = false;
      const attempt = connect(`ws://127.0.0.1:${port}/`, { connectTimeoutMs: 5_000 });
      const failure = rejection(attempt).finally(() => (settled = true));
      await accepted.promise;
      await vi.advanceTimersByTimeAsync(4_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = expectError(await failure, ConnectionError, ErrorCode.CONNECT_TIMEOUT);
      expect(error.retryable).toBe(true);
    } finally {
      vi.useRealTimers();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await once(silent, 'close');
    }
  });
});

describe('state changes', () => {
  it('close(): open → closed, reason client_closed, once even when closed twice', async () => {
    await using router = await startRouter();
    const client = await connect(router.url);
    const changes: StateChange[] = [];
    client.on('statechange', (change) => changes.push(change));
    await client.close();
    await client.close();
    expect(client.state).toBe('closed');
    expect(changes).toStrictEqual([{ from: 'open', to: 'closed', reason: 'client_closed' }]);
  });

  it('router.close(): open → reconnecting, reason router_closed, code 1001', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url);
    const changed = nextEvent<[StateChange]>((listener) => client.on('statechange', listener));
    await router.close();
    expect(await changed).toStrictEqual([{ from: 'open', to: 'reconnecting', reason: 'router_closed', code: CloseCode.GOING_AWAY }]);
    expect(client.state).toBe('reconnecting');
  });

  it('router.close() with reconnect off: open → closed, reason router_closed, code 1001', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { reconnect: false });
    const changed = nextEvent<[StateChange]>((listener) => client.on('statechange', listener));
    await router.close();
    expect(await changed).toStrictEqual([{ from: 'open', to: 'closed', reason: 'router_closed', code: CloseCode.GOING_AWAY }]);
    expect(client.state).toBe('closed');
  });

  it('a socket destroyed on the router’s side (reconnect off): open → closed, reason connection_lost, code 1006', async () => {
    await using setup = await routerWithSockets();
    await using client = await connect(setup.router.url, { reconnect: false });
    const sub = await client.subscribe('lost.topic');
    const loop = (async () => {
      for await (const _ of sub);
    })();
    const failure = rejection(loop);
    const changed = nextEvent<[StateChange]>((listener) => client.on('statechange', listener));
    setup.cut();
    expect(await changed).toStrictEqual([{ from: 'open', to: 'closed', reason: 'connection_lost', code: CloseCode.ABNORMAL }]);
    const error = expectError(await failure, ConnectionError, ErrorCode.CONNECTION_CLOSED);
    expect(error.closeCode).toBe(CloseCode.ABNORMAL);
    expect(error.retryable).toBe(true);
  });
});

describe('publish and subscribe errors', () => {
  it('an invalid topic rejects with TOPIC_INVALID and sends nothing', async () => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using client = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    expect(sent).toStrictEqual([]); // the hello went in the upgrade request
    for (const topic of ['', 'a..b', 'a.*', 'a.>', 'a b', '.a', 'a.']) {
      expectError(await rejection(client.publish(topic, 1)), ProtocolError, ErrorCode.TOPIC_INVALID);
    }
    expect(sent).toHaveLength(0);
    expect(router.stats().publications).toBe(0);
  });

  it('a payload over the router’s maxPayload rejects with PAYLOAD_TOO_LARGE, sends nothing, and the connection stays open', async () => {
    await using router = await startRouter({ maxPayload: 2048 });
    const sent: string[] = [];
    await using client = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    const got: unknown[] = [];
    const arrived = deferred();
    await client.subscribe('big.topic', (data) => {
      got.push(data);
      arrived.resolve();
    });
    const before = sent.length;
    expectError(await rejection(client.publish('big.topic', 'x'.repeat(4000))), ProtocolError, ErrorCode.PAYLOAD_TOO_LARGE);
    // 1,100 characters, but 2,200 bytes in UTF-8: too large too.
    expectError(await rejection(client.publish('big.topic', 'é'.repeat(1100))), ProtocolError, ErrorCode.PAYLOAD_TOO_LARGE);
    expect(sent.length).toBe(before);
    expect(client.state).toBe('open');
    const ack = await client.publish('big.topic', 'small');
    expect(ack.offset).toBe(1);
    await arrived.promise;
    expect(got).toStrictEqual(['small']);
  });

  it('a payload just under maxPayload is accepted', async () => {
    await using router = await startRouter({ maxPayload: 2048 });
    await using client = await connect(router.url);
    const ack = await client.publish('big.topic', 'x'.repeat(1900));
    expect(ack.offset).toBe(1);
    expect(client.state).toBe('open');
  });

  it('a value superjson refuses (a constructor key) rejects with PAYLOAD_UNENCODABLE and sends nothing', async () => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using client = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    expectError(await rejection(client.publish('bad.payload', { constructor: 1 })), ProtocolError, ErrorCode.PAYLOAD_UNENCODABLE);
    expectError(await rejection(client.publish('bad.payload', { at: new Date(0), nested: { constructor: 'x' } })), ProtocolError, ErrorCode.PAYLOAD_UNENCODABLE);
    expect(sent).toHaveLength(0); // the hello went in the upgrade request
    expect((await client.publish('bad.payload', { fine: true })).offset).toBe(1);
  });

  it('an invalid pattern rejects subscribe and presence with PATTERN_INVALID and sends nothing', async () => {
    await using router = await startRouter();
    const sent: string[] = [];
    await using client = await connect(router.url, { WebSocket: recordingWebSocket(sent) });
    for (const pattern of ['', 'a.>.b', 'a*', 'a..b', '>.a', 'a b']) {
      expectError(await rejection(client.subscribe(pattern)), SubscriptionError, ErrorCode.PATTERN_INVALID);
      expectError(await rejection(client.presence(pattern)), SubscriptionError, ErrorCode.PATTERN_INVALID);
    }
    expect(sent).toHaveLength(0); // the hello went in the upgrade request
    expect(router.clients()[0]!.subscriptions).toStrictEqual([]);
  });
});

describe('close()', () => {
  it('rejects pending calls with CONNECTION_CLOSED', async () => {
    await using router = await startRouter();
    const client = await connect(router.url);
    const publish = rejection(client.publish('pending.topic', 1));
    const subscribe = rejection(client.subscribe('pending.topic'));
    const ping = rejection(client.ping());
    const closing = client.close();
    for (const error of [await publish, await subscribe, await ping]) expectError(error, ConnectionError, ErrorCode.CONNECTION_CLOSED);
    await closing;
  });

  it('finishes iterators (done, no throw) and ends presence views', async () => {
    await using router = await startRouter();
    const client = await connect(router.url);
    const sub = await client.subscribe('ending.topic');
    const waiting = sub[Symbol.asyncIterator]().next();
    const loop = (async () => {
      let count = 0;
      for await (const _ of sub) count++;
      return count;
    })();
    const view = await client.presence('ending.topic');
    const ended = nextEvent<[]>((listener) => view.on('end', listener));
    await client.close();
    expect(await waiting).toStrictEqual({ value: undefined, done: true });
    expect(await loop).toBe(0);
    await ended;
    expect(view.isOpen).toBe(false);
    expect(sub.state).toBe('unsubscribed');
  });

  it('operations after close reject with CONNECTION_CLOSED; closing twice is fine', async () => {
    await using router = await startRouter();
    const client = await connect(router.url);
    await client.close();
    await client.close();
    const attempts = [client.publish('after.close', 1), client.subscribe('after.close'), client.presence('after.close'), client.ping()];
    for (const attempt of attempts) expectError(await rejection(attempt), ConnectionError, ErrorCode.CONNECTION_CLOSED);
    expect(client.state).toBe('closed');
  });
});

describe('the router goes away', () => {
  it('router.close() with reconnect off ends a waiting for-await loop with CONNECTION_CLOSED, close code 1001, retryable', async () => {
    const router = await startRouter();
    try {
      await using client = await connect(router.url, { reconnect: false });
      const sub = await client.subscribe('away.topic');
      const seen: unknown[] = [];
      const loop = (async () => {
        for await (const { data } of sub) seen.push(data);
      })();
      const failure = rejection(loop);
      await router.publish('away.topic', 'before');
      await router.close();
      const error = expectError(await failure, ConnectionError, ErrorCode.CONNECTION_CLOSED);
      expect(error.closeCode).toBe(CloseCode.GOING_AWAY);
      expect(error.retryable).toBe(true);
      expect(seen).toStrictEqual(['before']);
      expect(sub.state).toBe('unsubscribed');
      expectError(await rejection(client.publish('away.topic', 1)), ConnectionError, ErrorCode.CONNECTION_CLOSED);
    } finally {
      await router.close();
    }
  });
});
