/** Shutting a router down: every client told 1001, sockets gone, port free, the user's server left alone. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer, get as httpGet } from 'node:http';
import { type Socket, connect as tcpConnect, createServer as createTcpServer } from 'node:net';
import { type StateChange, connect } from '@herald/client';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

function httpStatus(url: string, agent?: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** A TCP socket that completes a WebSocket upgrade by hand and then never answers anything. */
async function deafSocket(port: number, path = '/') {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake?.();
  });
  socket.on('close', () => wake?.());
  await once(socket, 'connect');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Protocol: herald.v1.superjson\r\n\r\n',
  );
  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) {
      if (socket.destroyed) throw new Error('the socket closed');
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const headerEnd = (): number => received.indexOf('\r\n\r\n');
  await until(() => headerEnd() !== -1);
  expect(received.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
  const frames = (): Buffer => received.subarray(headerEnd() + 4);
  return {
    socket,
    /** Resolves once the router sent a close frame (opcode 8) with this code. */
    async closeFrame(): Promise<number> {
      await until(() => frames().length >= 4);
      expect(frames()[0]).toBe(0x88);
      return frames().readUInt16BE(2);
    },
    closed: new Promise<void>((resolve) => socket.on('close', () => resolve())),
    [Symbol.dispose](): void {
      socket.destroy();
    },
  };
}

describe('router.close()', () => {
  it('closes every client with 1001 and resolves once all their sockets are gone', async () => {
    await using router = await startRouter();
    await using raw1 = await RawClient.welcomed(router.url, { name: 'raw1' });
    await using raw2 = await RawClient.welcomed(router.url, { name: 'raw2' });
    await using unwelcomed = await RawClient.open(router.url);
    await using api1 = await connect(router.url, { name: 'api1', reconnect: false });
    await using api2 = await connect(router.url, { name: 'api2', reconnect: false });
    const changes: StateChange[] = [];
    for (const api of [api1, api2]) api.on('statechange', (change) => changes.push(change));
    const disconnects: Array<[string, number]> = [];
    router.on('disconnect', (client, detail) => disconnects.push([client.name, detail.code]));
    expect(router.stats().connections).toBe(5);

    await router.close();
    expect(router.stats().connections).toBe(0);
    expect(disconnects.sort()).toEqual([
      ['api1', 1001],
      ['api2', 1001],
      ['raw1', 1001],
      ['raw2', 1001],
    ]);
    for (const raw of [raw1, raw2, unwelcomed]) {
      const { code, reason } = await raw.closed;
      expect(code).toBe(1001);
      expect(reason.startsWith('GOING_AWAY')).toBe(true);
    }
    await Promise.all([api1, api2].map((api) => new Promise<void>((resolve) => (api.state === 'closed' ? resolve() : api.on('statechange', () => resolve())))));
    expect(api1.state).toBe('closed');
    expect(api2.state).toBe('closed');
    expect(changes).toEqual([
      { from: 'open', to: 'closed', reason: 'router_closed', code: 1001 },
      { from: 'open', to: 'closed', reason: 'router_closed', code: 1001 },
    ]);
  });

  it('frees the port, even with an idle HTTP keep-alive connection open', async () => {
    const agent = new Agent({ keepAlive: true });
    using _agent = { [Symbol.dispose]: () => agent.destroy() };
    await using router = await startRouter();
    const port = router.port;
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    expect(await httpStatus(`http://127.0.0.1:${port}/`, agent)).toBe(426);
    await router.close();
    expect((await raw.closed).code).toBe(1001);

    await using again = await startRouter({ port });
    expect(again.port).toBe(port);
    await using client = await RawClient.welcomed(again.url, { name: 'again' });
    expect(client.welcome!.router.id).toBe(again.id);
    await again.close();

    const tcp = createTcpServer();
    tcp.listen(port, '127.0.0.1');
    await once(tcp, 'listening');
    await new Promise((resolve) => tcp.close(resolve));
  });

  it('is safe to call twice, and after it finished', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    const first = router.close();
    const second = router.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await router.close();
    await router[Symbol.asyncDispose]();
    expect((await raw.closed).code).toBe(1001);
  });

  it('leaves a user server open, and its upgrade path free for another router', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200);
      response.end('user');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    await using _server = {
      [Symbol.asyncDispose]: async () => {
        server.closeAllConnections();
        if (server.listening) await new Promise((resolve) => server.close(resolve));
      },
    };
    await using router = await startRouter({ server, path: '/herald' });
    await using raw = await RawClient.welcomed(router.url, { name: 'raw' });
    const url = router.url;
    await router.close();
    expect((await raw.closed).code).toBe(1001);
    expect(server.listening).toBe(true);
    expect(await httpStatus(url.replace('ws:', 'http:'))).toBe(200);

    await using next = await startRouter({ server, path: '/herald' });
    await using client = await RawClient.welcomed(next.url, { name: 'next' });
    expect(client.welcome!.router.id).toBe(next.id);
    expect(await client.drain()).toEqual([]);
    expect(server.listenerCount('upgrade')).toBe(1);
  });
});

describe('router.close() with a client that never answers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cuts it after shutdownTimeoutMs and only then resolves', async () => {
    await using router = await startRouter({ shutdownTimeoutMs: 500 });
    using deaf = await deafSocket(router.port);
    await using polite = await RawClient.welcomed(router.url, { name: 'polite' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let done = false;
    const closing = router.close().then(() => (done = true));
    expect(await deaf.closeFrame()).toBe(1001);
    expect((await polite.closed).code).toBe(1001);
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    expect(router.stats().connections).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    await deaf.closed;
    expect(router.stats().connections).toBe(0);
  });
});
