/**
 * The router's operations side over HTTP: `/healthz`, `/readyz`, `/metrics` (health.ts,
 * metrics.ts), on the router's own HTTP server or on a separate metrics port, and the admin page
 * (admin.ts) on the router's own server. Router.ts calls
 * `start`, `serve` and `close`; everything else about operations lives here.
 */
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Hub } from './hub.js';
import { listenOn } from './listen-failure.js';
import { Health, type HealthReport } from './health.js';
import { Admin, type AdminOptions, type AdminSource, checkAdminOptions } from './admin.js';
import type { Authenticate } from './authentication.js';
import type { MetricsOptions, MetricsSource } from './metrics.js';
import type { RouterObserver } from './observer.js';

export class Operations {
  readonly health: Health;
  #registry: Registry | undefined;
  #server: Server | undefined;
  #host = '127.0.0.1';
  #admin: Admin | undefined;
  readonly #adminOptions: AdminOptions | undefined;

  constructor(
    readonly hub: Hub,
    state: () => { listening: boolean; closing: boolean },
    readonly options: boolean | MetricsOptions | undefined,
    admin: AdminOptions | undefined,
    readonly authenticate?: Authenticate,
  ) {
    this.health = new Health(hub.engine, state);
    if (admin !== undefined) checkAdminOptions(admin, authenticate);
    this.#adminOptions = admin;
  }

  /** The admin page's path, when it is on. */
  get adminPath(): string | undefined {
    return this.#admin?.path;
  }

  get registry(): Registry | undefined {
    return this.#registry;
  }

  /** `http://host:port/metrics` of the separate metrics server, when there is one. */
  get metricsUrl(): string | undefined {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) return undefined;
    const host = this.#host === '0.0.0.0' ? '127.0.0.1' : this.#host === '::' ? '::1' : this.#host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`;
  }

  /** Loads prom-client (only when metrics are on), registers the metrics, opens the metrics port. */
  async start(router: MetricsSource & AdminSource, routerHost: string): Promise<void> {
    if (this.#adminOptions !== undefined) this.#admin = new Admin(router, this.hub.engine, this.#adminOptions, this.authenticate);
    await this.#startMetrics(router, routerHost);
    const observers = [this.#registryObserver, this.#admin && adminObserver(this.#admin)].filter((o): o is RouterObserver => o !== undefined);
    this.hub.observer = observers.length <= 1 ? observers[0] : combine(observers);
  }

  #registryObserver: RouterObserver | undefined;

  async #startMetrics(router: MetricsSource, routerHost: string): Promise<void> {
    if (this.options === undefined || this.options === false) return;
    const options: MetricsOptions = this.options === true ? {} : this.options;
    const { RouterMetrics } = await import('./metrics.js');
    const metrics = new RouterMetrics(router, this.health, options);
    this.#registry = metrics.registry;
    this.#registryObserver = metrics.observer;
    if (options.port !== undefined) {
      this.#host = options.host ?? routerHost;
      const server = createServer((request, response) => {
        if (!this.serve(request, response)) notFound(response);
      });
      await listenOn(server, options.port, this.#host, 'metrics.port and metrics.host');
      this.#server = server;
    }
  }

  /** Answers an operations path on the router's own server; false when `request` is for another path. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const ownPort = this.#server === undefined;
    const registry = ownPort || request.socket.localPort === (this.#server!.address() as AddressInfo).port ? this.#registry : undefined;
    if (ownPort || request.socket.localPort !== (this.#server!.address() as AddressInfo).port) {
      if (this.#admin?.serve(request, response) === true) return true;
    }
    return this.health.serve(request, response, registry);
  }

  report(): Promise<HealthReport> {
    return this.health.report();
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  }
}

/** The admin page counts publishes per topic; it needs nothing else from the hot path. */
function adminObserver(admin: Admin): RouterObserver {
  return {
    requestSettled() {},
    requestRefused() {},
    rateLimited() {},
    enginePublish(_seconds, ok, topic) {
      if (ok) admin.published(topic);
    },
  };
}

function combine(observers: RouterObserver[]): RouterObserver {
  return {
    requestSettled: (outcome, seconds) => observers.forEach((o) => o.requestSettled(outcome, seconds)),
    requestRefused: (code) => observers.forEach((o) => o.requestRefused(code)),
    rateLimited: (operation) => observers.forEach((o) => o.rateLimited(operation)),
    enginePublish: (seconds, ok, topic) => observers.forEach((o) => o.enginePublish(seconds, ok, topic)),
  };
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('Not found: this port serves /metrics, /healthz and /readyz.\n');
}
