/**
 * The whole demo behind one function: an HTTP server that serves the built page and carries the
 * router on `/herald`, a publisher service, a request service, and a swarm of subscriber processes.
 * `main.ts` runs it for `pnpm demo`; the e2e suite starts its own instances in-process (port 0, no
 * swarm).
 *
 * The router can be restarted on its own (`restartRouter()`, or `stopRouter()` then
 * `startRouter()`): the HTTP server keeps serving the page, and while no router is attached it
 * answers WebSocket upgrades on `/herald` with 503, as a proxy in front of a restarting service
 * would. Every client (page, publisher, services, swarm) reconnects with backoff and recovers.
 */
import { existsSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisEngine } from '@herald/redis';
import { type LogLevel, type Logger, type Router, createConsoleLogger, createRouter, silentLogger } from '@herald/server';
import { type ClusterNode, type ClusterRouterStatus, clusterStatus, killNode, startClusterNode, trackSockets } from './cluster.js';
import { type RedisProcess, startRedisProcess } from './redis-process.js';
import { type Publisher, type PublisherOptions, startPublisher } from './publisher.js';
import { type Services, startServices } from './services.js';
import { createSignIn } from './sign-in.js';
import { serveStatic } from './static-files.js';
import { Swarm, type SwarmOptions } from './swarm.js';
import { ROUTER_PATH } from './topics.js';

export type { ClusterRouterStatus } from './cluster.js';
export { describeValue } from './describe-value.js';
export type { JobReport, Publisher, SensorReading } from './publisher.js';
export { type DemoStats, type Forecast, type ForecastParams, KNOWN_PLACES, type Services, type UnknownPlaceData } from './services.js';
export { CREW, type CrewMember, MEMBER_SCRIPT, Swarm, type SwarmOptions } from './swarm.js';
export {
  CHAT_TOPIC,
  FEED_PATTERN,
  FORECAST_METHOD,
  JOB_TOPIC,
  ROUTER_PATH,
  SENSOR_TOPIC_PREFIX,
  STATS_METHOD,
} from './topics.js';

/** Where Vite puts the page: `apps/demo/dist/`, next to this module's `dist-server/`. */
export const PAGE_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Port of the HTTP server (page and router share it). 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** The built page to serve. Default {@link PAGE_DIR}. */
  pageDir?: string;
  /** Run the swarm of subscriber processes (with these settings). Default true. */
  swarm?: boolean | Partial<Omit<SwarmOptions, 'url' | 'logger'>>;
  /** Run the sensor publisher (with these settings). Default true. */
  publisher?: boolean | Partial<Omit<PublisherOptions, 'url' | 'logger'>>;
  /** Run the request service ("ship-computer": `demo.stats`, `demo.forecast`). Default true. */
  services?: boolean;
  /** Where the router, publisher, services and swarm log; `false` for silence. Default: stderr, from `info`. */
  logger?: Logger | false;
  /** The default loggers' threshold: `info` shows the traffic, `warn` only trouble. Default `info`. */
  logLevel?: LogLevel;
  /**
   * Refuse WebSocket upgrades from pages of other origins (HTTP 403), as a router whose
   * authentication reads cookies must. Default false: the widget is meant to be embedded anywhere,
   * and the demo's tokens travel in the hello, not in cookies.
   */
  sameOriginOnly?: boolean;
  /** How long the tokens the demo mints (`GET /herald-token`) are valid. Default 120,000 ms. */
  tokenLifetimeMs?: number;
  /**
   * Run this many routers as one cluster over a `redis-server` the demo starts (and ends). 1 or
   * undefined: one router with the in-memory engine, as always. See {@link DemoCluster}.
   */
  cluster?: number;
}

/** The routers of a cluster demo (`startDemo({ cluster: 3 })`). */
export interface DemoCluster {
  /** Every router's WebSocket URL, router 1 first: what the clients are given. */
  readonly urls: readonly string[];
  /** The Redis the routers share. */
  readonly redisUrl: string;
  /** Each router: up or down, and the clients connected to it (`GET /herald-cluster`). */
  routers(): ClusterRouterStatus[];
  /**
   * Kills a router abruptly (its connections are destroyed: clients see 1006 and move to another
   * router), then starts it again on the same port after `downMs` (default 5,000).
   * Without a name, the router with the most clients. Resolves with the killed router's name
   * (undefined when none was up).
   */
  kill(name?: string, downMs?: number): Promise<string | undefined>;
}

/** A running demo. */
export interface Demo {
  /** The router now: after a restart, the new one; while stopped, the one that was stopped. */
  readonly router: Router;
  /** Whether a router is attached (false between `stopRouter()` and `startRouter()`). */
  readonly routerRunning: boolean;
  /** The router's WebSocket URL, `ws://127.0.0.1:<port>/herald` (the same across restarts). */
  readonly url: string;
  /** The page, `http://127.0.0.1:<port>/`. */
  readonly pageUrl: string;
  /** The example page that embeds the `<herald-feed>` widget. */
  readonly widgetUrl: string;
  /** The sensor publisher, when it runs. */
  readonly publisher: Publisher | undefined;
  /** The request service, when it runs. */
  readonly services: Services | undefined;
  /** The swarm, when it runs. */
  readonly swarm: Swarm | undefined;
  /** The cluster's routers, when the demo runs several (`cluster` option). */
  readonly cluster: DemoCluster | undefined;
  /**
   * Stops the router as for a restart: `router.close({ restart: true })`, so clients get close code
   * 1012 and reconnect. Its in-memory history goes with it. The page stays served; upgrades on
   * `/herald` get 503 until {@link startRouter}. Resolves once every connection is closed.
   */
  stopRouter(): Promise<void>;
  /** Attaches a new router (new epochs, empty history) to the same server and path. */
  startRouter(): Promise<Router>;
  /** `stopRouter()`, then `startRouter()` after `downMs` (default 0). */
  restartRouter(options?: { downMs?: number }): Promise<Router>;
  /** Stops the swarm (its processes have exited when this resolves), the services, the publisher, the router and the HTTP server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the demo and resolves once the page and the router are reachable.
 * Rejects when the page is not built (run `pnpm build`) or the port is taken (`EADDRINUSE`).
 *
 * @example
 * const demo = await startDemo({ port: 0, swarm: false, publisher: false, logger: false });
 * console.log(demo.pageUrl, demo.router.clients());
 * await demo.restartRouter({ downMs: 1000 }); // the page shows reconnecting, then open
 * await demo.close();
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const pageDir = options.pageDir ?? PAGE_DIR;
  if (!existsSync(join(pageDir, 'index.html'))) {
    throw new Error(`the demo page is not built (no index.html in ${pageDir}): run \`pnpm build\` first`);
  }
  const level = options.logLevel ?? 'info';
  const routerLogger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level }));
  const logger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level, name: 'demo' }));

  let routerRunning = false;
  const signIn = createSignIn(options.tokenLifetimeMs === undefined ? {} : { lifetimeMs: options.tokenLifetimeMs });
  const clusterSize = Math.max(1, Math.floor(options.cluster ?? 1));
  let cluster: DemoCluster | undefined;
  const server = createServer(handleHttp(serveStatic(pageDir), signIn.handle, () => cluster, logger));
  const mainSockets = new Set<Duplex>();
  if (clusterSize > 1) trackSockets(server, mainSockets);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    if (pathOf(request) !== ROUTER_PATH) refuse(socket, 404, 'Not Found');
    // The router, when attached, has its own `upgrade` listener for its path.
    else if (!routerRunning) refuse(socket, 503, 'Service Unavailable', 'the Herald router is restarting: try again shortly\n');
  });
  await listen(server, options.port ?? 8080, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  let redis: RedisProcess | undefined;
  if (clusterSize > 1) {
    try {
      redis = await startRedisProcess();
    } catch (error) {
      await closeServer(server);
      throw error;
    }
  }
  const redisUrl = redis?.url;
  const sharedOptions = () => ({
    logger: routerLogger,
    // Pages sign in (GET /herald-token): the router knows who they are. See sign-in.ts.
    authenticate: signIn.authenticate,
    // The page's presence panel lists connections (each swarm process, each tab).
    presenceBy: 'connection' as const,
    // A cluster: a new engine for each start of each router, over the demo's Redis.
    ...(redisUrl !== undefined && { engine: redisEngine({ url: redisUrl, prefix: 'herald-demo:', logger: routerLogger }) }),
  });

  let router: Router;
  const attachRouter = async (): Promise<Router> => {
    router = await createRouter({
      ...sharedOptions(),
      server,
      path: ROUTER_PATH,
      ...(redisUrl !== undefined && { name: 'router-1' }),
      ...(options.sameOriginOnly === true && { allowedOrigins: [origin] }),
    });
    // Set in the same tick as the router's upgrade listener: no upgrade is answered twice.
    routerRunning = true;
    return router;
  };
  try {
    await attachRouter();
  } catch (error) {
    await redis?.close();
    await closeServer(server);
    throw error;
  }
  const url = router!.url;
  const extraNodes: (ClusterNode & { close(): Promise<void> })[] = [];
  try {
    for (let index = 2; index <= clusterSize; index++) {
      extraNodes.push(await startClusterNode(`router-${index}`, options.host ?? '127.0.0.1', sharedOptions));
    }
  } catch (error) {
    for (const node of extraNodes) await node.close();
    await router!.close();
    await redis?.close();
    await closeServer(server);
    throw error;
  }
  const urls: string | string[] = clusterSize > 1 ? [url, ...extraNodes.map((node) => node.url)] : url;

  let publisher: Publisher | undefined;
  let services: Services | undefined;
  let swarm: Swarm | undefined;
  try {
    if (options.publisher !== false) {
      publisher = await startPublisher({ ...(typeof options.publisher === 'object' ? options.publisher : {}), url: urls, logger });
    }
    if (options.services !== false) services = await startServices({ url: urls, logger });
    if (options.swarm !== false) {
      swarm = new Swarm({ ...(typeof options.swarm === 'object' ? options.swarm : {}), url: urls, logger });
      swarm.start();
    }
  } catch (error) {
    await services?.close();
    await publisher?.close();
    for (const node of extraNodes) await node.close();
    await router!.close();
    await redis?.close();
    await closeServer(server);
    throw error;
  }

  // Stops and starts run one after the other, whoever asks.
  let lifecycle: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const next = lifecycle.then(step, step);
    lifecycle = next.catch(() => undefined);
    return next;
  };
  const stopRouter = (): Promise<void> =>
    serially(async () => {
      if (!routerRunning) return;
      routerRunning = false;
      const clients = router.clients().length;
      logger.log('warn', 'restart: stopping the router (close code 1012); clients will reconnect', { clients });
      await router.close({ restart: true });
      logger.log('info', 'restart: the router is down; the page is still served, /herald answers 503');
    });
  const startRouter = (): Promise<Router> =>
    serially(async () => {
      if (routerRunning || closing !== undefined) return router;
      await attachRouter();
      logger.log('info', 'restart: a new router is up (new epochs, empty history)', { url });
      return router;
    });
  const restartRouter = async ({ downMs = 0 }: { downMs?: number } = {}): Promise<Router> => {
    await stopRouter();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    return startRouter();
  };

  if (redisUrl !== undefined) {
    const firstNode: ClusterNode = {
      name: 'router-1',
      url,
      sockets: mainSockets,
      up: () => routerRunning,
      router: () => router,
      stop: stopRouter,
      start: startRouter,
    };
    const nodes: ClusterNode[] = [firstNode, ...extraNodes];
    cluster = {
      urls: nodes.map((node) => node.url),
      redisUrl,
      routers: () => clusterStatus(nodes),
      kill: async (name, downMs = 5000) => {
        const up = nodes.filter((node) => node.up());
        const busiest = (a: ClusterNode, b: ClusterNode) => (b.router()?.clients().length ?? 0) - (a.router()?.clients().length ?? 0);
        const node = name === undefined ? up.sort(busiest)[0] : up.find((candidate) => candidate.name === name);
        if (node === undefined || closing !== undefined) return undefined;
        logger.log('warn', `cluster: killing ${node.name} (its connections drop); back in ${downMs} ms`, { clients: node.sockets.size });
        await killNode(node, downMs, (error) => logger.log('error', `cluster: ${node.name} did not restart`, { error: String(error) }));
        return node.name;
      },
    };
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await swarm?.close();
      await services?.close();
      await publisher?.close();
      await lifecycle;
      routerRunning = false;
      await router.close();
      for (const node of extraNodes) await node.close();
      await redis?.close();
      await closeServer(server);
    })();
    return closing;
  };
  return {
    get router() {
      return router;
    },
    get routerRunning() {
      return routerRunning;
    },
    url,
    pageUrl: `${origin}/`,
    widgetUrl: `${origin}/widget.html`,
    publisher,
    services,
    swarm,
    cluster,
    stopRouter,
    startRouter,
    restartRouter,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function handleHttp(
  serve: (request: IncomingMessage, response: ServerResponse) => void,
  signIn: (request: IncomingMessage, response: ServerResponse) => boolean,
  cluster: () => DemoCluster | undefined,
  logger: Logger,
) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (signIn(request, response)) return;
    if (handleCluster(request, response, cluster(), logger)) return;
    if (pathOf(request) === ROUTER_PATH) {
      response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      response.end('This is the Herald router: connect with a WebSocket client.\n');
      return;
    }
    serve(request, response);
  };
}

/**
 * `GET /herald-cluster`: `{ routers: [{ name, url, up, members }] }` (`routers: []` without a cluster).
 * `POST /herald-cluster/kill[?router=router-2]`: kills a router (the busiest without a name);
 * answers 202 `{ killed }`, or 409 when no router is up.
 */
function handleCluster(request: IncomingMessage, response: ServerResponse, cluster: DemoCluster | undefined, logger: Logger): boolean {
  const path = pathOf(request);
  if (path !== '/herald-cluster' && path !== '/herald-cluster/kill') return false;
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };
  // One router: an empty list (200, so the page's fetch is no console error), and nothing to kill.
  if (cluster === undefined) {
    if (request.method === 'GET' && path === '/herald-cluster') json(200, { routers: [] });
    else json(409, { error: 'not a cluster: run the demo with --cluster 3' });
  } else if (path === '/herald-cluster' && request.method === 'GET') json(200, { routers: cluster.routers() });
  else if (path === '/herald-cluster/kill' && request.method === 'POST') {
    const name = new URL(request.url ?? '/', 'http://demo').searchParams.get('router') ?? undefined;
    cluster.kill(name).then(
      (killed) => (killed === undefined ? json(409, { error: 'no such router up' }) : json(202, { killed })),
      (error: unknown) => {
        logger.log('error', 'cluster: kill failed', { error: String(error) });
        json(500, { error: 'kill failed' });
      },
    );
  } else json(405, { error: 'GET /herald-cluster or POST /herald-cluster/kill' });
  return true;
}

function refuse(socket: Duplex, status: number, statusText: string, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `${status === 503 ? 'Retry-After: 1\r\n' : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?', 1)[0] ?? '/';
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
