/**
 * The WebSocket a Node client uses when the options name none (default-websocket.ts): `ws`
 * without the permessage-deflate offer, which a Herald router never accepts, and with plain
 * handler properties instead of `ws`'s wrapping accessors (issue 16: both cost every connect).
 * A WebSocket passed in is used as it is.
 */
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocketConstructor, connect } from '@herald/client';
import { HELLO_SUBPROTOCOL_PREFIX } from '@herald/protocol';
import { startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { defaultWebSocket } from '../src/default-websocket.js';
import type { SocketLike } from '../src/socket.js';

const WELCOME = JSON.stringify({
  type: 'welcome',
  version: 1,
  id: 'c1',
  name: 'c1',
  resume: 'c1.x',
  router: { id: 'r1', name: 'router' },
  maxPayload: 1_048_576,
  heartbeatMs: 0,
  heartbeatTimeoutMs: 0,
});

/** A stand-in router that records each upgrade request's headers and welcomes every socket. */
async function recordingRouter(): Promise<{ url: string; requests: IncomingHttpHeaders[]; [Symbol.asyncDispose](): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'herald.v1.superjson' });
  await once(server, 'listening');
  const requests: IncomingHttpHeaders[] = [];
  server.on('connection', (socket, request) => {
    requests.push(request.headers);
    socket.send(WELCOME);
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      for (const socket of server.clients) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the default WebSocket in Node', () => {
  it('offers no permessage-deflate: the upgrade carries the codec and the hello, no extension', async () => {
    await using router = await recordingRouter();
    await using client = await connect(router.url, { name: 'Kirk', reconnect: false });
    expect(client.state).toBe('open');
    expect(router.requests).toHaveLength(1);
    const headers = router.requests[0]!;
    expect(headers['sec-websocket-extensions']).toBeUndefined();
    const offered = headers['sec-websocket-protocol']!.split(',').map((entry) => entry.trim());
    expect(offered).toHaveLength(2);
    expect(offered[0]).toBe('herald.v1.superjson');
    expect(offered[1]!.startsWith(HELLO_SUBPROTOCOL_PREFIX)).toBe(true);
  });

  it('a WebSocket passed in is used as it is (ws offers permessage-deflate by default)', async () => {
    await using router = await recordingRouter();
    await using client = await connect(router.url, { reconnect: false, WebSocket: WebSocket as unknown as WebSocketConstructor });
    expect(client.state).toBe('open');
    expect(router.requests.map((headers) => headers['sec-websocket-extensions'])).toEqual(['permessage-deflate; client_max_window_bits']);
  });

  it('a router accepts no permessage-deflate offer (PROTOCOL.md §1): the offer would buy nothing', async () => {
    await using router = await startRouter();
    const socket = new WebSocket(router.url, 'herald.v1.superjson'); // ws offers permessage-deflate by default
    try {
      await once(socket, 'open');
      expect(socket.protocol).toBe('herald.v1.superjson');
      expect(socket.extensions).toBe('');
    } finally {
      socket.terminate();
    }
  });

  it('works against a real router: open, publish and receive, close', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, { name: 'Spock' });
    const received: unknown[] = [];
    let got!: () => void;
    const arrived = new Promise<void>((resolve) => (got = resolve));
    await client.subscribe('news', (data) => {
      received.push(data);
      got();
    });
    await router.publish('news', { at: new Date(0) });
    await arrived;
    expect(received).toEqual([{ at: new Date(0) }]);
    expect(router.clients().map((c) => c.name)).toEqual(['Spock']);
  });
});

/** A `ws` server on port 0 that selects the first subprotocol offered; `serve` runs per socket. */
async function plainServer(serve: (socket: WebSocket) => void): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => [...offered][0] ?? false });
  await once(server, 'listening');
  server.on('connection', serve);
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      for (const socket of server.clients) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Records a socket's events, through its handler properties, as [type, what it carried]. */
function record(socket: SocketLike): { events: unknown[][]; closed: Promise<void> } {
  const events: unknown[][] = [];
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  socket.onopen = () => events.push(['open', socket.readyState, socket.protocol]);
  socket.onmessage = (event) => events.push(['message', event.data]);
  socket.onerror = (event) => events.push(['error', typeof (event as { message?: unknown }).message, (event as { error?: unknown }).error instanceof Error]);
  socket.onclose = (event) => {
    events.push(['close', event.code, event.reason]);
    done();
  };
  return { events, closed };
}

describe('defaultWebSocket (Node): the handler properties', () => {
  it('deliver open, text as a string, binary as bytes, and the close code and reason, in order', async () => {
    await using server = await plainServer((socket) => {
      socket.send('{"type":"welcome"}');
      socket.send(new Uint8Array([1, 2, 3]));
      socket.close(4321, 'bye');
    });
    const socket = new defaultWebSocket(server.url, ['herald.v1.json', 'other']);
    const { events, closed } = record(socket);
    await closed;
    expect(events.map((e) => (e[0] === 'message' && typeof e[1] !== 'string' ? ['message', [...(e[1] as Uint8Array)]] : e))).toEqual([
      ['open', 1, 'herald.v1.json'],
      ['message', '{"type":"welcome"}'],
      ['message', [1, 2, 3]],
      ['close', 4321, 'bye'],
    ]);
  });

  it('a handler set to null hears nothing; a new one replaces the old', async () => {
    await using server = await plainServer((socket) => {
      socket.on('message', (data) => socket.send(String(data)));
    });
    const socket = new defaultWebSocket(server.url, 'herald.v1.json');
    const first: unknown[] = [];
    const second: unknown[] = [];
    await new Promise<void>((resolve) => (socket.onopen = () => resolve()));
    socket.onmessage = (event) => first.push(event.data);
    const echoed = (text: string): Promise<void> =>
      new Promise((resolve) => {
        const previous = socket.onmessage;
        socket.onmessage = (event) => {
          previous?.(event);
          if (event.data === text) resolve();
        };
        socket.send(text);
      });
    await echoed('a');
    socket.onmessage = (event) => second.push(event.data);
    await echoed('b');
    socket.onmessage = null;
    socket.onclose = null;
    socket.send('c'); // heard by no one, and no error
    const gone = new Promise<void>((resolve) => (socket as unknown as WebSocket).once('close', () => resolve()));
    socket.close(1000, 'done');
    await gone;
    expect(first).toEqual(['a']);
    expect(second).toEqual(['b']);
  });

  it('a failed connection: an error event with the cause, then close 1006; without onerror nothing throws', async () => {
    // A port that was just free: nothing listens there.
    const probe = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(probe, 'listening');
    const url = `ws://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const socket = new defaultWebSocket(url, 'herald.v1.json');
    const { events, closed } = record(socket);
    await closed;
    expect(events).toEqual([
      ['error', 'string', true],
      ['close', 1006, ''],
    ]);
    const silent = new defaultWebSocket(url, 'herald.v1.json');
    // (events.once would listen for 'error' itself: a plain listener for 'close' only.)
    await new Promise((resolve) => (silent as unknown as WebSocket).on('close', resolve));
    expect(silent.readyState).toBe(3);
  });
});
