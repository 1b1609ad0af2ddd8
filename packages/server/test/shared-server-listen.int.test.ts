/**
 * `createRouter({ server })` with a server that is not listening yet (shared-listen.ts, README
 * "Router"): a listen started in createRouter's turn is awaited (`LISTEN_FAILED` when it fails);
 * otherwise createRouter resolves at once with the router attached, takes upgrades once the server
 * listens, `url`/`port` throw and `/readyz` is not ready until then. Every order, on real servers on
 * 127.0.0.1 and port 0 (a taken port is one a server of the test holds); no sleeps.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server as HttpServer, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeraldError } from '@herald/protocol';
import { RawClient, expectError, rejection, thrown } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Router, type RouterOptions, createRouter } from '../src/index.js';
import { holder } from './port-holder.fixture.js';

const portOf = (server: HttpServer): number => (server.address() as AddressInfo).port;


/** The listeners the router may add to a shared server, by event. */
const listeners = (server: HttpServer): Record<string, number> =>
  Object.fromEntries(['upgrade', 'listening', 'error', 'request'].map((event) => [event, server.listenerCount(event)]));
/** A fresh server's own listeners (Node's http.Server listens to its `listening`). */
const NONE = listeners(createServer());
/** A router attached to a server that does not listen yet: its upgrade listener, and the one that logs when the server listens. */
const ATTACHED = { ...NONE, upgrade: NONE.upgrade! + 1, listening: NONE.listening! + 1 };

/** A router's log messages, in order. */
function logged(): { messages: string[]; options: Pick<RouterOptions, 'logger' | 'logRateLimit'> } {
  const messages: string[] = [];
  return { messages, options: { logger: { log: (_level, message) => messages.push(message) }, logRateLimit: false } };
}

/** The HTTP status of GET `url`, on a connection of its own. */
async function statusOf(url: string): Promise<number> {
  const request = get(url, { agent: false });
  const [response] = (await once(request, 'response')) as [import('node:http').IncomingMessage];
  response.resume();
  await once(response, 'end');
  return response.statusCode ?? 0;
}

const readyzOf = (router: Router): string => router.metricsUrl!.replace(/\/metrics$/, '/readyz');

async function closeServer(server: HttpServer): Promise<void> {
  if (!server.listening) return;
  server.close();
  await once(server, 'close');
}

/**
 * The end of every order: a real client is welcomed through the shared server, then the router
 * closes and leaves no listener on it (the application's server: the router never closes it).
 */
async function servesThenDetaches(router: Router, server: HttpServer): Promise<void> {
  {
    await using client = await RawClient.welcomed(router.url);
    expect(client.welcome?.type).toBe('welcome');
  }
  await router.close();
  expect(listeners(server)).toEqual(NONE);
  expect(server.listening).toBe(true);
  await closeServer(server);
}

describe('createRouter: a shared server that is not listening yet', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('createRouter, then listen (the usual order): resolves at once; url, port and /readyz wait for the listen; then a client is welcomed', async () => {
    const server = createServer();
    const log = logged();
    const router = await createRouter({ ...log.options, server, metrics: { port: 0 } });
    expect(server.listening).toBe(false);
    expect(listeners(server)).toEqual(ATTACHED);
    expect(thrown(() => router.url)).toBeInstanceOf(Error);
    expect(thrown(() => router.port)).toBeInstanceOf(Error);
    expect(thrown(() => router.url)).not.toBeInstanceOf(HeraldError);
    expect(await router.health()).toMatchObject({ status: 'not_ready', listening: false, closing: false });
    expect(await statusOf(readyzOf(router))).toBe(503);
    expect(log.messages).not.toContain('router listening');

    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(log.messages.filter((message) => message === 'router listening')).toHaveLength(1);
    expect(router.url).toBe(`ws://127.0.0.1:${portOf(server)}/`);
    expect(router.port).toBe(portOf(server));
    expect(await router.health()).toMatchObject({ status: 'ready', listening: true });
    expect(await statusOf(readyzOf(router))).toBe(200);
    await servesThenDetaches(router, server);
  });

  it('listen, then createRouter (already listening): resolves listening', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const log = logged();
    await using router = await createRouter({ ...log.options, server });
    expect(log.messages).toContain('router listening');
    await using client = await RawClient.welcomed(router.url);
    expect(client.welcome?.type).toBe('welcome');
    await router.close();
    await closeServer(server);
  });

  it('a listen started in the same turn, before or after createRouter: resolves with the server listening', async () => {
    for (const listenFirst of [true, false]) {
      const server = createServer();
      const log = logged();
      if (listenFirst) server.listen(0, '127.0.0.1');
      const starting = createRouter({ ...log.options, server });
      if (!listenFirst) server.listen(0, '127.0.0.1');
      expect(server.listening).toBe(false); // Node settles a listen on an IP address on the next ticks
      const router = await starting;
      expect(server.listening).toBe(true);
      expect(router.url).toBe(`ws://127.0.0.1:${portOf(server)}/`);
      expect(log.messages.filter((message) => message === 'router listening')).toHaveLength(1);
      await servesThenDetaches(router, server);
    }
  });

  it('a listen on a host name (a DNS lookup first): createRouter resolves whether or not it settled, and the router serves once it does', async () => {
    const server = createServer();
    server.listen(0, 'localhost');
    await using router = await createRouter({ logger: false, server });
    if (!server.listening) await once(server, 'listening');
    await using client = await RawClient.welcomed(router.url);
    expect(client.welcome?.type).toBe('welcome');
    await router.close();
    await closeServer(server);
  });

  it('a listen of the same turn failing (EADDRINUSE): LISTEN_FAILED, retryable; the application still gets its error; nothing of the router stays', async () => {
    await using taken = await holder();
    for (const listenFirst of [true, false]) {
      const server = createServer();
      const appErrors: unknown[] = [];
      server.on('error', (error) => appErrors.push(error));
      if (listenFirst) server.listen(portOf(taken), '127.0.0.1');
      const starting = createRouter({ logger: false, server });
      if (!listenFirst) server.listen(portOf(taken), '127.0.0.1');
      const error = expectError(await rejection(starting), HeraldError, 'LISTEN_FAILED');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      expect(error.retryable).toBe(true);
      expect(appErrors).toEqual([error.cause]);
      expect([server.listening, listeners(server)]).toEqual([false, { ...NONE, error: NONE.error! + 1 }]);
    }
  });

  it('a listen of the same turn failing on a server with no error listener: LISTEN_FAILED rather than an uncaught error', async () => {
    await using taken = await holder();
    const server = createServer();
    server.listen(portOf(taken), '127.0.0.1');
    expectError(await rejection(createRouter({ logger: false, server })), HeraldError, 'LISTEN_FAILED');
    expect(listeners(server)).toEqual(NONE);
  });

  it("a later listen failing (EADDRINUSE) is the server's own error event; the router stays attached and serves when the server listens elsewhere", async () => {
    await using taken = await holder();
    const server = createServer();
    const log = logged();
    await using router = await createRouter({ ...log.options, server });
    server.listen(portOf(taken), '127.0.0.1');
    const [error] = (await once(server, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EADDRINUSE');
    expect(log.messages).not.toContain('router listening');
    expect(thrown(() => router.url)).toBeInstanceOf(Error);

    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(log.messages.filter((message) => message === 'router listening')).toHaveLength(1);
    await servesThenDetaches(router, server);
  });

  it('a shared server that then listens on a Unix socket: the router logs, without a URL, and nothing throws', async () => {
    const server = createServer();
    const log = logged();
    await using router = await createRouter({ ...log.options, server });
    const dir = await mkdtemp(join(tmpdir(), 'herald-'));
    server.listen(join(dir, 'router.sock'));
    await once(server, 'listening');
    expect(log.messages).toContain('router listening');
    expect(thrown(() => router.url)).toBeInstanceOf(Error);
    await router.close();
    await closeServer(server);
    await rm(dir, { recursive: true });
  });

  it("under a test's fake timers (the global setImmediate faked too): createRouter resolves without the clock advancing", async () => {
    vi.useFakeTimers();
    const server = createServer();
    const router = await createRouter({ logger: false, server });
    expect(listeners(server)).toEqual(ATTACHED);
    await router.close();
    expect(listeners(server)).toEqual(NONE);
  });

  it('close before the server ever listened: resolves, and leaves no listener on the server and no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const server = createServer();
    const router = await createRouter({ logger: false, server });
    expect(listeners(server)).toEqual(ATTACHED);
    await router.close();
    expect(listeners(server)).toEqual(NONE);
    expect(vi.getTimerCount()).toBe(0);
    expect(server.listening).toBe(false);
  });
});
