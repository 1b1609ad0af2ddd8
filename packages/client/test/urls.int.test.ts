/**
 * `connect(urls)` with a list of routers (issue 13): the first connect tries each URL in turn, every
 * reconnect attempt dials the next one (as NATS clients do), so a client whose router died reaches
 * another; `client.url` and `client.router` tell which router it is on. Real routers on port 0; the
 * killed one runs in a child process (SIGKILL), so build first (`pnpm build`).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reachState, spawnRouter, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type ConnectOptions, ConnectionError, ErrorCode, HeraldError, type MessageMeta, connect } from '../src/index.js';

const FAST: ConnectOptions = { reconnect: { minDelayMs: 5, maxDelayMs: 20 }, randomizeUrls: false };

/** An HTTP server that refuses every upgrade with 503 (a router that is there but cannot serve). */
async function unavailable(): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> }> {
  const server = createServer((_request, response) => response.writeHead(503).end());
  server.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('connect(urls): a list of routers', () => {
  it('keeps connect(url): one URL, url and urls say it', async () => {
    await using router = await startRouter();
    await using client = await connect(router.url, FAST);
    expect(client.url).toBe(router.url);
    expect(client.urls).toEqual([router.url]);
    expect(client.router.id).toBe(router.id);
  });

  it('a client whose router is SIGKILLed reconnects to the next router of its list, and says which', async () => {
    const first = await spawnRouter();
    await using second = await startRouter({ name: 'second' });
    await using third = await startRouter({ name: 'third' });
    try {
      await using client = await connect([first.url, second.url, third.url], FAST);
      expect(client.url).toBe(first.url);
      const firstId = client.router.id;
      expect(firstId).not.toBe(second.id);

      const received: string[] = [];
      await client.subscribe('news', (data, meta: MessageMeta) => received.push(`${meta.publisher.id}:${String(data)}`));
      const reconnected = reachState(client, 'reconnecting');
      const back = reachState(client, 'open');
      await first.kill();
      expect(await reconnected).toMatchObject({ reason: 'connection_lost' });
      expect(await back).toEqual({ from: 'reconnecting', to: 'open', reason: 'welcomed' });

      // On the second router now: client.router and client.url say so, and the subscription is back.
      expect(client.router).toEqual({ id: second.id, name: 'second' });
      expect(client.url).toBe(second.url);
      await client.ping(); // the resubscription went before it
      expect(second.clients().map((c) => c.subscriptions)).toEqual([['news']]);
      await second.publish('news', 'after the failover');
      await client.ping();
      expect(received).toEqual([`${second.id}:after the failover`]);
    } finally {
      await first.kill();
    }
  });

  it('rotates on: each router that goes away (1001) sends the client to the next of the list', async () => {
    await using a = await startRouter({ name: 'a' });
    await using b = await startRouter({ name: 'b' });
    await using c = await startRouter({ name: 'c' });
    await using client = await connect([a.url, b.url, c.url], FAST);
    const visited = [client.router.name];
    for (const router of [a, b]) {
      const back = reachState(client, 'open');
      await router.close();
      await back;
      visited.push(client.router.name);
    }
    expect(visited).toEqual(['a', 'b', 'c']);
    expect(client.url).toBe(c.url);
  });

  it('the first connect tries each URL once, at once, until one welcomes the client', async () => {
    await using down = await unavailable();
    await using router = await startRouter({ name: 'up' });
    await using client = await connect([down.url, router.url], FAST);
    expect(client.router.name).toBe('up');
    expect(client.url).toBe(router.url);
  });

  it('fails the first connect with the last error when no URL welcomes the client', async () => {
    await using down1 = await unavailable();
    await using down2 = await unavailable();
    const error = await connect([down1.url, down2.url], FAST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe(ErrorCode.CONNECTION_FAILED);
  });

  it('shuffles the list with the client random unless randomizeUrls is false', async () => {
    await using a = await startRouter({ name: 'a' });
    await using b = await startRouter({ name: 'b' });
    await using c = await startRouter({ name: 'c' });
    // Fisher–Yates with random() = 0 always swaps with index 0: [a,b,c] → [b,c,a].
    await using client = await connect([a.url, b.url, c.url], { random: () => 0 });
    expect(client.urls).toEqual([b.url, c.url, a.url]);
    expect(client.router.name).toBe('b');
  });

  it('refuses an empty list with OPTION_INVALID (connect-options.int.test.ts has the other bad shapes)', async () => {
    const error = await connect([], FAST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldError);
    expect((error as HeraldError).code).toBe(ErrorCode.OPTION_INVALID);
  });
});
