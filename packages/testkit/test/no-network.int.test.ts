/**
 * Users' tests written with the memory transport open nothing on the network: the router made by
 * `startMemoryRouter` does not listen (`listen: false`), and clients reach it through fake sockets.
 */
import net from 'node:net';
import { connect } from '@herald/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryTransport, startMemoryRouter } from '../src/index.js';

/** Node's TCP handles now alive (servers and sockets). */
function tcpHandles(): string[] {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPWrap');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('startMemoryRouter', () => {
  it('opens no socket: no listen, no TCP handle, no port or url, and clients still talk', async () => {
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    const connectSocket = vi.spyOn(net.Socket.prototype, 'connect');
    const before = tcpHandles();
    const router = await startMemoryRouter();
    const transport = memoryTransport(router);
    const kirk = await connect('memory://router', { WebSocket: transport.WebSocket, name: 'Kirk' });
    const spock = await connect('memory://router', { WebSocket: transport.WebSocket, name: 'Spock' });
    let delivered: (data: unknown) => void = () => undefined;
    const received = new Promise<unknown>((resolve) => {
      delivered = resolve;
    });
    await spock.subscribe('bridge.log', (data) => delivered(data));
    await kirk.publish('bridge.log', { stardate: 41153.7 });
    expect(await received).toEqual({ stardate: 41153.7 });

    expect(tcpHandles()).toEqual(before);
    expect(listen).not.toHaveBeenCalled();
    expect(connectSocket).not.toHaveBeenCalled();
    expect(() => router.port).toThrow();
    expect(() => router.url).toThrow();

    await kirk.close();
    await spock.close();
    await router.close();
    expect(tcpHandles()).toEqual(before);
    expect(listen).not.toHaveBeenCalled();
  });
});
