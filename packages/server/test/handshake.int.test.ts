/** Opening a connection: HTTP upgrade, subprotocol negotiation, hello/welcome and connection limits. */
import { once } from 'node:events';
import { type IncomingHttpHeaders, createServer, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, ConnectionError, connect, superjsonCodec } from '@herald/client';
import { RawClient, deferred, nextEvent, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { ClientInfo, DisconnectDetail } from '../src/index.js';

/** Opens a plain `ws` socket expecting the upgrade to be refused; resolves with the HTTP answer. */
function refusedUpgrade(url: string, protocols: string[] = ['herald.v1.superjson']): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    socket.on('error', () => {});
    socket.on('open', () => {
      socket.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
  });
}

function httpStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function rejection(promise: Promise<unknown>): Promise<ConnectionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

describe('welcome', () => {
  it('tells the client its id, name, the router and the limits', async () => {
    await using router = await startRouter({ name: 'hq', maxPayload: 65_536 });
    await using named = await RawClient.welcomed(router.url, { name: 'Kirk' });
    await using anonymous = await RawClient.welcomed(router.url);
    expect(named.welcome).toEqual({
      type: 'welcome',
      version: 1,
      id: expect.stringMatching(/^\S+$/),
      name: 'Kirk',
      router: { id: router.id, name: 'hq' },
      maxPayload: 65_536,
      heartbeatMs: 10_000,
      heartbeatTimeoutMs: 30_000,
      resume: expect.stringMatching(/^\S+$/),
      dedupeMs: 120_000,
    });
    expect(anonymous.welcome!.name).toBe(anonymous.welcome!.id);
    expect(anonymous.welcome!.id).not.toBe(named.welcome!.id);
    expect(router.clients().map((c) => [c.id, c.name])).toEqual([
      [named.welcome!.id, 'Kirk'],
      [anonymous.welcome!.id, anonymous.welcome!.id],
    ]);
  });

  it('uses the defaults: router name "router", maxPayload 1 MiB', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url);
    expect(router.name).toBe('router');
    expect(raw.welcome!.router).toEqual({ id: router.id, name: 'router' });
    expect(raw.welcome!.maxPayload).toBe(1024 * 1024);
  });

  it('has a url of the form ws://127.0.0.1:<port>/', async () => {
    await using router = await startRouter();
    expect(router.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    expect(router.url).toBe(`ws://127.0.0.1:${router.port}/`);
    expect(router.port).toBeGreaterThan(0);
  });
});

describe('subprotocol negotiation', () => {
  it.each(['herald.v1.superjson', 'herald.v1.json'])('accepts %s and echoes it', async (protocol) => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'x' }, { protocols: [protocol] });
    expect(raw.socket.protocol).toBe(protocol);
    expect(await raw.drain()).toEqual([]);
  });

  it('picks the first supported offer, in the client order', async () => {
    await using router = await startRouter();
    await using a = await RawClient.open(router.url, { protocols: ['herald.v2.cbor', 'herald.v1.json', 'herald.v1.superjson'] });
    await using b = await RawClient.open(router.url, { protocols: ['herald.v1.superjson', 'herald.v1.json'] });
    expect(a.socket.protocol).toBe('herald.v1.json');
    expect(b.socket.protocol).toBe('herald.v1.superjson');
  });

  // An unsupported offer: see upgrade-refusals.int.test.ts (accepted, then closed with 4001).

  it('closes with 4001 a client that offers no subprotocol', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url, { protocols: [] });
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4001);
    expect(close.reason.startsWith('CODEC_UNSUPPORTED')).toBe(true);
  });
});

describe('hello', () => {
  it('closes with 4000 PROTOCOL_HELLO_REQUIRED when the first message is not hello', async () => {
    await using router = await startRouter();
    const connects: ClientInfo[] = [];
    router.on('connect', (client) => connects.push(client));
    await using raw = await RawClient.open(router.url);
    raw.send({ type: 'ping', id: 1 });
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason.startsWith('PROTOCOL_HELLO_REQUIRED')).toBe(true);
    expect(connects).toEqual([]);
  });

  // A frame that is not a message at all: the router names the frame error, or the missing hello.
  const FIRST_FRAME_REASON = /^(PROTOCOL_INVALID_FRAME|PROTOCOL_HELLO_REQUIRED): /;

  it('closes with 4000 when the first frame is malformed', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url);
    raw.sendRaw('this is not json');
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason).toMatch(FIRST_FRAME_REASON);
  });

  it('closes with 4000 when the first frame is binary, as for any first frame that is not hello', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url);
    raw.sendRaw(Buffer.from(JSON.stringify({ type: 'hello', name: 'binary' })), true);
    // Nothing but the close may come back (fails fast, instead of waiting for the hello timeout).
    const first = await raw.next().then(
      (message) => message,
      () => 'closed',
    );
    expect(first).toBe('closed');
    const close = await raw.closed;
    expect(close.code).toBe(4000);
    expect(close.reason).toMatch(FIRST_FRAME_REASON);
    expect(router.clients()).toEqual([]);
  });

  it('closes with 4000 PROTOCOL_HELLO_REQUIRED on a second hello', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'twice' });
    const gone = nextEvent<[ClientInfo, DisconnectDetail]>((listener) => router.on('disconnect', listener));
    raw.send({ type: 'hello', name: 'twice' });
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason.startsWith('PROTOCOL_HELLO_REQUIRED')).toBe(true);
    const [client] = await gone;
    expect(client.id).toBe(raw.welcome!.id);
  });

  const invalidHellos: Array<[string, Record<string, unknown>]> = [
    ['a 129-character name', { name: 'n'.repeat(129) }],
    ['an empty name', { name: '' }],
    ['info over 4096 bytes', { info: superjsonCodec.encode('i'.repeat(4100)) }],
    ['info that is not JSON', { info: 'not json at all' }],
    ['info that is not a superjson envelope', { info: '{"nope":1}' }],
    ['info with a __proto__ key', { info: '{"json":{"__proto__":{"polluted":true}}}' }],
  ];

  it.each(invalidHellos)('closes with 4000 HELLO_INVALID on a hello with %s', async (_, hello) => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url);
    raw.send({ type: 'hello', ...hello });
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason.startsWith('HELLO_INVALID')).toBe(true);
    expect(router.clients()).toEqual([]);
  });

  it('accepts a 128-character name and info of exactly 4096 bytes', async () => {
    await using router = await startRouter();
    const info = `{"json":"${'i'.repeat(4096 - '{"json":""}'.length)}"}`;
    expect(Buffer.byteLength(info)).toBe(4096);
    await using raw = await RawClient.welcomed(router.url, { name: 'n'.repeat(128), info });
    expect(raw.welcome!.name).toBe('n'.repeat(128));
    expect(router.clients()[0]!.info).toBe('i'.repeat(4096 - '{"json":""}'.length));
  });

  it('makes connect() reject with HELLO_INVALID for an oversized name', async () => {
    await using router = await startRouter();
    const error = await rejection(connect(router.url, { name: 'n'.repeat(129) }));
    expect(error.code).toBe('HELLO_INVALID');
    expect(error.closeCode).toBe(4000);
  });
});

describe('hello timeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes with 4002 a connection that sends no hello within helloTimeoutMs', async () => {
    await using router = await startRouter({ helloTimeoutMs: 5000 });
    // The hello timer is armed when the router accepts the socket, so fake the clock before opening.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using silent = await RawClient.open(router.url);
    await using late = await RawClient.open(router.url);
    await vi.advanceTimersByTimeAsync(4999);
    late.send({ type: 'hello', name: 'late' });
    expect((await late.next()).type).toBe('welcome');
    expect(silent.socket.readyState).toBe(WebSocket.OPEN);
    await vi.advanceTimersByTimeAsync(1);
    const { frames, close } = await silent.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4002);
    expect(close.reason.startsWith('PROTOCOL_HELLO_REQUIRED')).toBe(true);
    // The welcomed one is not timed out.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await late.drain()).toEqual([]);
    expect(router.clients().map((c) => c.name)).toEqual(['late']);
  });
});

describe('hello timeout while authenticate is pending', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // helloTimeoutMs bounds the time to the welcome; once the hello came, its end is not "no hello"
  // (4002, which a client reads as a router that ignored the hello in its upgrade) but 1013 AUTH_TIMEOUT.
  for (const where of ['upgrade', 'frame'] as const) {
    it(`closes 1013 AUTH_TIMEOUT, not 4002, when authenticate has not answered (hello in the ${where})`, async () => {
      const asked = deferred();
      await using router = await startRouter({
        helloTimeoutMs: 5000,
        authenticate: () => {
          asked.resolve();
          return new Promise<never>(() => {});
        },
      });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      await using raw = where === 'upgrade' ? await RawClient.openWithHello(router.url, { name: 'slow' }) : await RawClient.open(router.url);
      if (where === 'frame') raw.send({ type: 'hello', name: 'slow' });
      await asked.promise;
      await vi.advanceTimersByTimeAsync(4999);
      expect(raw.socket.readyState).toBe(WebSocket.OPEN);
      await vi.advanceTimersByTimeAsync(1);
      const { frames, close } = await raw.untilClosed();
      expect(frames).toEqual([]);
      expect(close.code).toBe(1013);
      expect(close.reason.startsWith('AUTH_TIMEOUT:')).toBe(true);
      expect(router.clients()).toEqual([]);
    });
  }
});

describe('maxConnections', () => {
  it('refuses one more with ROUTER_FULL / 1013, keeps the others working, and admits again after one leaves', async () => {
    await using router = await startRouter({ maxConnections: 3 });
    const clients: Client[] = [];
    for (const name of ['a', 'b', 'c']) clients.push(await connect(router.url, { name }));
    await using _cleanup = { [Symbol.asyncDispose]: () => Promise.all(clients.map((c) => c.close())).then(() => undefined) };

    const error = await rejection(connect(router.url, { name: 'd' }));
    expect(error.code).toBe('ROUTER_FULL');
    expect(error.closeCode).toBe(1013);

    // The three welcomed clients still publish and receive.
    const received = clients.map(() => [] as string[]);
    const allIn = deferred();
    for (const [i, client] of clients.entries()) {
      await client.subscribe('room', (data) => {
        received[i]!.push(String(data));
        if (received.every((r) => r.length === 3)) allIn.resolve();
      });
    }
    for (const client of clients) await client.publish('room', `from ${client.name}`);
    await allIn.promise;
    for (const r of received) expect(r).toEqual(['from a', 'from b', 'from c']);
    expect(router.clients().map((c) => c.name)).toEqual(['a', 'b', 'c']);

    const left = nextEvent<[ClientInfo, DisconnectDetail]>((listener) => router.on('disconnect', listener));
    await clients[0]!.close();
    expect((await left)[0].name).toBe('a');
    const d = await connect(router.url, { name: 'd' });
    clients.push(d);
    expect(d.state).toBe('open');
    expect(router.clients().map((c) => c.name)).toEqual(['b', 'c', 'd']);
  });
});

describe('HTTP', () => {
  it('answers an upgrade on another path with 404 when the router owns the server', async () => {
    await using router = await startRouter();
    const refused = await refusedUpgrade(`ws://127.0.0.1:${router.port}/elsewhere`);
    expect(refused.status).toBe(404);
    expect(refused.headers['x-herald-error']).toBe('CONNECTION_FAILED');
    // A query string does not change the path.
    await using raw = await RawClient.welcomed(`${router.url}?token=x`);
    expect(raw.welcome!.type).toBe('welcome');
  });

  it('answers a plain HTTP request with 426', async () => {
    await using router = await startRouter();
    expect((await httpStatus(`http://127.0.0.1:${router.port}/`)).status).toBe(426);
    expect((await httpStatus(`http://127.0.0.1:${router.port}/other`)).status).toBe(426);
  });

  it('attaches to an existing server, sharing its port and leaving other paths to it', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('the user app');
    });
    await using _server = {
      [Symbol.asyncDispose]: async () => {
        server.closeAllConnections();
        if (server.listening) await new Promise((resolve) => server.close(resolve));
      },
    };
    // The router may be created before the server listens: it waits.
    const starting = startRouter({ server, path: '/herald' });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    await using router = await starting;
    // The user's own upgrade listener, added after the router's: the router must leave /other to it.
    const upgradesSeen: string[] = [];
    server.on('upgrade', (request, socket) => {
      upgradesSeen.push(request.url ?? '');
      if (request.url === '/herald') return;
      socket.end("HTTP/1.1 418 I'm a teapot\r\nX-User-Upgrade: yes\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    });
    const { port } = server.address() as AddressInfo;

    expect(router.port).toBe(port);
    expect(router.url).toBe(`ws://127.0.0.1:${port}/herald`);
    await using raw = await RawClient.welcomed(router.url, { name: 'shared' });
    expect(raw.welcome!.name).toBe('shared');
    expect(await raw.drain()).toEqual([]);

    const other = await refusedUpgrade(`ws://127.0.0.1:${port}/other`);
    expect(other.status).toBe(418);
    expect(other.headers['x-user-upgrade']).toBe('yes');
    expect(upgradesSeen).toEqual(['/herald', '/other']);

    expect(await httpStatus(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'the user app' });
  });
});
