/**
 * `createRouter({ server })`: the servers a router can share (an http.Server, an https.Server, an
 * HTTP/2 secure server taking HTTP/1.1) take real upgrades; anything else (an HTTP/2 secure server
 * without `allowHTTP1: true` too) is refused with
 * `OPTION_INVALID` before anything listens, and nothing is left on the value given.
 * The TLS fixtures are a self-signed certificate for localhost, 127.0.0.1 and ::1 (test only).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createSecureServer, createServer as createH2cServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, Server as NetServer, createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { HeraldError } from '@herald/protocol';
import { RawClient, expectError, rejection } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createRouter } from '../src/index.js';

const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url));

/** Values that are not a server the router can take upgrades from. */
const REFUSED_SERVERS: ReadonlyArray<readonly [string, () => unknown]> = [
  ['a plain object', () => ({ on() {}, listening: true })],
  ['null', () => null],
  ['a string', () => 'http://127.0.0.1:8080'],
  ['a port number', () => 8080],
  ['a net.Server (no HTTP: never an upgrade)', () => createNetServer()],
  ['a tls.Server (no HTTP)', () => createTlsServer({ cert, key })],
  ['a cleartext HTTP/2 server (no HTTP/1.1: never an upgrade)', () => createH2cServer()],
  ['an HTTP/2 secure server without allowHTTP1 (no HTTP/1.1: never an upgrade)', () => createSecureServer({ cert, key })],
  ['an HTTP/2 secure server with allowHTTP1: false', () => createSecureServer({ cert, key, allowHTTP1: false })],
  ['a WebSocketServer', () => new WebSocketServer({ noServer: true })],
];

describe('createRouter: server', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(REFUSED_SERVERS)('refuses %s with OPTION_INVALID before anything listens, leaving no listener on it', async (_label, make) => {
    const server = make();
    const listen = vi.spyOn(NetServer.prototype, 'listen');
    expectError(await rejection(createRouter({ logger: false, server: server as never })), HeraldError, 'OPTION_INVALID');
    expect(listen).not.toHaveBeenCalled();
    if (server instanceof NetServer) expect([server.listening, server.listenerCount('upgrade'), server.listenerCount('request')]).toEqual([false, 0, 0]);
  });

  it('takes an http.Server, listening or not yet: a client is welcomed on its port', async () => {
    for (const early of [true, false]) {
      const server = createHttpServer();
      if (early) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const starting = createRouter({ logger: false, server });
      if (!early) server.listen(0, '127.0.0.1');
      await using router = await starting;
      expect(router.url).toBe(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await using client = await RawClient.welcomed(router.url);
      expect(client.welcome?.type).toBe('welcome');
      await router.close();
      server.close();
    }
  });

  it('takes an https.Server and an HTTP/2 secure server with allowHTTP1: upgrades over TLS, router.url is wss://', async () => {
    for (const server of [createHttpsServer({ cert, key }), createSecureServer({ cert, key, allowHTTP1: true })]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      await using router = await createRouter({ logger: false, server });
      expect(router.url).toBe(`wss://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const socket = new WebSocket(router.url, ['herald.v1.json'], { ca: cert });
      await once(socket, 'open');
      expect(socket.protocol).toBe('herald.v1.json');
      socket.close();
      await once(socket, 'close');
      await router.close();
      server.close();
    }
  });
});
