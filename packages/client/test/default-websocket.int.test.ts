/**
 * The WebSocket a Node client uses when the options name none (default-websocket.ts): `ws`
 * without the permessage-deflate offer, which a Herald router never accepts (issue 16: the offer
 * cost every connect its header and the deflate settings). A WebSocket passed in is used as it is.
 */
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocketConstructor, connect } from '@herald/client';
import { HELLO_SUBPROTOCOL_PREFIX } from '@herald/protocol';
import { startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

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
