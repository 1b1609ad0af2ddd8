/**
 * The client puts its hello in the upgrade request (issue 16, PROTOCOL.md §2 "Hello in the
 * upgrade"): no hello frame, the welcome comes with the 101. A hello too large for the entry, the
 * option turned off, or a router older than the entry (close 4002) gets the hello as a frame; a
 * slow `authenticate` (close 1013 AUTH_TIMEOUT) does not turn the entry off.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocketConstructor, connect } from '@herald/client';
import { HELLO_SUBPROTOCOL_PREFIX, decodeHelloSubprotocol } from '@herald/protocol';
import { deferred, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

/** `ws` recording the subprotocols each socket offers and the frames it sends. */
function recording(offers: string[][], sent: string[]): WebSocketConstructor {
  const Base = WebSocket as unknown as WebSocketConstructor;
  return class Recording extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      offers.push(typeof protocols === 'string' ? [protocols] : [...(protocols ?? [])]);
    }
    override send(data: string): void {
      sent.push(data);
      super.send(data);
    }
  };
}

const helloOf = (offer: string[]): unknown => {
  const entry = offer.find((p) => p.startsWith(HELLO_SUBPROTOCOL_PREFIX));
  if (entry === undefined) return undefined;
  const decoded = decodeHelloSubprotocol(entry);
  return decoded.ok ? decoded.value : decoded.error.code;
};

describe('the hello in the upgrade request', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a slow authenticate (1013 AUTH_TIMEOUT) is no old router: the client retries with backoff, the hello still in the upgrade', async () => {
    // The reconnect's first authenticate never answers; every other one does at once.
    let calls = 0;
    const stuck = deferred();
    await using router = await startRouter({
      helloTimeoutMs: 5000,
      authenticate: () => {
        if (++calls !== 2) return { user: 'sulu', permissions: { allow: {} } };
        stuck.resolve();
        return new Promise<never>(() => {});
      },
    });
    const offers: string[][] = [];
    const sent: string[] = [];
    await using client = await connect(router.url, { name: 'Sulu', random: () => 0.5, reconnect: { minDelayMs: 1000, maxDelayMs: 1000 }, WebSocket: recording(offers, sent) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const attempts: Array<{ attempt: number; delayMs: number; code: string | undefined }> = [];
    const retried = [deferred(), deferred()];
    client.on('reconnect', ({ attempt, delayMs, error }) => {
      attempts.push({ attempt, delayMs, code: (error as { code?: string } | undefined)?.code });
      retried[attempt - 1]?.resolve();
    });
    const reopened = new Promise<void>((resolve) => client.on('statechange', (change) => change.to === 'open' && resolve()));
    router.disconnect(client.id, { terminate: true });
    await retried[0]!.promise;
    await vi.advanceTimersByTimeAsync(500); // the first backoff
    await stuck.promise;
    // The router gives up on authenticate: 1013. (A client that took it for an old router would
    // redial at once, without the entry and without a second backoff.)
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.race([retried[1]!.promise, reopened]);
    await vi.advanceTimersByTimeAsync(500); // the second backoff
    await reopened;
    expect(attempts).toEqual([
      { attempt: 1, delayMs: 500, code: undefined },
      { attempt: 2, delayMs: 500, code: 'AUTH_TIMEOUT' },
    ]);
    expect(calls).toBe(3);
    expect(offers.map(helloOf)).toEqual([0, 1, 2].map(() => expect.objectContaining({ type: 'hello', name: 'Sulu' })));
    expect(sent).toEqual([]);
  });

  it('is how the client connects: one entry beside the codec, no hello frame, the identity applies', async () => {
    await using router = await startRouter();
    const offers: string[][] = [];
    const sent: string[] = [];
    await using client = await connect(router.url, { name: 'Kirk', info: { rank: 'captain' }, WebSocket: recording(offers, sent) });
    expect(offers).toHaveLength(1);
    expect(offers[0]![0]).toBe('herald.v1.superjson');
    expect(helloOf(offers[0]!)).toEqual({ type: 'hello', name: 'Kirk', info: '{"json":{"rank":"captain"}}' });
    expect(sent).toEqual([]);
    expect(router.clients().map((c) => [c.id, c.name, c.info])).toEqual([[client.id, 'Kirk', { rank: 'captain' }]]);
  });

  it('carries the resume token on a reconnect: the same id again', async () => {
    await using router = await startRouter();
    const offers: string[][] = [];
    await using client = await connect(router.url, { WebSocket: recording(offers, []), random: () => 0 });
    const id = client.id;
    const reopened = new Promise<void>((resolve) => client.on('statechange', (change) => change.to === 'open' && resolve()));
    router.disconnect(id, { terminate: true });
    await reopened;
    expect(client.id).toBe(id);
    expect(helloOf(offers[1]!)).toMatchObject({ type: 'hello', resume: expect.stringMatching(new RegExp(`^${id}\\.`)) });
  });

  it('a hello too large for the entry goes as the first frame', async () => {
    await using router = await startRouter();
    const offers: string[][] = [];
    const sent: string[] = [];
    await using client = await connect(router.url, { info: 'x'.repeat(3500), WebSocket: recording(offers, sent) });
    expect(offers).toEqual([['herald.v1.superjson']]);
    expect(sent.map((frame) => JSON.parse(frame).type)).toEqual(['hello']);
    expect(router.clients()[0]!.info).toBe('x'.repeat(3500));
    expect(client.state).toBe('open');
  });

  it('helloInUpgrade: false sends it as the first frame', async () => {
    await using router = await startRouter();
    const offers: string[][] = [];
    const sent: string[] = [];
    await using client = await connect(router.url, { name: 'Spock', helloInUpgrade: false, WebSocket: recording(offers, sent) });
    expect(offers).toEqual([['herald.v1.superjson']]);
    expect(sent.map((frame) => JSON.parse(frame))).toEqual([{ type: 'hello', name: 'Spock' }]);
    expect(client.name).toBe('Spock');
  });

  it('a router older than the entry (it closes 4002 waiting for a hello frame): the client sends the hello as a frame from then on', async () => {
    // A router of before the hello in the upgrade, whose hello timeout fires on the first socket.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'herald.v1.superjson' });
    await once(server, 'listening');
    let sockets = 0;
    server.on('connection', (socket) => {
      if (++sockets === 1) return socket.close(4002, 'PROTOCOL_HELLO_REQUIRED: no hello within 5000 ms');
      socket.once('message', (data) => {
        expect(JSON.parse(String(data))).toEqual({ type: 'hello', name: 'Uhura' });
        socket.send(
          JSON.stringify({ type: 'welcome', version: 1, id: 'c1', name: 'Uhura', resume: 'c1.x', router: { id: 'r1', name: 'router' }, maxPayload: 1_048_576, heartbeatMs: 0, heartbeatTimeoutMs: 0 }),
        );
      });
    });
    try {
      const offers: string[][] = [];
      const sent: string[] = [];
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await using client = await connect(url, { name: 'Uhura', reconnect: false, WebSocket: recording(offers, sent) });
      expect(client.state).toBe('open');
      expect(offers.map(helloOf)).toEqual([{ type: 'hello', name: 'Uhura' }, undefined]);
      expect(sent.map((frame) => JSON.parse(frame).type)).toEqual(['hello']);
    } finally {
      for (const socket of server.clients) socket.terminate();
      server.close();
    }
  });
});
