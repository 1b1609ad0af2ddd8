/**
 * The whole demo behind one function: an HTTP server that serves the built page and carries the
 * router on `/herald`, a publisher service, and a swarm of subscriber processes. `main.ts` runs it
 * for `pnpm demo`; the e2e suite starts its own instances in-process (port 0, no swarm).
 */
import { existsSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, type Router, createConsoleLogger, createRouter, silentLogger } from '@herald/server';
import { type Publisher, type PublisherOptions, startPublisher } from './publisher.js';
import { serveStatic } from './static-files.js';
import { Swarm, type SwarmOptions } from './swarm.js';
import { ROUTER_PATH } from './topics.js';

export { describeValue } from './describe-value.js';
export type { JobReport, SensorReading } from './publisher.js';
export { CREW, type CrewMember, MEMBER_SCRIPT, Swarm, type SwarmOptions } from './swarm.js';
export { CHAT_TOPIC, FEED_PATTERN, JOB_TOPIC, ROUTER_PATH, SENSOR_TOPIC_PREFIX } from './topics.js';

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
  /** Where the router, publisher and swarm log; `false` for silence. Default: stderr, from `info`. */
  logger?: Logger | false;
}

/** A running demo. */
export interface Demo {
  readonly router: Router;
  /** The router's WebSocket URL, `ws://127.0.0.1:<port>/herald`. */
  readonly url: string;
  /** The page, `http://127.0.0.1:<port>/`. */
  readonly pageUrl: string;
  /** The example page that embeds the `<herald-feed>` widget. */
  readonly widgetUrl: string;
  /** The swarm, when it runs. */
  readonly swarm: Swarm | undefined;
  /** Stops the swarm (its processes have exited when this resolves), the publisher, the router and the HTTP server. */
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
 * await demo.close();
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const pageDir = options.pageDir ?? PAGE_DIR;
  if (!existsSync(join(pageDir, 'index.html'))) {
    throw new Error(`the demo page is not built (no index.html in ${pageDir}): run \`pnpm build\` first`);
  }
  const routerLogger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level: 'info' }));
  const logger = options.logger === false ? silentLogger : (options.logger ?? createConsoleLogger({ level: 'info', name: 'demo' }));

  const server = createServer(handleHttp(serveStatic(pageDir)));
  server.on('upgrade', refuseOtherUpgrades);
  await listen(server, options.port ?? 8080, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  let router: Router;
  try {
    router = await createRouter({ server, path: ROUTER_PATH, logger: routerLogger });
  } catch (error) {
    await closeServer(server);
    throw error;
  }
  const url = router.url;

  let publisher: Publisher | undefined;
  let swarm: Swarm | undefined;
  try {
    if (options.publisher !== false) {
      publisher = await startPublisher({ ...(typeof options.publisher === 'object' ? options.publisher : {}), url, logger });
    }
    // TODO(issue 5, requests): start "a Node service that answers a request" here once
    // `client.handle(method, handler)` / `client.request(method, params)` land in @herald/client:
    // a service client named "clock" that handles `demo.time` (replies with `{ now: Date, uptime: bigint }`)
    // and `demo.fail` (replies with an error), for the page's request button. Nothing answers requests yet.
    if (options.swarm !== false) {
      swarm = new Swarm({ ...(typeof options.swarm === 'object' ? options.swarm : {}), url, logger });
      swarm.start();
    }
  } catch (error) {
    await publisher?.close();
    await router.close();
    await closeServer(server);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await swarm?.close();
      await publisher?.close();
      await router.close();
      await closeServer(server);
    })();
    return closing;
  };
  return {
    router,
    url,
    pageUrl: `${origin}/`,
    widgetUrl: `${origin}/widget.html`,
    swarm,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function handleHttp(serve: (request: IncomingMessage, response: ServerResponse) => void) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (pathOf(request) === ROUTER_PATH) {
      response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      response.end('This is the Herald router: connect with a WebSocket client.\n');
      return;
    }
    serve(request, response);
  };
}

/** The router answers upgrades on its path and leaves the rest alone: nobody else wants them. */
function refuseOtherUpgrades(request: IncomingMessage, socket: Duplex): void {
  if (pathOf(request) !== ROUTER_PATH) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
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
