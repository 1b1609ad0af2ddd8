/**
 * `pnpm demo --cluster N`: N routers over one Redis act as one. Router 1 is the demo's own (on the
 * page's port, path `/herald`); routers 2..N each get an HTTP server of their own on a free port.
 * Every client (page, publisher, services, swarm) is given the list of URLs: when its router dies,
 * it reconnects to the next one and resumes from the history in Redis.
 *
 * `kill(name)` makes a router die abruptly: its WebSocket connections are destroyed (the clients see
 * close code 1006, as after a SIGKILL or a pulled cable), then the router is closed; it comes back
 * on the same port after `downMs`.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Router, type RouterOptions, createRouter } from '@herald/server';
import { ROUTER_PATH } from './topics.js';

/** One router of the cluster, as the demo controls it. */
export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  /** Whether the router is running. */
  up(): boolean;
  /** The router (the last one, while down). */
  router(): Router | undefined;
  /** The WebSocket connections to it, to destroy when it is killed. */
  readonly sockets: Set<Duplex>;
  stop(): Promise<void>;
  start(): Promise<unknown>;
}

/** A router of the cluster and the members on it (`GET /herald-cluster`). */
export interface ClusterRouterStatus {
  name: string;
  url: string;
  up: boolean;
  /** The clients connected to this router, by name. */
  members: string[];
}

/** Counts upgrades on `path` as sockets of `node` until they close. */
export function trackSockets(server: Server, sockets: Set<Duplex>): void {
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    if ((request.url ?? '/').split('?', 1)[0] !== ROUTER_PATH) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

/** Starts a router on an HTTP server of its own, on a free port of `host`; restarts keep the port. */
export async function startClusterNode(name: string, host: string, routerOptions: () => Partial<RouterOptions>): Promise<ClusterNode & { close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    response.end(`This is Herald router ${name}: connect with a WebSocket client.\n`);
  });
  const sockets = new Set<Duplex>();
  let router: Router | undefined;
  let running = false;
  let closed = false;
  trackSockets(server, sockets);
  server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    if (!running) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `ws://${address.includes(':') ? `[${address}]` : address}:${port}${ROUTER_PATH}`;
  const node: ClusterNode & { close(): Promise<void> } = {
    name,
    url,
    sockets,
    up: () => running,
    router: () => router,
    start: async () => {
      if (running || closed) return;
      router = await createRouter({ ...routerOptions(), server, path: ROUTER_PATH, name });
      running = true;
    },
    stop: async () => {
      if (!running) return;
      running = false;
      await router?.close();
    },
    close: async () => {
      closed = true;
      await node.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  await node.start();
  return node;
}

/** Kills a router abruptly (destroys its connections, then closes it) and starts it again after `downMs`. */
export async function killNode(node: ClusterNode, downMs: number, onError: (error: unknown) => void): Promise<void> {
  if (!node.up()) return;
  for (const socket of node.sockets) socket.destroy();
  await node.stop();
  setTimeout(() => void node.start().catch(onError), downMs).unref();
}

/** What `GET /herald-cluster` answers. */
export function clusterStatus(nodes: readonly ClusterNode[]): ClusterRouterStatus[] {
  return nodes.map((node) => ({
    name: node.name,
    url: node.url,
    up: node.up(),
    members: node.up() ? (node.router()?.clients().map((client) => client.name) ?? []) : [],
  }));
}
