/**
 * A port that cannot be opened rejects `createRouter` with `LISTEN_FAILED` (the Node error as its
 * `cause`), for the router's port, its metrics port and a shared server, and leaves nothing behind:
 * every server the router made is closed, no listener stays on a shared server, no timer runs,
 * the engine is closed. Only loopback is used: a taken port is one a server of the test holds on
 * 127.0.0.1; an address that is not this machine's (TEST-NET, RFC 5737) is only bound, never
 * contacted; a host name that does not resolve is answered by a stubbed lookup (no DNS query).
 */
import dns from 'node:dns';
import { once } from 'node:events';
import { type Server as HttpServer, createServer } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { HeraldError } from '@herald/protocol';
import { RawClient, expectError, rejection } from '@herald/testkit';
import { type MockInstance, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryEngine, type RouterOptions, createRouter } from '../src/index.js';
import { holder } from './port-holder.fixture.js';


const portOf = (server: HttpServer): number => (server.address() as AddressInfo).port;

/** An address of TEST-NET (RFC 5737) that is not one of this machine's: binding it fails with EADDRNOTAVAIL. */
function foreignAddress(): string {
  const own = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)));
  const address = ['192.0.2.1', '198.51.100.1', '203.0.113.1'].find((candidate) => !own.has(candidate));
  if (address === undefined) throw new Error('every TEST-NET address is this machine\'s');
  return address;
}

describe('createRouter: a port that cannot be opened', () => {
  let listen: MockInstance<NetServer['listen']>;

  beforeEach(() => {
    listen = vi.spyOn(NetServer.prototype, 'listen') as MockInstance<NetServer['listen']>;
    // Timers only (the sockets stay real): whatever the router started and left must show here.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** createRouter with `options` rejects with LISTEN_FAILED whose cause has `cause`; nothing is left. */
  async function refused(options: RouterOptions, cause: string): Promise<HeraldError> {
    const engine = new MemoryEngine();
    const close = vi.spyOn(engine, 'close');
    const error = expectError(await rejection(createRouter({ logger: false, engine, ...options })), HeraldError, 'LISTEN_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe(cause);
    expect(close).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    // Every server the router made (its own, its metrics port) is closed.
    expect(listen.mock.contexts.map((server) => (server as NetServer).listening)).toEqual(listen.mock.contexts.map(() => false));
    return error;
  }

  it('a port in use (EADDRINUSE): retryable; the holder keeps it, and the router starts on a free port afterwards', async () => {
    await using taken = await holder();
    listen.mockClear();
    const error = await refused({ port: portOf(taken), host: '127.0.0.1' }, 'EADDRINUSE');
    expect(error.retryable).toBe(true);
    expect(taken.listening).toBe(true);
    vi.useRealTimers();
    await using router = await createRouter({ logger: false, port: 0 });
    await using client = await RawClient.welcomed(router.url);
    expect(client.welcome?.type).toBe('welcome');
  });

  it("a host that is not this machine's address (EADDRNOTAVAIL): not retryable", async () => {
    const error = await refused({ host: foreignAddress() }, 'EADDRNOTAVAIL');
    expect(error.retryable).toBe(false);
  });

  it('a host name that does not resolve (ENOTFOUND)', async () => {
    const lookup = vi.spyOn(dns, 'lookup').mockImplementation(((host: string, ...rest: unknown[]) => {
      const callback = rest.at(-1) as (error: Error) => void;
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host }));
    }) as typeof dns.lookup);
    await refused({ host: 'router.invalid' }, 'ENOTFOUND');
    expect(lookup.mock.calls.map((call) => call[0])).toEqual(['router.invalid']);
  });

  it('the metrics port in use: the router does not open its own port', async () => {
    await using taken = await holder();
    listen.mockClear();
    await refused({ metrics: { port: portOf(taken) } }, 'EADDRINUSE');
    expect(listen).toHaveBeenCalledTimes(1); // the metrics server's attempt, nothing after
  });

  it("the router's port in use after its metrics port opened: the metrics port is closed again", async () => {
    await using taken = await holder();
    listen.mockClear();
    await refused({ port: portOf(taken), metrics: { port: 0 } }, 'EADDRINUSE');
    expect(listen).toHaveBeenCalledTimes(2); // metrics (opened, then closed), then the router's own
  });

  it('a shared server whose listen fails: LISTEN_FAILED, and the router takes its upgrade listener back', async () => {
    await using taken = await holder();
    const server = createServer();
    server.on('error', () => {}); // the application's own handling of its server's errors
    const starting = createRouter({ logger: false, server });
    server.listen(portOf(taken), '127.0.0.1');
    expectError(await rejection(starting), HeraldError, 'LISTEN_FAILED');
    expect([server.listening, server.listenerCount('upgrade')]).toEqual([false, 0]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
